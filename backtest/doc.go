// Package backtest replays recorded market data through the engine with backtest policies
// (lossless back-pressure, event time only, seeded randomness), and builds on that: the PnL
// band across fill models, parameter sweeps (grid and random search, sharded, resumable,
// walk-forward) and the comparison of two runs' results.
//
// # Backtests
//
// Run reads a tape (a directory or segment file written by feed/tape) and decodes it with
// the same Kraken decoder a live feed uses, streaming: the events flow through engine.Run
// in batches and are not kept, and the records stream to per-instance part files and
// report collectors, so memory does not grow with the length of the tape. A run's results
// depend only on its manifest (config text, seed, data hashes, fill models, version): the
// same manifest gives byte-identical summary.json and CSV files.
//
// # Sweeps
//
// Sweep decodes the tape once into Events, a compact in-memory form shared read-only by
// every trial, and runs the trials in parallel, each one engine.Run of the searched
// instance over a replay of the shared events. Results are ranked by a metric into
// sweep.csv and kept in a SQLite table keyed by a hash of the parameters and of everything
// else the result depends on, so a re-run skips finished trials and shards merge.
//
// # Time and concurrency
//
// Nothing here reads the wall clock except through Options.Now (for wall_seconds). Every
// goroutine is started in an errgroup and waited for before Run or Sweep return.
package backtest
