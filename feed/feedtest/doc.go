// Package feedtest is a conformance suite for feed.Source implementations, as testing/fstest
// is for file systems: Run drives sources the test makes through the contract written on
// feed.Source and feed.Event, and Checker (or Check) holds any stream of events to the rules
// every source's output obeys.
//
// The contract checked:
//
//   - Run sends events in order and never closes out (the caller owns the channel): after
//     Run returns, out is still open and nothing more arrives on it.
//   - A finite source (a replay) returns nil at the end of its data; any source returns
//     ctx.Err() (or nil, if its data ended first) once ctx is cancelled, whether it is
//     sending, blocked on a receiver that stopped reading, or was cancelled before it
//     started, and leaves no goroutine behind (goleak).
//   - A batch is handed over: the source never writes it again (every batch is deep-copied
//     when received and compared with itself after Run returned; a write while the receiver
//     still reads it is a data race, which -race reports). A source that
//     implements feed.BatchRecycler may reuse a batch only after it was handed back, and the
//     events copied out of it stay valid.
//   - Events are not stamped (Seq is the sequencer's, 0 from a source); exactly the payload
//     its Kind names is set; pair-bearing payloads name the event's pair; receive times
//     never go back.
//   - Trades have a side and positive price and quantity; a pair's trade ids (when the
//     source has them) only go up, a pair's trade times never go back, and every skipped id
//     was reported first as a KindGap (channel "trade") with FromID, ToID and Missing
//     exactly the ids skipped.
//   - Gaps say their channel and reason, and their sizes add up (Missing = ToID-FromID+1).
//   - Books are delivered only while verified: a pair's first book event is a snapshot, and
//     after a KindGap for its book (a checksum mismatch, a dropped connection) the next one is
//     a snapshot again; every update applies to the book built so far, and, with VerifyBook,
//     the book after it passes the source's own check (Kraken's checksum).
//
// Run's subtests make a fresh source each (a kraken.Client runs once) and must not run in
// parallel with other tests of the package: the goroutine check compares against the
// goroutines alive when the subtest started, and it runs after the subtest's other
// cleanups, so a test server closed by t.Cleanup in newSource is counted as gone.
package feedtest
