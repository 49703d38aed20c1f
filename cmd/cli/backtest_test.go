package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/report"
)

// synthTape runs "papertrade tape synth --out dir args..."; it skips the test when the tape
// command is not part of this build yet (it is developed alongside).
func synthTape(t *testing.T, dir string, args ...string) {
	t.Helper()
	if code, _, _ := runCLI(t, "tape", "synth", "--help"); code != 0 {
		t.Skip("papertrade tape synth is not available in this build")
	}
	if code, _, errs := runCLI(t, append([]string{"tape", "synth", "--out", dir}, args...)...); code != 0 {
		t.Fatalf("tape synth: exit %d: %s", code, errs)
	}
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// The example config runs as-is on a tape made by "papertrade tape synth" with its defaults,
// and every sample strategy in it trades.
func TestBacktestExampleConfigOnSynthTape(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: generates a 100k-trade tape")
	}
	dir := t.TempDir()
	synthTape(t, filepath.Join(dir, "tape"))
	code, example, errs := runCLI(t, "backtest", "--example-config")
	if code != 0 || example != config.ExampleYAML {
		t.Fatalf("--example-config: exit %d: %s", code, errs)
	}
	cfg := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(cfg, []byte(example), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, stdout, errs := runCLI(t, "backtest", "-c", cfg, "--out", out, "--log-level", "warn")
	if code != 0 {
		t.Fatalf("backtest: exit %d\n%s\n%s", code, stdout, errs)
	}
	for _, want := range []string{"strategy", "sma-btc", "bands-eth", "grid-btc", "breakout-eth", "results in " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	var sum report.Summary
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Strategies) < 3 {
		t.Fatalf("%d strategies", len(sum.Strategies))
	}
	for _, s := range sum.Strategies {
		if s.Fills == 0 || s.Fault != "" {
			t.Errorf("%s (%s): %d fills, %d rejects, fault %q", s.Name, s.Type, s.Fills, s.Rejects, s.Fault)
		}
	}
	for _, f := range []string{"report.html", "fills.csv", "orders.csv", "equity.csv", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestBacktestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("strategies:\n  - {name: a, type: nope, pairs: [BTC/USD], balances: {USD: 1}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"backtest"}, "-c/--config is required"},
		{[]string{"backtest", "-c", bad}, "bad.yaml:2:"},
		{[]string{"backtest", "-c", bad, "--from", "soon"}, "bad.yaml:2:"},
		{[]string{"backtest", "--fill-models", "lucky", "-c", bad}, "bad.yaml"},
	} {
		code, _, errs := runCLI(t, tc.args...)
		if code != ExitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, ExitUsage, tc.want)
		}
	}
}

// TestExitCodesConsistent reproduces issue 18 item 7: an unknown command exited 1 while a bad
// flag exited 2, and a backtest window with no data exited 0 in silence.
func TestExitCodesConsistent(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"no-such-command"}, ExitUsage},
		{[]string{"backtest", "--no-such-flag"}, ExitUsage},
		{[]string{"version", "extra"}, ExitUsage},
	} {
		if code, _, errs := runCLI(t, tc.args...); code != tc.want {
			t.Errorf("%v: exit %d (%s), want %d", tc.args, code, errs, tc.want)
		}
	}
	if _, out, _ := runCLI(t, "--help"); !strings.Contains(out, "Exit codes (every command)") || !strings.Contains(out, "6  finished, but incomplete") {
		t.Errorf("--help lacks the exit code table:\n%s", out)
	}
}

func TestBacktestEmptyWindowIsIncomplete(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: generates a tape")
	}
	dir := t.TempDir()
	synthTape(t, filepath.Join(dir, "tape"), "--trades", "2000")
	cfg := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(cfg, []byte(config.ExampleYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI(t, "backtest", "-c", cfg, "--out", filepath.Join(dir, "out"), "-q", "--from", "1999-01-01", "--to", "1999-01-02", "--log-level", "warn")
	if code != ExitIncomplete || !strings.Contains(errs, "no market data in the window 1999-01-01T00:00:00Z .. 1999-01-02T00:00:00Z") || !strings.Contains(errs, "tape info") {
		t.Errorf("empty window: exit %d, stderr %q; want %d and the window", code, errs, ExitIncomplete)
	}
}
