package backtest

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/report"
)

// Windows lays out walk-forward windows over [first, last]: training on [t, t+train),
// testing on [t+train, t+train+test), then t moves on by test. Only whole windows are
// returned; the last one may end after last (its test data simply stops).
func Windows(first, last time.Time, wf config.WalkForward) [][4]time.Time {
	var out [][4]time.Time
	if wf.Train <= 0 || wf.Test <= 0 || !last.After(first) {
		return nil
	}
	for t := first; t.Add(wf.Train).Before(last); t = t.Add(wf.Test) {
		out = append(out, [4]time.Time{t, t.Add(wf.Train), t.Add(wf.Train), t.Add(wf.Train + wf.Test)})
		if len(out) >= 10000 {
			break
		}
	}
	return out
}

// walkForward runs, for each window, every trial on its training data, picks the best by
// the metric, and runs that one on the test data. A window's optimisation replays only the
// events received inside its training range (Events.replay cuts by receive time), so it
// cannot see the test data or anything later.
func (s *sweeper) walkForward(ctx context.Context, trials []Trial, wf config.WalkForward, from, to time.Time, res *SweepResult) error {
	first, last := s.evs.Span()
	if !from.IsZero() && from.After(first) {
		first = from
	}
	if !to.IsZero() && to.Before(last) {
		last = to
	}
	wins := Windows(first, last, wf)
	if len(wins) == 0 {
		return fmt.Errorf("backtest: walk-forward: the data (%s to %s) is shorter than one training window (%s)", formatTime(first), formatTime(last), wf.Train)
	}
	for w, win := range wins {
		train := make([]Trial, len(trials))
		for i, t := range trials {
			t.Window, t.Phase, t.From, t.To = w, "train", win[0], win[1]
			train[i] = t
		}
		rs, err := s.run(ctx, train)
		if err != nil {
			return err
		}
		ranked := s.rank(rs)
		wr := WindowResult{Window: w, TrainFrom: win[0], TrainTo: win[1], TestFrom: win[2], TestTo: win[3], TrainTrials: len(rs)}
		for _, r := range rs {
			if r.Status == "ok" {
				wr.TrainValid++
			}
			if r.Cached {
				wr.Cached++
			}
		}
		res.Results = append(res.Results, ranked...)
		if len(ranked) > 0 && ranked[0].Status == "ok" && !math.IsNaN(ranked[0].Metric) {
			best := ranked[0]
			wr.Best = &best
			t := best.Trial
			t.Phase, t.From, t.To = "test", win[2], win[3]
			trs, err := s.run(ctx, []Trial{t})
			if err != nil {
				return err
			}
			wr.Test = &trs[0]
			res.Results = append(res.Results, trs[0])
		}
		res.Windows = append(res.Windows, wr)
	}
	return nil
}

var metricColumns = []string{"return", "cagr", "sharpe", "sortino", "calmar", "max_drawdown", "profit_factor", "win_rate", "expectancy", "trades", "fees", "final_equity"}

func metricCells(s *report.Strategy) []string {
	out := make([]string, len(metricColumns))
	if s == nil {
		return out
	}
	for i, m := range metricColumns {
		switch m {
		case "expectancy":
			out[i] = s.Expectancy
		case "fees":
			out[i] = s.Fees
		case "final_equity":
			out[i] = s.FinalEquity
		case "trades":
			out[i] = strconv.Itoa(s.Trades)
		default:
			if v := metricOf(s, m); !math.IsNaN(v) {
				out[i] = report.Num(v).String()
			}
		}
	}
	return out
}

