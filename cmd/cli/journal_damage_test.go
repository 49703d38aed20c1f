package cli

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/engine/journal"
)

// Issue 15 item 11: live refuses to resume, and backtest --session to replay, a journal whose
// fills table was dropped, a 0-byte journal or one of an unsupported schema: exit 2 with the
// reason and what to do, before anything connects or is written.
func TestDamagedJournalRefusedByLiveAndReplay(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, db string)
		want   string
	}{
		{"fills dropped", func(t *testing.T, db string) { damageSQL(t, db, `DROP TABLE fills`) }, "table fills missing"},
		{"0 bytes", func(t *testing.T, db string) {
			if err := os.Truncate(db, 0); err != nil {
				t.Fatal(err)
			}
		}, "the file is empty (0 bytes)"},
		{"unsupported schema", func(t *testing.T, db string) { damageSQL(t, db, `UPDATE meta SET value = '7' WHERE key = 'schema'`) }, `schema version "7"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "paper.db")
			j, err := journal.Open(db, journal.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := j.Begin(context.Background(), journal.SessionConfig{ConfigHash: "h", Instances: []journal.InstanceConfig{{Name: "x"}}}); err != nil {
				t.Fatal(err)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, db)
			cfg := writeConfig(t, dir, liveConfig)
			code, _, errs := runCLI(t, "live", "-c", cfg, "--db", db, "--http", "", "--url", "ws://127.0.0.1:1/v2")
			if code != ExitUsage || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "not an intact papertrade journal") {
				t.Errorf("live: exit %d, stderr %q; want exit %d naming %q", code, errs, ExitUsage, tc.want)
			}
			code, _, errs = runCLI(t, "backtest", "--session", "1", "--db", db, "--log-level", "warn")
			if code != ExitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("backtest --session: exit %d, stderr %q; want exit %d naming %q", code, errs, ExitUsage, tc.want)
			}
		})
	}
}

func damageSQL(t *testing.T, db, stmt string) {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}
