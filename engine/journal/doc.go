// Package journal is the durable record of paper-trading sessions: every order update
// (submitted, rejected, opened, amended, cancelled, expired, filled), fill, balance change,
// equity sample, strategy fault and feed gap of every instance, written to a SQLite file
// (modernc.org/sqlite, pure Go, WAL). It is what lets a live account survive a restart: a
// new session of the same configuration starts from the balances, positions and open orders
// the journal holds.
//
// # Writing
//
// A Journal implements record.Recorder. Record copies the record into a bounded queue and
// returns; one writer goroutine, owned by the Journal, drains the queue and commits what it
// gathers in one transaction: after the first record it lingers Options.Linger (20 ms by
// default) for more, up to Options.MaxBatch, so a busy session makes few large transactions
// and the writer takes little CPU from the strategies. The journal is therefore never on the
// feed's path, and a worker pays a copy and a channel send per record.
//
// Buffer policy. When the queue is full (the disk is slower than the strategies for longer
// than Options.Buffer records), Record waits for room: the worker that produced the record
// stops until the journal catches up. Nothing is dropped — an account whose fills were not
// journaled could not be restored — and the feed is not slowed either: the engine keeps
// sequencing events into the waiting worker's inbox, whose live overflow policy (report past
// LagWarn, stop past LagLimit) then decides, visibly. Stats counts the waits. After the
// writer has failed (an I/O error; Err says which), Record drops records and counts them:
// the session cannot be trusted any more, and the caller stops it when Done is closed.
//
// Money and quantities are stored as decimal TEXT, exactly as the engine produced them;
// times as Unix nanoseconds (event time unless the column says wall time).
//
// # Sessions and restarts
//
// A journal file belongs to one configuration, identified by a hash the caller computes over
// everything that shapes the accounts (strategies, parameters, pairs, starting balances,
// simulator settings, seed). Begin starts a session: the first one records the starting
// balances as deposits; a later one must present the same hash — a different configuration
// is refused with an error naming both hashes, never mixed in and never reset — and gets
// each instance's state rebuilt from the records: balances and positions by replaying every
// fill through a ledger (exact cost basis and realised PnL), open and pending orders from
// their last update and their fills, and the count of order ids drawn so that new ids never
// repeat old ones. That state is stored with the new session, so the session can later be
// replayed from exactly where it started. A previous session that never closed is marked
// crashed; the time between its last event and the new session's first is recorded as an
// "offline" gap, and restored orders only trade on events after the restart.
//
// Before a journal is resumed (Open) or replayed (OpenReader) it is checked: its schema
// version, every table of that version, SQLite's integrity check, and each session's record
// count against the rows its tables hold. A damaged journal (a dropped table, deleted rows, a
// file truncated to nothing, a newer schema) is refused with ErrDamaged and nothing is
// written: rebuilding an account from part of its history would be a silent partial reset.
//
// A crash loses at most the records still queued or lingering (not yet committed): commits
// are in record order, so what survives of each instance is a prefix of its records, and the restored state
// is exactly the state after that prefix. WAL with synchronous=NORMAL makes every commit
// survive a killed process (not necessarily a power cut).
//
// # Concurrency
//
// Record, Gap, NoteEvent and Stats are safe for concurrent use (the engine calls Record from
// every worker). Open, Begin and Close are called by the owner, in that order. Reading
// (Sessions, Records, Fills, ...) opens its own connections and may run while the journal
// writes.
package journal
