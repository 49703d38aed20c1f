package backtest

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/papertrade/papertrade/backtest/stats"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/engine/report"
)

// OverfitBlocks is the number of time blocks a trial's returns are summarised into for
// combinatorially symmetric cross-validation: the paper's recommended S = 16, which gives
// C(16, 8) = 12,870 in-sample/out-of-sample splits.
const OverfitBlocks = 16

// TrialReturns summarises a trial's per-period returns (the report's: equity resampled at
// the equity interval) in constant memory: the moments the Deflated Sharpe Ratio needs and
// OverfitBlocks blocks for the Probability of Backtest Overfitting.
type TrialReturns struct {
	Moments stats.Moments `json:"moments"`
	Blocks  []stats.Block `json:"blocks"`
}

// trialReturns summarises an equity curve; nil when it has fewer than two returns per block
// (too short to say anything).
func trialReturns(eq []report.EquityPoint, interval time.Duration) *TrialReturns {
	if interval <= 0 {
		interval = record.DefaultEquityInterval
	}
	rets := report.Returns(report.Resample(eq, interval))
	if len(rets) < 2*OverfitBlocks {
		return nil
	}
	tr := &TrialReturns{Blocks: stats.Blocks(rets, OverfitBlocks)}
	for _, r := range rets {
		tr.Moments.Add(r)
	}
	return tr
}

// Overfitting is how much of a sweep's best result is luck: the Deflated Sharpe Ratio of
// the selected (top-ranked) trial and the Probability of Backtest Overfitting of the
// selection rule "take the best Sharpe ratio" over the trials and OverfitBlocks time blocks.
// Undefined numbers are NaN (null in JSON).
type Overfitting struct {
	// Trials is the number of trials the statistics use: those that ran to completion with
	// enough returns (invalid and failed trials are not counted). Trials of one sweep are
	// correlated, so counting them all as independent deflates conservatively.
	Trials int `json:"trials"`
	// Selected is the index (Trial.Index) of the top-ranked trial; Hash its parameter hash.
	Selected int    `json:"selected_trial"`
	Hash     string `json:"selected_param_hash"`
	// Periods, Sharpe, Skew and Kurtosis describe the selected trial's per-period returns
	// (Sharpe per period, not annualised; kurtosis 3 for a normal distribution).
	Periods  int        `json:"periods"`
	Sharpe   report.Num `json:"sharpe_per_period"`
	Skew     report.Num `json:"skew"`
	Kurtosis report.Num `json:"kurtosis"`
	// SharpeVariance is the variance of the trials' per-period Sharpe ratios and
	// ExpectedMax the Sharpe ratio the best of Trials skill-less trials would show.
	SharpeVariance report.Num `json:"sharpe_variance"`
	ExpectedMax    report.Num `json:"expected_max_sharpe"`
	// DSR is the Deflated Sharpe Ratio: the probability that the selected trial's edge is
	// real after the selection (0.95 or more is a discovery).
	DSR report.Num `json:"deflated_sharpe"`
	// PBO is the probability of backtest overfitting (CSCV); CSCV has the details, nil with
	// CSCVError saying why when it could not be computed (fewer than 2 trials, ...).
	PBO       report.Num       `json:"pbo"`
	CSCV      *stats.PBOResult `json:"cscv,omitempty"`
	CSCVError string           `json:"cscv_error,omitempty"`
	Verdict   string           `json:"verdict"`
}

