// Package kraken speaks Kraken's public WebSocket market-data APIs, v1 (wss://ws.kraken.com)
// and v2 (wss://ws.kraken.com/v2): decoders that turn frames into feed.Events exactly (no
// float64 on the way), frame encoders that write trades and books back as Kraken sends them
// (Encoder), request encoders, the book checksum, the pair table with
// v1↔v2 symbol mapping, the live feed Client, and the Normalizer.
//
// The Normalizer is the one place the connection rules live (DESIGN rule 7): trades
// deduplicated by id across reconnects, gaps reported with their sizes, books verified by
// checksum and withheld while stale, control frames dropped — a pure function of the frames,
// their connection numbers and receive times. The Client runs every frame it reads through
// one; every replay of a recording (feed/tape.Decoder) runs the recorded frames through one;
// so the same frames give the same events wherever they are read. RawDecoder shows frames
// without those rules, for inspection.
//
// v2 names (BTC/USD) are canonical inside papertrade; v1 names (XBT/USD, XDG/USD) are mapped
// at this edge.
package kraken