// writeSweepCSV writes sweep.csv: one row per trial, ranked (walk-forward: per window, train
// trials ranked, then the test run of the best).
func writeSweepCSV(path string, res *SweepResult, params []config.SweepParam) error {
	return writeCSV(path, func(w *csv.Writer) error {
		head := []string{"rank", "window", "phase", "data_from", "data_to", "trial", "param_hash", "status"}
		for _, p := range params {
			head = append(head, p.Name)
		}
		head = append(append(head, metricColumns...), "sharpe_per_period", "deflated_sharpe", "cached", "error")
		if err := w.Write(head); err != nil {
			return err
		}
		rank, window, phase := 0, math.MinInt, ""
		for _, r := range res.Results {
			if r.Window != window || r.Phase != phase {
				rank, window, phase = 0, r.Window, r.Phase
			}
			rank++
			row := []string{strconv.Itoa(rank), strconv.Itoa(r.Window), r.Phase, formatTime(r.From), formatTime(r.To),
				strconv.Itoa(r.Index), r.Hash, r.Status}
			row = append(row, r.Values...)
			row = append(append(row, metricCells(r.Summary)...), overfitCells(res.Overfitting, r.Returns)...)
			row = append(row, strconv.FormatBool(r.Cached), r.Err)
			if err := w.Write(row); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeWalkForwardCSV writes walkforward.csv: per window, the best training parameters, their
// training metric and their test results.
func writeWalkForwardCSV(path string, res *SweepResult, params []config.SweepParam) error {
	return writeCSV(path, func(w *csv.Writer) error {
		head := []string{"window", "train_from", "train_to", "test_from", "test_to", "trials", "valid", "best_hash"}
		for _, p := range params {
			head = append(head, p.Name)
		}
		head = append(head, "train_"+res.Metric)
		for _, m := range metricColumns {
			head = append(head, "test_"+m)
		}
		head = append(head, "train_sharpe_per_period", "test_sharpe_per_period", "sharpe_degradation")
		if err := w.Write(head); err != nil {
			return err
		}
		for _, wr := range res.Windows {
			row := []string{strconv.Itoa(wr.Window), formatTime(wr.TrainFrom), formatTime(wr.TrainTo), formatTime(wr.TestFrom), formatTime(wr.TestTo),
				strconv.Itoa(wr.TrainTrials), strconv.Itoa(wr.TrainValid)}
			if wr.Best == nil {
				row = append(row, "")
				row = append(row, make([]string, len(params)+1+len(metricColumns))...)
			} else {
				row = append(row, wr.Best.Hash)
				row = append(row, wr.Best.Values...)
				row = append(row, report.Num(wr.Best.Metric).String())
				var ts *report.Strategy
				if wr.Test != nil {
					ts = wr.Test.Summary
				}
				row = append(row, metricCells(ts)...)
			}
			is, oos := wr.Sharpes()
			row = append(row, report.Num(is).String(), report.Num(oos).String(), report.Num(oos-is).String())
			if err := w.Write(row); err != nil {
				return err
			}
		}
		return nil
	})
}

func writeCSV(path string, fill func(*csv.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("backtest: %w", err)
	}
	b := bufio.NewWriter(f)
	w := csv.NewWriter(b)
	err = fill(w)
	w.Flush()
	if err := errors.Join(err, w.Error(), b.Flush(), f.Close()); err != nil {
		return fmt.Errorf("backtest: writing %s: %w", path, err)
	}
	return nil
}

// Sharpes are the per-period Sharpe ratios of the window's best trial in sample (training)
// and out of sample (test); NaN when undefined. Per period, so windows of different lengths
// compare: the drop from the first to the second is how much of the optimised result was
// fitted to the training data.
func (w *WindowResult) Sharpes() (inSample, outOfSample float64) {
	inSample, outOfSample = math.NaN(), math.NaN()
	if w.Best != nil && w.Best.Summary != nil {
		inSample = float64(w.Best.Summary.SharpePeriod)
	}
	if w.Test != nil && w.Test.Summary != nil {
		outOfSample = float64(w.Test.Summary.SharpePeriod)
	}
	return inSample, outOfSample
}

// Degradation summarises walk-forward windows: the mean per-period Sharpe ratio of the
// windows' best trials in sample and out of sample, over the windows where both are
// defined (n). A large drop says the optimisation fits noise.
func Degradation(ws []WindowResult) (inSample, outOfSample float64, n int) {
	for i := range ws {
		is, oos := ws[i].Sharpes()
		if math.IsNaN(is) || math.IsNaN(oos) || math.IsInf(is, 0) || math.IsInf(oos, 0) {
			continue
		}
		inSample += is
		outOfSample += oos
		n++
	}
	if n == 0 {
		return math.NaN(), math.NaN(), 0
	}
	return inSample / float64(n), outOfSample / float64(n), n
}