// overfitting computes the statistics over ranked results (best first). It returns nil when
// no trial has returns.
func overfitting(ranked []TrialResult) *Overfitting {
	var with []*TrialResult
	for i := range ranked {
		if r := &ranked[i]; r.Status == "ok" && r.Returns != nil && len(r.Returns.Blocks) == OverfitBlocks {
			with = append(with, r)
		}
	}
	if len(with) == 0 {
		return nil
	}
	o := &Overfitting{Trials: len(with)}
	// The selected trial is the best ranked one that has returns: the one a user would pick.
	sel := with[0]
	var srs stats.Moments
	perf := make([][]stats.Block, len(with))
	for i, r := range with {
		if sr := r.Returns.Moments.Sharpe(); !math.IsNaN(sr) && !math.IsInf(sr, 0) {
			srs.Add(sr)
		}
		perf[i] = r.Returns.Blocks
	}
	m := &sel.Returns.Moments
	sr, v := m.Sharpe(), 0.0
	if srs.N >= 2 {
		v = srs.Std() * srs.Std()
	}
	o.Selected, o.Hash, o.Periods = sel.Index, sel.Hash, m.N
	o.Sharpe, o.Skew, o.Kurtosis = report.Num(sr), report.Num(m.Skew()), report.Num(m.Kurtosis())
	o.SharpeVariance = report.Num(v)
	o.ExpectedMax = report.Num(stats.ExpectedMaxSharpe(o.Trials, v))
	o.DSR = report.Num(stats.DeflatedSharpe(sr, m.N, m.Skew(), m.Kurtosis(), o.Trials, v))
	o.PBO = report.Num(math.NaN())
	if r, err := stats.PBO(perf); err != nil {
		o.CSCVError = err.Error()
	} else {
		o.CSCV, o.PBO = &r, report.Num(r.PBO)
	}
	o.Verdict = verdict(o)
	return o
}

// verdict is the one-line plain-language reading of the statistics. The thresholds are the
// papers': DSR 0.95 for a discovery; PBO 0.5 is a coin flip between the in-sample winner
// staying above or falling below the median out of sample.
func verdict(o *Overfitting) string {
	dsr, pbo := float64(o.DSR), float64(o.PBO)
	dsrOK, pboOK := o.DSR.Valid(), o.PBO.Valid()
	var pboText string
	switch {
	case o.Trials < 2 || !dsrOK:
		return fmt.Sprintf("too little to judge: %d trial(s) with returns and a Sharpe ratio; run more trials or on longer data", o.Trials)
	case pboOK:
		pboText = fmt.Sprintf(", PBO %.2f", pbo)
	}
	switch {
	case !(o.Sharpe > 0):
		return fmt.Sprintf("no edge: the top-ranked of %d trials has a Sharpe ratio at or below zero (%.3g per period%s)", o.Trials, float64(o.Sharpe), pboText)
	case dsr >= 0.95 && (!pboOK || pbo <= 0.2):
		if pboOK {
			pboText = fmt.Sprintf(", and the in-sample best stays above the median out of sample in %.0f%% of splits (PBO %.2f)", (1-pbo)*100, pbo)
		}
		return fmt.Sprintf("likely a real edge: the best trial beats what luck from %d trials would give (DSR %.2f)%s", o.Trials, dsr, pboText)
	case dsr < 0.5 || pboOK && pbo >= 0.5:
		if pboOK && pbo >= 0.5 {
			return fmt.Sprintf("likely luck: the best of %d trials is what chance alone would give (DSR %.2f), and the in-sample best falls to or below the median out of sample in %.0f%% of splits (PBO %.2f)",
				o.Trials, dsr, pbo*100, pbo)
		}
		return fmt.Sprintf("likely luck: the best of %d trials is what chance alone would give (DSR %.2f%s)", o.Trials, dsr, pboText)
	}
	return fmt.Sprintf("inconclusive: the best of %d trials may be partly luck (DSR %.2f, a discovery needs 0.95%s)", o.Trials, dsr, pboText)
}

// overfitCells are a sweep.csv row's per-period Sharpe ratio and its deflated Sharpe ratio
// (as if this trial were the one selected: the probability its Sharpe beats the best of the
// sweep's trials under no skill). Empty when undefined.
func overfitCells(o *Overfitting, tr *TrialReturns) []string {
	if o == nil || tr == nil {
		return []string{"", ""}
	}
	return []string{report.Num(tr.Moments.Sharpe()).String(), report.Num(o.DeflatedSharpeOf(tr)).String()}
}

