// Package dashboard serves a live session's read-only web page: per-strategy equity curves,
// positions, open orders, recent fills, the feed's health (connection, age of the last
// message, gaps, book checksum state, worker backlog) and a price chart with the fills
// marked.
//
// A Hub collects the state: it is an record.Recorder (records update the accounts it shows)
// and Observe takes the engine's event batches (prices, gaps). Both only take a short lock;
// nothing waits for a browser. A Server serves the embedded page (go:embed; TradingView
// Lightweight Charts is vendored under static/vendor with its Apache-2.0 licence, nothing is
// loaded from a CDN) and pushes the state as server-sent events: the whole state when a page
// connects, then every push interval only what changed (new points, new fills; tables and
// health in full).
//
// Charts hold the whole session: each series is a bounded list of event-time buckets (price
// candles, equity closes) whose width doubles when the session outgrows it, and a page whose
// buckets were merged is sent that series whole again. A page left open for hours shows the
// same history as a page opened now.
//
// The server binds loopback addresses only unless told otherwise (Options.AllowRemote): it
// has no authentication. It answers GET and HEAD and refuses every other method. Server.Run
// owns the HTTP server: when its context ends it closes every event stream and shuts down.
//
// Charts run on event time; the only wall-clock values are the age of the last message and
// the push interval.
package dashboard
