// Package report turns a run's records into results: metrics, the terminal table,
// summary.json, the rows of fills.csv, orders.csv and equity.csv, and one self-contained HTML
// page. It is pure: it reads records and writes to the io.Writers it is given; it starts no
// goroutine and opens no file.
//
// # Flow
//
// A Collector per instance consumes that instance's record.Records as they arrive (from a
// streaming sink in a backtest, from the journal live) and keeps only what the metrics and
// charts need — equity samples, per-pair accumulators, closed round trips' PnL, a thinned
// set of fill markers — so a report's memory does not grow with the number of events or
// fills. A MarketRecorder watches the event stream for the buy-and-hold benchmark and the
// price charts. Collector.Summary then computes the Strategy object of summary.json.
//
// # Definitions
//
//   - Money is exact (decimal strings); ratios are float64 (Num), printed with 10 significant
//     digits and null when undefined (no trades, no variation, a zero drawdown).
//   - Return: final equity / initial equity − 1, where initial equity is the first equity
//     sample and final equity the engine's end-of-run valuation.
//   - CAGR: (final/initial)^(Year/span) − 1 over the span between the first and last equity
//     samples, with Year = 365.25 days. Over spans much shorter than a year it is huge or
//     undefined (overflow): read Return for short runs.
//   - Sharpe and Sortino: the equity samples are put on a regular grid of the engine's
//     equity interval (Resample), and the simple returns between grid points annualised by
//     PeriodsPerYear = Year / interval (525 960 for one minute): crypto trades every day, so
//     calendar time is used, not 252 trading days. Zero risk-free rate and target; Sharpe
//     uses the sample standard deviation (n−1), Sortino the downside deviation √(Σ min(r,0)²/n).
//   - Max drawdown: the largest (peak − trough)/peak over every sample; its duration is the
//     longest time spent below a previous peak. Calmar = CAGR / max drawdown.
//   - Round trips (Trip): per pair, the account's net position since the start leaves zero
//     and returns to it; PnL = sell proceeds − buy costs − fees in the quote currency.
//     Deposited inventory is not a position, so selling it first opens a short trip that
//     buying back closes. Win rate, profit factor (gross profit / gross loss) and expectancy
//     (mean trip PnL) count trips of pairs quoted in the account currency; the per-pair
//     table has every pair in its own quote.
//   - Exposure: the share of the instance's time with at least one trip open.
//   - Fees and turnover (traded notional) are in the account currency (fills of pairs quoted
//     in it); fees_by_asset lists every fee currency.
//   - Buy-and-hold: the mean over the instance's pairs of last/first trade price − 1 over
//     the replayed data, before fees.
//
// # Determinism
//
// Every output is a function of its input alone: lists keep record order or are sorted,
// maps are written in key order, charts have fixed ids and no animation, and the only
// wall-clock value (Run.WallSeconds) is a separate field that comparisons mask.
package report