// DeflatedSharpeOf is the deflated Sharpe ratio of any trial of the sweep, as if it were the
// one selected: the probability that its Sharpe ratio beats the best of o.Trials skill-less
// trials. NaN when undefined.
func (o *Overfitting) DeflatedSharpeOf(tr *TrialReturns) float64 {
	m := &tr.Moments
	return stats.DeflatedSharpe(m.Sharpe(), m.N, m.Skew(), m.Kurtosis(), o.Trials, float64(o.SharpeVariance))
}

// sweepSummary is summary.json of a sweep.
type sweepSummary struct {
	Metric      string       `json:"metric"`
	Params      []string     `json:"params"`
	Trials      int          `json:"trials"`
	Ran         int          `json:"ran"`
	Cached      int          `json:"cached"`
	Invalid     int          `json:"invalid"`
	Failed      int          `json:"failed"`
	Shard       string       `json:"shard,omitempty"`
	Overfitting *Overfitting `json:"overfitting"`
	Note        string       `json:"note,omitempty"`
}

// writeSweepSummary writes summary.json: the counts and the overfitting statistics.
func writeSweepSummary(path string, res *SweepResult, opts SweepOptions) error {
	s := sweepSummary{Metric: res.Metric, Params: res.Params, Trials: len(res.Results), Ran: res.Ran, Cached: res.Cached,
		Invalid: res.Invalid, Failed: res.Failed, Overfitting: res.Overfitting}
	if opts.Shards > 1 {
		s.Shard = fmt.Sprintf("%d/%d", opts.Shard, opts.Shards)
		s.Note = "computed on this shard's trials only; merge the shards' databases and re-run the sweep for the whole sweep's statistics"
	}
	if len(res.Windows) > 0 {
		s.Note = "a walk-forward sweep: see walkforward.csv for each window's out-of-sample result"
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("backtest: sweep summary: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("backtest: %w", err)
	}
	return nil
}

// confidenceIntervals bootstraps a backtest instance's headline metrics from its equity
// curve (the report's returns: resampled at the equity interval) and its trips, seeded by
// the run seed and the instance's position so every run of the same config reports the
// same intervals.
func confidenceIntervals(st *report.Strategy, eq []report.EquityPoint, interval time.Duration, seed uint64, instance int) *report.Intervals {
	if interval <= 0 {
		interval = record.DefaultEquityInterval
	}
	rets := report.Returns(report.Resample(eq, interval))
	b := stats.Bootstrap{Seed: seed ^ uint64(instance+1)*0x9e3779b97f4a7c15}
	r := b.Returns(rets)
	pair := func(iv stats.Interval) [2]report.Num { return [2]report.Num{report.Num(iv.Lo), report.Num(iv.Hi)} }
	nan := report.Num(math.NaN())
	ci := &report.Intervals{
		Level: r.Level, Samples: r.Samples, Block: r.Block, Seed: b.Seed,
		Method: fmt.Sprintf("circular block bootstrap of %d returns in blocks of %d; trips resampled with replacement", len(rets), r.Block),
		Return: pair(r.Return), SharpePeriod: pair(r.Sharpe), MaxDD: pair(r.MaxDrawdown), Sharpe: [2]report.Num{nan, nan},
		WinRate: pair(b.WinRate(winsOf(st), st.Trades)),
	}
	if st.Sharpe.Valid() && st.PeriodsPerYear > 0 {
		k := math.Sqrt(st.PeriodsPerYear)
		ci.Sharpe = [2]report.Num{report.Num(r.Sharpe.Lo * k), report.Num(r.Sharpe.Hi * k)}
	}
	return ci
}

// winsOf recovers the number of winning trips from the summary's win rate.
func winsOf(st *report.Strategy) int {
	if !st.WinRate.Valid() {
		return 0
	}
	return int(math.Round(float64(st.WinRate) * float64(st.Trades)))
}
