package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiffCommand(t *testing.T) {
	dir, cfg := writeSweepSetup(t)
	run := func(name string, extra ...string) string {
		out := filepath.Join(dir, name)
		args := append([]string{"backtest", "-c", cfg, "--out", out, "-q", "--log-level", "warn"}, extra...)
		if code, _, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("backtest %s: %s", name, errs)
		}
		return out
	}
	a, b := run("a"), run("b")
	code, stdout, _ := runCLI(t, "diff", a, b)
	if code != 0 || !strings.Contains(stdout, "results: identical") || !strings.Contains(stdout, "inputs: identical") {
		t.Errorf("identical runs: exit %d\n%s", code, stdout)
	}
	text, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(text), "seed: 1", "seed: 1\nlatency: 500ms", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	c := run("c")
	code, stdout, _ = runCLI(t, "diff", a, c)
	if code != 1 || !strings.Contains(stdout, "config latency: (unset) → 500ms") || !strings.Contains(stdout, "(first divergence)") {
		t.Errorf("different latency: exit %d\n%s", code, stdout)
	}
	if code, _, errs := runCLI(t, "diff", a); code != ExitUsage || !strings.Contains(errs, "two result directories") {
		t.Errorf("one argument: exit %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "diff", a, dir); code != ExitUsage || !strings.Contains(errs, "not a results directory") {
		t.Errorf("not a result: exit %d %s", code, errs)
	}
}
