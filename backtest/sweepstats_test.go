package backtest

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine/report"
)

// equityWalk is an equity curve sampled every minute: 10,000 compounding returns of
// N(edge, 1%) each.
func equityWalk(rng *rand.Rand, n int, edge float64) []report.EquityPoint {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	eq := make([]report.EquityPoint, n+1)
	v := 10000.0
	for i := range eq {
		eq[i] = report.EquityPoint{Time: t0.Add(time.Duration(i) * time.Minute), Equity: decimal.NewFromFloat(v).Round(8)}
		v *= 1 + edge + 0.01*rng.NormFloat64()
	}
	return eq
}

// rankedTrials builds n ok trials from equity curves (planted of them with edge) and ranks
// them by return, as a sweep ranked by return would.
func rankedTrials(rng *rand.Rand, n, planted int, edge float64) []TrialResult {
	rs := make([]TrialResult, n)
	for i := range rs {
		e := 0.0
		if i < planted {
			e = edge
		}
		eq := equityWalk(rng, 1600, e)
		first, last := eq[0].Equity.InexactFloat64(), eq[len(eq)-1].Equity.InexactFloat64()
		rs[i] = TrialResult{Trial: Trial{Index: i}, Status: "ok", Metric: last/first - 1, Returns: trialReturns(eq, time.Minute)}
	}
	s := &sweeper{}
	return s.rank(rs)
}

// TestOverfittingNoiseAndEdge: the sweep's wiring (equity curve -> resampled returns ->
// blocks and moments -> statistics of the top-ranked trial) on synthetic sweeps. Fifty
// pure-noise strategies ranked by return are called luck; three with a planted edge among
// them are called a real edge.
func TestOverfittingNoiseAndEdge(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	noise := overfitting(rankedTrials(rng, 50, 0, 0))
	if noise == nil || noise.Trials != 50 || noise.Periods != 1600 {
		t.Fatalf("noise: %+v", noise)
	}
	if float64(noise.PBO) < 0.3 || float64(noise.DSR) > 0.95 || !strings.HasPrefix(noise.Verdict, "likely luck") {
		t.Errorf("noise sweep: PBO %v DSR %v verdict %q; want PBO high, DSR below 0.95, 'likely luck'", noise.PBO, noise.DSR, noise.Verdict)
	}
	edge := overfitting(rankedTrials(rng, 50, 3, 0.0015))
	if edge == nil || edge.Selected > 2 {
		t.Fatalf("edge: selected %+v, want one of the planted trials 0-2", edge)
	}
	if float64(edge.PBO) > 0.05 || float64(edge.DSR) < 0.95 || !strings.HasPrefix(edge.Verdict, "likely a real edge") {
		t.Errorf("planted edge: PBO %v DSR %v verdict %q; want PBO low, DSR above 0.95, 'likely a real edge'", edge.PBO, edge.DSR, edge.Verdict)
	}
	t.Logf("noise: %s\nedge: %s", noise.Verdict, edge.Verdict)
}

func TestOverfittingTooLittle(t *testing.T) {
	short := equityWalk(rand.New(rand.NewPCG(1, 1)), 10, 0)
	if tr := trialReturns(short, time.Minute); tr != nil {
		t.Errorf("10 returns summarised into %d blocks; want nil (fewer than 2 a block)", len(tr.Blocks))
	}
	if o := overfitting([]TrialResult{{Status: "invalid"}, {Status: "ok"}}); o != nil {
		t.Errorf("no trial with returns: %+v", o)
	}
	one := rankedTrials(rand.New(rand.NewPCG(2, 2)), 1, 0, 0)
	o := overfitting(one)
	if o == nil || !strings.HasPrefix(o.Verdict, "too little to judge") || o.CSCV != nil || o.CSCVError == "" {
		t.Errorf("one trial: %+v", o)
	}
	if _, err := json.Marshal(o); err != nil {
		t.Errorf("undefined statistics must marshal (as null): %v", err)
	}
}

