package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The README promises that a user's own module can register a strategy beside the built-ins
// and run the whole CLI from a five-line main. examples/mystrategy is that module: build it,
// run its tests, and check the binary lists its strategy next to the samples.
func TestExampleModuleBuildsAndRegistersItsStrategy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a separate module")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// Work on a copy whose replace directive points at this checkout, so that -mod=mod may
	// refresh the copy's go.sum without touching the repository.
	dir := t.TempDir()
	src := filepath.Join(repo, "examples", "mystrategy")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "go.mod" {
			b = []byte(strings.Replace(string(b), "=> ../..", "=> "+repo, 1))
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(t.TempDir(), "mystrategy")
	for _, args := range [][]string{
		{"test", "-mod=mod", "./"},
		{"build", "-mod=mod", "-o", bin, "."},
	} {
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	out, err := exec.Command(bin, "strategies").CombinedOutput()
	if err != nil {
		t.Fatalf("mystrategy strategies: %v\n%s", err, out)
	}
	for _, want := range []string{"momentum", "lookback", "smacross", "buyhold"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("strategies output lacks %q:\n%s", want, out)
		}
	}
	// The module's run.yaml (type: momentum) runs as its comment says.
	for _, args := range [][]string{
		{"tape", "synth", "--out", "tape", "--trades", "20000"},
		{"backtest", "-c", "run.yaml", "--out", "results", "-q"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mystrategy %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	sum, err := os.ReadFile(filepath.Join(dir, "results", "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sum), `"type": "momentum"`) {
		t.Errorf("summary.json has no momentum instance")
	}
}
