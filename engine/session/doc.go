// Package session makes a live paper-trading session replayable, exactly: the live engine and
// the replay of its recording consume the same events, so they produce the same fills.
//
// # One normaliser, live and replayed
//
// kraken.Client turns frames into events with kraken.Normalizer, the one place the
// connection rules live (trades deduplicated by id after a reconnect, gaps reported, the
// updates of a book whose checksum failed withheld, books stale when a connection drops), as
// a pure function of the frames and their connection numbers: a connection ends when the
// next frame comes from another one. Live takes the client's tap (ClientConfig.Tap): every
// frame, decoded once, with the events the client's normaliser made of it; the events go to
// the engine and the frame to the tape. The client keeps managing the connection (dialling,
// backoff, pings, resubscribing after a checksum mismatch when the normaliser asks). A replay
// (TapeSource, run by backtest.ReplaySession) runs a Normalizer of the same configuration over the recorded frames.
// Receive times are kept to the nanosecond in UTC on both sides, so even events that carry
// no exchange time are equal.
//
// What is recorded is exactly what was traded on: a frame is written to the tape after its
// events were handed to the engine, every frame handed over is written before Live.Run
// returns, and frames still waiting for the engine when the session stops are neither traded
// on nor recorded. The socket reader does none of that writing: it reads, normalises and hands
// the events over; the tape and the observers run on Live's recording goroutine, and one
// bounded queue (LiveConfig.MaxFrames) between them stops the session with an *OverflowError,
// never by dropping frames. A crash can lose the tape's unflushed tail (at most the
// tape writer's flush interval) and the journal's uncommitted tail, independently;
// CompareFills then compares what both kept.
//
// # Replay parity
//
// backtest.ReplaySession starts every instance from the state the session started from
// (stored in the journal's session row), replays the session's own recording (FindTape) in
// backtest mode, and CompareFills reports the fills compared and the first divergence.
//
// # Place in the layers
//
// This package does not import the engine (DESIGN's arrows: engine/* never imports engine):
// Live is a feed.Source, TapeSource another, CompareFills reads records. What runs the engine
// sits above it: the session replay in backtest, and the live node (config in, Run(ctx) out)
// beside it at backtest's level.
package session
