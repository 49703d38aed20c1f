package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/engine/report"
)

// The demo runs offline in one command, serves its dashboard, writes its report, and its
// session replays to the same fills.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a 6 s demo")
	}
	out := filepath.Join(t.TempDir(), "demo")
	code, stdout, errs := runCLI(t, "demo", "--duration", "6s", "--out", out, "--status", "2s", "--log-level", "warn")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, stdout, errs)
	}
	t.Log(stdout)
	if !regexp.MustCompile(`dashboard: http://127\.0\.0\.1:\d+/`).MatchString(stdout) {
		t.Error("no dashboard URL printed")
	}
	for _, want := range []string{"sma-btc", "grid-eth", "hodl-sol", "report: " + filepath.Join(out, "report.html")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, f := range []string{"report.html", "summary.json", "demo.db", "demo.yaml"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s report.Summary
	if err := json.Unmarshal(b, &s); err != nil || s.Run.Mode != "demo" || len(s.Strategies) != 3 {
		t.Fatalf("summary.json: %v %+v", err, s.Run)
	}
	fills := 0
	for _, st := range s.Strategies {
		fills += int(st.Fills)
	}
	if fills == 0 {
		t.Error("nothing traded in the demo")
	}
	code, rout, rerr := runCLI(t, "backtest", "--session", "1", "--db", filepath.Join(out, "demo.db"), "--log-level", "warn")
	if code != 0 || !parityOK.MatchString(rout) {
		t.Fatalf("replay of the demo: exit %d\n%s\n%s", code, rout, rerr)
	}
	// A second demo into the same directory is refused: it would mix two demos' journals.
	if code, _, errs := runCLI(t, "demo", "--duration", "1s", "--out", out); code != ExitUsage || !strings.Contains(errs, "already holds a demo") {
		t.Fatalf("second demo into %s: exit %d %s", out, code, errs)
	}
}
