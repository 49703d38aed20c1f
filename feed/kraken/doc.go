// Package kraken speaks Kraken's public WebSocket market-data APIs, v1 (wss://ws.kraken.com)
// and v2 (wss://ws.kraken.com/v2): decoders that turn frames into feed.Events exactly (no
// float64 on the way), frame encoders that write trades and books back as Kraken sends them
// (Encoder, AppendV2Trades, …), request encoders, the book checksum, the pair table with
// v1↔v2 symbol mapping, and the live feed Client.
//
// v2 names (BTC/USD) are canonical inside papertrade; v1 names (XBT/USD, XDG/USD) are mapped
// at this edge.
package kraken
