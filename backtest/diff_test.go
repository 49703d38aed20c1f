package backtest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runVariant runs the golden backtest with one line of the config replaced.
func runVariant(t *testing.T, old, new string) string {
	t.Helper()
	b, err := os.ReadFile(goldenConfig)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if old != "" {
		if !strings.Contains(text, old) {
			t.Fatalf("config has no %q", old)
		}
		text = strings.Replace(text, old, new, 1)
	}
	abs, _ := filepath.Abs(goldenTape)
	text = strings.Replace(text, "path: tape", "path: "+abs, 1)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if _, err := Run(context.Background(), Options{Config: loadConfig(t, cfg), Registry: testRegistry(), Out: out, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDiff(t *testing.T) {
	base := runVariant(t, "", "")
	for _, tc := range []struct {
		name      string
		old, new  string
		inputs    string // a line of the inputs section
		strategy  string
		cause     string
		identical bool
	}{
		{name: "same", identical: true},
		{name: "latency", old: "latency: 50ms", new: "latency: 400ms", inputs: "config latency: 50ms → 400ms", strategy: "flip-btc", cause: "latency/time"},
		{name: "fees", old: "slippage_bps: 2", new: "slippage_bps: 2\nfees: {maker: 0.1, taker: 0.2}", inputs: "config fees.maker: (unset) → 0.1", strategy: "flip-btc", cause: "fee"},
		{name: "signal", old: "every: 30", new: "every: 31", inputs: "config strategies[0].params.every: 30 → 31", strategy: "flip-btc", cause: "signal/order"},
		{name: "model", old: "slippage_bps: 2", new: "slippage_bps: 2\nfill_model: pessimistic", inputs: "config fill_model: (unset) → pessimistic", strategy: "maker-both", cause: "model"},
		// The tape has books, so market orders walk the book: slippage (which applies to
		// next-trade fills without a book) changes the inputs but not one fill.
		{name: "slippage", old: "slippage_bps: 2", new: "slippage_bps: 9", inputs: "config slippage_bps: 2 → 9", identical: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other := runVariant(t, tc.old, tc.new)
			d, err := DiffRuns(base, other)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := d.Write(&out); err != nil {
				t.Fatal(err)
			}
			if d.Same() != tc.identical {
				t.Fatalf("Same() = %v:\n%s", d.Same(), out.String())
			}
			if tc.identical {
				if (len(d.Inputs) == 0) != (tc.old == "") || !strings.Contains(out.String(), "results: identical") {
					t.Errorf("identical runs:\n%s", out.String())
				}
				return
			}
			if !strings.Contains(out.String(), tc.inputs) {
				t.Errorf("inputs lack %q:\n%s", tc.inputs, out.String())
			}
			for _, s := range d.Strategies {
				if s.Name != tc.strategy {
					continue
				}
				first := s.First()
				if first == nil || first.Cause != tc.cause {
					t.Errorf("%s: first divergence %+v, want cause %s\n%s", s.Name, first, tc.cause, out.String())
				}
			}
		})
	}
}

func TestDiffErrors(t *testing.T) {
	if _, err := DiffRuns(t.TempDir(), t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a results directory") {
		t.Errorf("err = %v", err)
	}
}
