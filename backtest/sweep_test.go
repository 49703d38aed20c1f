package backtest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/config"
)

func loadEventsFor(t *testing.T, c *config.Config) *Events {
	t.Helper()
	evs, err := LoadEvents(context.Background(), c.Data.Path, c.Pairs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func sweep(t *testing.T, c *config.Config, evs *Events, out string, mod func(*SweepOptions)) *SweepResult {
	t.Helper()
	o := SweepOptions{Config: c, Registry: testRegistry(), Events: evs, Out: out, Version: "test"}
	if mod != nil {
		mod(&o)
	}
	res, err := Sweep(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestTrialsGridAndRandom(t *testing.T) {
	c := loadConfig(t, "testdata/sweep.yaml")
	trials, err := Trials(c)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range trials {
		got = append(got, fmt.Sprintf("%d %v %s", tr.Index, tr.Values, tr.Params))
	}
	want := []string{
		"0 [2 10] bps=2 size=0.02 ttl=10", "1 [2 30] bps=2 size=0.02 ttl=30",
		"2 [4 10] bps=4 size=0.02 ttl=10", "3 [4 30] bps=4 size=0.02 ttl=30",
		"4 [6 10] bps=6 size=0.02 ttl=10", "5 [6 30] bps=6 size=0.02 ttl=30",
	}
	if !slices.Equal(got, want) {
		t.Errorf("grid:\n%v\nwant\n%v", got, want)
	}
	// Random: distinct draws, deterministic for the seed, capped by the grid size.
	c.Sweep.Method, c.Sweep.Trials = "random", 4
	a, _ := Trials(c)
	b, _ := Trials(c)
	if len(a) != 4 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("random trials %v / %v", a, b)
	}
	seen := map[string]bool{}
	for _, tr := range a {
		if seen[tr.Hash] {
			t.Errorf("duplicate trial %v", tr.Params)
		}
		seen[tr.Hash] = true
	}
	c.Sweep.Trials = 100
	if all, _ := Trials(c); len(all) != 6 {
		t.Errorf("random with more trials than the grid: %d, want 6", len(all))
	}
	c.Sweep.Seed++
	if other, _ := Trials(c); fmt.Sprint(other[:4]) == fmt.Sprint(a) {
		t.Error("another seed drew the same trials")
	}
	// Shards partition the trials.
	var union []int
	for i := range 3 {
		for _, tr := range Shard(trials, i, 3) {
			union = append(union, tr.Index)
		}
	}
	slices.Sort(union)
	if !slices.Equal(union, []int{0, 1, 2, 3, 4, 5}) {
		t.Errorf("shards cover %v", union)
	}
}

func TestSweepRankResumeShard(t *testing.T) {
	c := loadConfig(t, "testdata/sweep.yaml")
	evs := loadEventsFor(t, c)
	out := filepath.Join(t.TempDir(), "sw")
	res := sweep(t, c, evs, out, nil)
	if res.Ran != 5 || res.Invalid != 1 || res.Cached != 0 || len(res.Results) != 6 {
		t.Fatalf("ran %d invalid %d cached %d results %d", res.Ran, res.Invalid, res.Cached, len(res.Results))
	}
	// Ranked by return, best first; the invalid trial last.
	for i := 1; i < 5; i++ {
		if res.Results[i].Metric > res.Results[i-1].Metric {
			t.Errorf("rank %d (%v) above rank %d (%v)", i, res.Results[i].Metric, i-1, res.Results[i-1].Metric)
		}
	}
	if last := res.Results[5]; last.Status != "invalid" || last.Values[0] != "6" || last.Values[1] != "10" {
		t.Errorf("last %+v", last)
	}
	csv1, err := os.ReadFile(filepath.Join(out, "sweep.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join(out, "sweep.csv"))
	if len(rows) != 7 || rows[0][8] != "bps" || rows[0][9] != "ttl" || rows[1][0] != "1" {
		t.Errorf("sweep.csv %v", rows[:2])
	}

	// A trial's result is the result of a backtest of the same parameters.
	best := res.Results[0]
	bc := loadConfig(t, "testdata/sweep.yaml")
	bc.Strategies[0].Params = best.Params
	br, err := Run(context.Background(), Options{Config: bc, Registry: testRegistry(), Events: evs})
	if err != nil {
		t.Fatal(err)
	}
	bs := br.Summary.Strategies[0]
	bs.CI = nil // a backtest bootstraps confidence intervals; sweep trials do not (they would cost each trial 1000 resamples)
	if got, want := fmt.Sprintf("%+v", *best.Summary), fmt.Sprintf("%+v", bs); got != want {
		t.Errorf("trial summary differs from the backtest:\n%s\n%s", got, want)
	}

	// A re-run finds every trial in the database and writes the same ranking.
	again := sweep(t, c, evs, out, nil)
	if again.Ran != 0 || again.Cached != 6 {
		t.Errorf("re-run: ran %d cached %d", again.Ran, again.Cached)
	}
	csv2, _ := os.ReadFile(filepath.Join(out, "sweep.csv"))
	if !bytes.Equal(bytes.ReplaceAll(csv2, []byte(",true,"), []byte(",false,")), csv1) {
		t.Errorf("re-run sweep.csv differs:\n%s\n%s", csv1, csv2)
	}

	// Two shards into their own databases give the same results as the whole sweep.
	byHash := map[string]float64{}
	for _, r := range res.Results {
		byHash[r.Hash] = r.Metric
	}
	got := map[string]float64{}
	for i := range 2 {
		sr := sweep(t, c, evs, filepath.Join(t.TempDir(), "shard"), func(o *SweepOptions) { o.Shard, o.Shards = i, 2 })
		if len(sr.Results) != 3 {
			t.Errorf("shard %d: %d trials", i, len(sr.Results))
		}
		for _, r := range sr.Results {
			if _, dup := got[r.Hash]; dup {
				t.Errorf("trial %s in two shards", r.Hash)
			}
			got[r.Hash] = r.Metric
		}
	}
	for h, m := range byHash {
		if g, ok := got[h]; !ok || !(g == m || math.IsNaN(g) && math.IsNaN(m)) {
			t.Errorf("trial %s: shard metric %v, whole sweep %v", h, g, m)
		}
	}
}

// Walk-forward: each window's optimisation replays only the events received inside its
// training range, and its test run only its test range; a window's training results do not
// change when everything after the window's training data is removed.
func TestWalkForwardSeesOnlyItsWindow(t *testing.T) {
	c := loadConfig(t, "testdata/sweep.yaml")
	evs := loadEventsFor(t, c)
	wf := &config.WalkForward{Train: 40 * time.Minute, Test: 20 * time.Minute}
	type seen struct {
		t           Trial
		first, last time.Time
	}
	var mu sync.Mutex
	var log []seen
	res := sweep(t, c, evs, filepath.Join(t.TempDir(), "wf"), func(o *SweepOptions) {
		o.WalkForward = wf
		o.TrialSeen = func(tr Trial, first, last time.Time) {
			mu.Lock()
			log = append(log, seen{tr, first, last})
			mu.Unlock()
		}
	})
	first, last := evs.Span()
	wins := Windows(first, last, *wf)
	if len(wins) < 3 || len(res.Windows) != len(wins) {
		t.Fatalf("%d windows, %d results (span %s to %s)", len(wins), len(res.Windows), first, last)
	}
	if len(log) == 0 {
		t.Fatal("no trial ran")
	}
	for _, s := range log {
		w := wins[s.t.Window]
		lo, hi := w[0], w[1]
		if s.t.Phase == "test" {
			lo, hi = w[2], w[3]
		}
		if s.first.Before(lo) || !s.last.Before(hi) {
			t.Errorf("window %d %s trial %d saw %s..%s, outside [%s, %s)", s.t.Window, s.t.Phase, s.t.Index, s.first, s.last, lo, hi)
		}
	}
	for _, w := range res.Windows {
		if w.Best == nil || w.Test == nil || w.Test.Summary == nil {
			t.Errorf("window %d: best %v test %v", w.Window, w.Best, w.Test)
		}
	}
	// Cut the data at the end of window k's training range (k = 1, 2): the windows before k
	// keep their training ranges whole, so they must pick the same parameters with the same
	// training metric as with all the data.
	for k := 1; k <= 2; k++ {
		cut := &Events{files: evs.files}
		lo, hi := evs.index(time.Time{}, wins[k][1])
		for i := lo; i < hi; i++ {
			cut.Add(eventAt(evs, i))
		}
		res2 := sweep(t, c, cut, filepath.Join(t.TempDir(), "wf2"), func(o *SweepOptions) { o.WalkForward = wf })
		if len(res2.Windows) != k {
			t.Fatalf("cut at window %d: %d windows", k, len(res2.Windows))
		}
		for w := range k {
			a, b := res.Windows[w].Best, res2.Windows[w].Best
			if a == nil || b == nil || a.Hash != b.Hash || a.Metric != b.Metric {
				t.Errorf("cut at window %d: window %d trains differently without the later data: %+v vs %+v", k, w, a, b)
			}
		}
	}
}
