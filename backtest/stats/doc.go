// Package stats holds the statistics that say how much of a parameter sweep's best result is
// luck: the Deflated Sharpe Ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio:
// Correcting for Selection Bias, Backtest Overfitting and Non-Normality", JPM 2014) and the
// Probability of Backtest Overfitting estimated by combinatorially symmetric
// cross-validation (Bailey, Borwein, López de Prado & Zhu, "The Probability of Backtest
// Overfitting", J. Computational Finance 2015).
//
// Everything here is a pure function of its arguments, safe for concurrent use. The values
// are statistics, not money, so they are float64; money stays decimal in the callers.
// Sharpe ratios are per period (not annualised): the mean of the period returns over their
// sample standard deviation, with no risk-free rate. Kurtosis is the plain fourth
// standardised moment (3 for a normal distribution), as in the papers.
package stats
