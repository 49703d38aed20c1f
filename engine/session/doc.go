// Package session makes a live paper-trading session replayable, exactly: the live engine and
// the replay of its recording consume the same events, so they produce the same fills.
//
// # Why the live engine does not consume the client's events
//
// kraken.Client turns frames into events with connection state the frames alone do not show
// in a recording: it deduplicates trades after a reconnect, reports gaps, withholds the
// updates of a book whose checksum failed, and marks books stale when a connection drops. If
// the engine consumed those events and a replay decoded the recorded frames plainly, the two
// would differ at every reconnect.
//
// Instead, Live takes the client's raw-frame tap (ClientConfig.OnFrame): the client keeps
// managing the connection (dialling, backoff, pings, resubscribing after a checksum
// mismatch), and every frame it reads goes, in order, through a Stream on Live's own
// goroutine, which applies the client's rules as a pure function of the frames and their
// connection numbers — a connection ends when the next frame comes from another one — and
// then to the tape. A replay (TapeSource, Replay) runs a Stream of the same configuration
// over the recorded frames. Receive times are kept to the nanosecond in UTC on both sides,
// so even events that carry no exchange time are equal.
//
// What is recorded is exactly what was traded on: a frame is written to the tape after its
// events were handed to the engine, and frames still queued when the session stops are
// neither traded on nor recorded. A crash can lose the tape's unflushed tail (at most the
// tape writer's flush interval) and the journal's uncommitted tail, independently;
// CompareFills then compares what both kept.
//
// # Replay parity
//
// Replay starts every instance from the state the session started from (stored in the
// journal's session row), replays the session's own recording in backtest mode, and
// CompareFills reports the fills compared and the first divergence.
package session
