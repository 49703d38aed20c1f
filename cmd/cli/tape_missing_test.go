package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/engine/config"
)

// TestBacktestMissingSegmentFails: a segment the manifest lists as finished and that is gone
// fails the backtest, naming the file and what to do (issue 15 item 12: it exited 0 with 0
// events after a warning).
func TestBacktestMissingSegmentFails(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: generates a tape")
	}
	dir := t.TempDir()
	// Two recordings side by side; the second loses its segment, so the first still
	// gives events and the hole would pass unnoticed.
	synthTape(t, filepath.Join(dir, "tape"), "--trades", "2000", "--name", "day1")
	synthTape(t, filepath.Join(dir, "tape"), "--trades", "2000", "--name", "day2", "--start", "2025-01-02")
	segs, _ := filepath.Glob(filepath.Join(dir, "tape", "*", "day2-*.jsonl.zst"))
	if len(segs) == 0 {
		t.Fatal("no segments")
	}
	for _, s := range segs {
		if err := os.Remove(s); err != nil {
			t.Fatal(err)
		}
	}
	// --cache off: a decoded-event cache of these (deterministic) recordings from an earlier
	// run would answer without reading the segments.
	cfg := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(cfg, []byte(config.ExampleYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI(t, "backtest", "-c", cfg, "--out", filepath.Join(dir, "out"), "-q", "--log-level", "warn", "--cache", "off")
	t.Logf("exit %d", code)
	if code == ExitOK || !strings.Contains(errs, filepath.Base(segs[0])) || !strings.Contains(errs, "restore the file") {
		t.Errorf("missing segment: exit %d, stderr %q; want a failure naming %s", code, errs, filepath.Base(segs[0]))
	}
}
