// Package engine runs strategies on simulated Kraken accounts: a sequencer merges sources into
// one ordered stream of feed.Event, and one worker goroutine per strategy instance matches its
// resting orders, delivers fills and events, and settles new orders after latency. Live paper
// trading and backtests both run Engine.Run; only the source differs.
//
// # Place in the layers
//
// The engine imports the contract (feed, strategy) and the engine/* packages below it
// (record, sim, ledger); no engine/* package imports it, which engine/imports_test.go
// enforces. What builds instances from a config and calls Run sits above it, at backtest's
// level: backtest.Run (a tape), backtest.ReplaySession (a live session's recording, for
// parity), sweeps, and the live node (config in, Run(ctx) out). The engine itself reads no
// config file and opens no journal, so it stays embeddable with nothing but a Source.
package engine
