// Package engine runs strategies on simulated Kraken accounts: a sequencer merges sources into
// one ordered stream of feed.Event, and one worker goroutine per strategy instance matches its
// resting orders, delivers fills and events, and settles new orders after latency. Live paper
// trading and backtests both run Engine.Run; only the source differs.
package engine
