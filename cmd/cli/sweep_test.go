package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeSweepSetup writes a sweep config over the SMA crossover on the backtest package's
// committed synthetic tape (6000 trades, about 2.4 hours of BTC/USD and ETH/USD).
func writeSweepSetup(t *testing.T) (dir, cfg string) {
	t.Helper()
	dir = t.TempDir()
	tape, err := filepath.Abs(filepath.Join("..", "..", "backtest", "testdata", "tape"))
	if err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(dir, "sweep.yaml")
	err = os.WriteFile(cfg, []byte(`seed: 1
data: {path: `+tape+`}
strategies:
  - name: sma
    type: smacross
    pairs: [BTC/USD]
    balances: {USD: "10000"}
    params: {interval: 1m, fast: 5, slow: 20}
sweep:
  strategy: sma
  metric: return
  params:
    fast: [5, 10]
    slow: [20, 30]
  parallel: 2
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return dir, cfg
}

func TestSweepCommand(t *testing.T) {
	dir, cfg := writeSweepSetup(t)
	out := filepath.Join(dir, "out")
	code, stdout, errs := runCLI(t, "sweep", "-c", cfg, "--out", out, "--log-level", "warn")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, errs)
	}
	for _, want := range []string{"rank", "fast", "slow", "dsr", "4 trials: 4 ran, 0 cached", "sweep.csv, summary.json, sweep.db",
		"overfitting over 4 trials: deflated sharpe ", "\nverdict: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "sweep.csv"))
	if err != nil || strings.Count(string(b), "\n") != 5 {
		t.Errorf("sweep.csv (%v):\n%s", err, b)
	}
	for i, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "verdict") || strings.HasPrefix(line, "  ") {
			if n := len([]rune(line)); n > 100 {
				t.Errorf("line %d is %d columns, want at most 100: %q", i+1, n, line)
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "summary.json")); err != nil || !strings.Contains(string(b), `"verdict": "`) {
		t.Errorf("summary.json (%v):\n%s", err, b)
	}
	// Resumed: nothing runs again.
	_, stdout, _ = runCLI(t, "sweep", "-c", cfg, "--out", out, "--log-level", "warn")
	if !strings.Contains(stdout, "0 ran, 4 cached") {
		t.Errorf("re-run:\n%s", stdout)
	}
	// A shard, by flag and by JOB_COMPLETION_INDEX.
	_, stdout, _ = runCLI(t, "sweep", "-c", cfg, "--out", filepath.Join(dir, "s1"), "--shard", "1/2", "--log-level", "warn")
	if !strings.Contains(stdout, "2 trials (shard 1/2): 2 ran") {
		t.Errorf("--shard 1/2:\n%s", stdout)
	}
	t.Setenv("JOB_COMPLETION_INDEX", "0")
	_, stdout, _ = runCLI(t, "sweep", "-c", cfg, "--out", filepath.Join(dir, "s0"), "--shards", "2", "--log-level", "warn")
	if !strings.Contains(stdout, "2 trials (shard 0/2)") {
		t.Errorf("--shards 2 with JOB_COMPLETION_INDEX=0:\n%s", stdout)
	}
}

func TestSweepWalkForwardCommand(t *testing.T) {
	dir, cfg := writeSweepSetup(t)
	out := filepath.Join(dir, "wf")
	code, stdout, errs := runCLI(t, "sweep", "-c", cfg, "--out", out, "--walk-forward", "train=40m,test=20m", "--log-level", "warn")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, errs)
	}
	// (The test tape's 20-minute windows are too flat for a per-period Sharpe ratio, so the
	// degradation line is not printed here; backtest's TestDegradation covers it.)
	if !strings.Contains(stdout, "window") || !strings.Contains(stdout, "walkforward.csv") {
		t.Errorf("output:\n%s", stdout)
	}
	b, err := os.ReadFile(filepath.Join(out, "walkforward.csv"))
	if err != nil || !strings.Contains(string(b), ",train_sharpe_per_period,test_sharpe_per_period,sharpe_degradation\n") {
		t.Errorf("walkforward.csv (%v):\n%s", err, b)
	}
}

func TestParseShardAndWalkForward(t *testing.T) {
	for _, tc := range []struct {
		shard  string
		shards int
		env    string
		i, n   int
		bad    bool
	}{
		{"", 0, "", 0, 1, false},
		{"2/4", 0, "", 2, 4, false},
		{"4/4", 0, "", 0, 0, true},
		{"x", 0, "", 0, 0, true},
		{"", 3, "1", 1, 3, false},
		{"", 3, "3", 0, 0, true},
		{"", 3, "", 0, 0, true},
		{"", 0, "2", 0, 0, true},
	} {
		if tc.env != "" {
			t.Setenv("JOB_COMPLETION_INDEX", tc.env)
		} else {
			os.Unsetenv("JOB_COMPLETION_INDEX")
		}
		i, n, err := parseShard(tc.shard, tc.shards)
		if (err != nil) != tc.bad || !tc.bad && (i != tc.i || n != tc.n) {
			t.Errorf("parseShard(%q, %d) env %q = %d, %d, %v", tc.shard, tc.shards, tc.env, i, n, err)
		}
	}
	wf, err := parseWalkForward("train=30d,test=7d")
	if err != nil || wf.Train != 30*24*time.Hour || wf.Test != 7*24*time.Hour {
		t.Errorf("parseWalkForward = %+v, %v", wf, err)
	}
	for _, bad := range []string{"train=30d", "train=x,test=1d", "train=1d,test=1d,foo=1d", "test=0s,train=1d"} {
		if _, err := parseWalkForward(bad); err == nil {
			t.Errorf("parseWalkForward(%q) accepted", bad)
		}
	}
}

// The README's sweep example names sweep.yaml: --example-config makes it (issue 18 item 6).
func TestSweepExampleConfig(t *testing.T) {
	code, out, errs := runCLI(t, "sweep", "--example-config")
	if code != 0 || !strings.Contains(out, "\nsweep:\n") {
		t.Fatalf("sweep --example-config: exit %d, %s\n%s", code, errs, out)
	}
}
