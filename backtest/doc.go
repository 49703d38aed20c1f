// Package backtest replays recorded market data (tapes, imported CSV) through engine.Run with
// lossless back-pressure, and runs parameter sweeps and walk-forward optimisation on top.
package backtest
