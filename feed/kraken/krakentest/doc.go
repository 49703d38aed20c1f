// Package krakentest is a Kraken-compatible public market-data server for tests, for
// `papertrade serve` and for the offline demo: WebSocket v1 at "/", v2 at "/v2" and the public
// REST market data (Time, SystemStatus, Assets, AssetPairs, Ticker, OHLC, Depth, Trades) under
// "/0/public/", on one listener. Real clients (ccxt's Kraken classes, Kraken's own Python
// examples) work against it with only their URLs changed; every real text it imitates is
// held in its tests with the capture it comes from (TestRealTexts and neighbours).
//
// It speaks the wire as captured from Kraken (PROTOCOL.md): status first on connect; one ack
// per pair/symbol with Kraken's field order and error texts ("Currency pair not supported
// LSK/XBT", "Subscription depth not supported", ...); v1 data as
// arrays of fixed-decimal strings with "seconds.micros" times, v2 data as JSON numbers printed
// at the pair's precision with trailing zeros; heartbeats while subscribed (v1 every second
// whatever the traffic, as recorded; v2 after each idle second); pings answered with the
// request id.
//
// Data comes from a generated market (WithMarket, e.g. feed/synth), a recording's events
// replayed at a speed factor (WithRecording), a recording's frames replayed byte for byte
// (WithRawRecording: the original number text and channel ids, every recorded pair served),
// events published by a test (Publish) or raw frames (Send, SendTo). Whatever the source, the server keeps each pair's full book and, per subscribed
// depth, the exact window a client holds: updates are cut to that window, levels that fall
// out are not deleted (clients truncate, as on Kraken), levels pulled back in are re-sent
// (v1 "r"), and every snapshot and update carries the CRC32 the client must compute.
// Trades get per-pair sequential ids (v2 trade_id); v2 subscribers get the last 50 as a
// snapshot; REST Trades pages over the same history with Kraken's nanosecond cursor.
//
// Faults are switchable at runtime (and by FaultConfig): drop all connections, refuse
// handshakes, stall connections, malformed frames, the Cloudflare proxy's non-JSON text,
// maintenance status, "Exceeded msg rate" rejections, a corrupted book checksum.
//
// Concurrency: every connection has one reader (the HTTP handler goroutine) and one writer
// goroutine; the market, replay and fault loops are owned by the Server. Close stops and
// waits for all of them and is idempotent. NewPipe serves over in-memory pipes so that a
// client and the server can run inside a testing/synctest bubble.
package krakentest
