package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
)

// Issue 18 item 11, end to end: two live runs in one directory with different --db (what
// live's refusal of another config's journal recommends) record into one --record directory;
// each journal's replay command works (it failed with "2 recordings named session-1"), and
// --out writes the replay's summary.json and report.html (it was ignored).
func TestSessionReplayTwoJournalsAndOut(t *testing.T) {
	srv, err := krakentest.Listen("127.0.0.1:0", krakentest.WithMarket(liveMarket(t, 7), 300))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, liveConfig)
	rec := filepath.Join(dir, "rec")
	for _, db := range []string{"a.db", "b.db"} {
		db = filepath.Join(dir, db)
		if code, out, errs := runCLI(t, "live", "-c", cfg, "--db", db, "--record", rec, "--url", srv.URLv2(), "--http", "", "--duration", "2s",
			"--log-level", "warn"); code != 0 {
			t.Fatalf("live --db %s: exit %d\n%s\n%s", db, code, out, errs)
		}
	}
	for _, name := range []string{"a", "b"} {
		db := filepath.Join(dir, name+".db")
		out := filepath.Join(dir, "replay-"+name)
		code, rout, rerr := runCLI(t, "backtest", "--session", "1", "--db", db, "--out", out, "--log-level", "warn")
		if code != 0 || !parityOK.MatchString(rout) || !strings.Contains(rout, filepath.Join(rec, name+"-")) {
			t.Fatalf("replay of %s: exit %d\n%s\n%s", db, code, rout, rerr)
		}
		b, err := os.ReadFile(filepath.Join(out, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		var s report.Summary
		if err := json.Unmarshal(b, &s); err != nil || len(s.Strategies) != 3 || s.Run.Events == 0 {
			t.Fatalf("%s summary.json: %v %+v", name, err, s.Run)
		}
		if st, err := os.Stat(filepath.Join(out, "report.html")); err != nil || st.Size() == 0 {
			t.Errorf("%s report.html: %v", name, err)
		}
	}
}