// TestSweepWritesOverfitting: a real sweep writes the statistics to summary.json and the
// per-trial columns to sweep.csv, and a re-run from the results database (every trial
// cached) gives the same statistics: the returns summaries are stored with the trials.
func TestSweepWritesOverfitting(t *testing.T) {
	c := loadConfig(t, "testdata/sweep.yaml")
	c.EquityInterval = time.Minute
	evs := loadEventsFor(t, c)
	out := filepath.Join(t.TempDir(), "sw")
	res := sweep(t, c, evs, out, nil)
	o := res.Overfitting
	if o == nil {
		t.Fatal("no overfitting statistics")
	}
	if o.Trials != 5 || o.Selected != res.Results[0].Index || o.Verdict == "" {
		t.Errorf("overfitting %+v; want 5 trials, the top-ranked trial %d selected, a verdict", o, res.Results[0].Index)
	}
	read := func() (map[string]any, []byte) {
		b, err := os.ReadFile(filepath.Join(out, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m["overfitting"].(map[string]any), b
	}
	first, b1 := read()
	if first["verdict"] != o.Verdict || first["trials"] != 5.0 {
		t.Errorf("summary.json overfitting %v", first)
	}
	rows := readCSV(t, filepath.Join(out, "sweep.csv"))
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if _, ok := col["deflated_sharpe"]; !ok {
		t.Fatalf("sweep.csv header %v: no deflated_sharpe", rows[0])
	}
	if got := rows[1][col["deflated_sharpe"]]; got != o.DSR.String() {
		t.Errorf("top row deflated_sharpe %q, summary %q", got, o.DSR.String())
	}
	again := sweep(t, c, evs, out, nil)
	if again.Cached != 6 {
		t.Fatalf("re-run cached %d, want 6 (5 ok, 1 invalid)", again.Cached)
	}
	_, b2 := read()
	norm := func(b []byte) []byte {
		b = bytes.Replace(b, []byte(`"ran": 5`), []byte(`"ran": 0`), 1)
		return bytes.Replace(b, []byte(`"cached": 0`), []byte(`"cached": 6`), 1)
	}
	if !bytes.Equal(norm(b1), b2) {
		t.Errorf("re-run summary.json differs:\n%s\n%s", b1, b2)
	}
	if math.IsNaN(float64(again.Overfitting.DSR)) != math.IsNaN(float64(o.DSR)) {
		t.Error("re-run DSR definedness differs")
	}
	t.Logf("%s", b1)
}

func TestVerdict(t *testing.T) {
	nan := report.Num(math.NaN())
	tests := []struct {
		trials       int
		sr, dsr, pbo report.Num
		want         string
	}{
		{1, 0.1, 0.6, nan, "too little to judge: 1 trial(s)"},
		{10, 0.1, nan, 0.3, "too little to judge: 10 trial(s)"},
		{10, -0.01, 0.0, 0.3, "no edge: the top-ranked of 10 trials has a Sharpe ratio at or below zero (-0.01 per period, PBO 0.30)"},
		{10, 0.1, 0.97, 0.1, "likely a real edge: the best trial beats what luck from 10 trials would give (DSR 0.97), and the in-sample best stays above the median out of sample in 90% of splits (PBO 0.10)"},
		{10, 0.1, 0.97, 0.4, "inconclusive: the best of 10 trials may be partly luck (DSR 0.97, a discovery needs 0.95, PBO 0.40)"},
		{10, 0.1, 0.7, 0.6, "likely luck: the best of 10 trials is what chance alone would give (DSR 0.70), and the in-sample best falls to or below the median out of sample in 60% of splits (PBO 0.60)"},
		{10, 0.1, 0.3, 0.1, "likely luck: the best of 10 trials is what chance alone would give (DSR 0.30, PBO 0.10)"},
		{10, 0.1, 0.99, nan, "likely a real edge: the best trial beats what luck from 10 trials would give (DSR 0.99)"},
	}
	for _, tt := range tests {
		got := verdict(&Overfitting{Trials: tt.trials, Sharpe: tt.sr, DSR: tt.dsr, PBO: tt.pbo})
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("verdict(trials %d, sr %v, dsr %v, pbo %v) = %q, want %q", tt.trials, tt.sr, tt.dsr, tt.pbo, got, tt.want)
		}
	}
}

// TestConfidenceIntervalsSeeded: the same equity, trips and seed give the same intervals;
// another instance of the run draws its own.
func TestConfidenceIntervalsSeeded(t *testing.T) {
	eq := equityWalk(rand.New(rand.NewPCG(3, 3)), 500, 0.0002)
	st := &report.Strategy{Trades: 40, WinRate: 0.55, Sharpe: report.Num(math.NaN())}
	a := confidenceIntervals(st, eq, time.Minute, 5, 0)
	b := confidenceIntervals(st, eq, time.Minute, 5, 0)
	c := confidenceIntervals(st, eq, time.Minute, 5, 1)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	jc, _ := json.Marshal(c)
	if !bytes.Equal(ja, jb) || bytes.Equal(ja, jc) {
		t.Errorf("same seed and instance:\n%s\n%s\nother instance:\n%s", ja, jb, jc)
	}
	if !(a.WinRate[0] < 0.55 && 0.55 < a.WinRate[1]) || a.Sharpe[0].Valid() || a.Block != 8 {
		t.Errorf("intervals %s: want win rate around 0.55, no annualised Sharpe (short run), blocks of 8", ja)
	}
}

func TestDegradation(t *testing.T) {
	win := func(is, oos float64) WindowResult {
		return WindowResult{Best: &TrialResult{Summary: &report.Strategy{SharpePeriod: report.Num(is)}},
			Test: &TrialResult{Summary: &report.Strategy{SharpePeriod: report.Num(oos)}}}
	}
	ws := []WindowResult{win(0.2, 0.05), win(0.1, -0.05), win(math.NaN(), 0.3), {Best: &TrialResult{}}}
	is, oos, n := Degradation(ws)
	if n != 2 || math.Abs(is-0.15) > 1e-12 || math.Abs(oos-0) > 1e-12 {
		t.Errorf("Degradation = %g, %g over %d windows; want 0.15, 0 over 2 (undefined windows skipped)", is, oos, n)
	}
	if _, _, n := Degradation(nil); n != 0 {
		t.Errorf("no windows: n %d", n)
	}
}
