package journal_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/engine/journal"
)

// journalWithFills writes a one-session journal with fills and returns its path.
func journalWithFills(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := dbPath(t)
	j, err := journal.Open(path, journal.Options{Pairs: pairs.Lookup})
	if err != nil {
		t.Fatal(err)
	}
	ins := instances()
	if _, err := j.Begin(ctx, sessionConfig("same", ins)); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, market(t, 5, 2000), ins, j)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func execSQL(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// Issue 15 item 11: a damaged journal is refused before it is resumed (Open) or replayed
// (OpenReader), with ErrDamaged and a message that says what is wrong and what to do, and the
// file is left as it was (a dropped table is not recreated empty).
func TestDamagedJournalRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
		want   string
	}{
		{"fills table dropped", func(t *testing.T, path string) { execSQL(t, path, `DROP TABLE fills`) }, "table fills missing"},
		{"margin table dropped", func(t *testing.T, path string) { execSQL(t, path, `DROP TABLE margin`) }, "table margin missing"},
		{"fills deleted", func(t *testing.T, path string) { execSQL(t, path, `DELETE FROM fills`) }, "session 1 recorded"},
		{"one order row deleted", func(t *testing.T, path string) {
			execSQL(t, path, `DELETE FROM orders WHERE id = (SELECT max(id) FROM orders)`)
		}, "its tables hold"},
		{"0 bytes", func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, "the file is empty (0 bytes)"},
		{"newer schema", func(t *testing.T, path string) { execSQL(t, path, `UPDATE meta SET value = '99' WHERE key = 'schema'`) }, `schema version "99"; this build reads versions 1 to 2`},
		{"schema not a number", func(t *testing.T, path string) { execSQL(t, path, `UPDATE meta SET value = 'x' WHERE key = 'schema'`) }, `schema version "x"`},
		{"no schema row", func(t *testing.T, path string) { execSQL(t, path, `DELETE FROM meta`) }, "no schema version"},
		{"another program's database", func(t *testing.T, path string) { execSQL(t, path, `DROP TABLE meta`) }, "no meta table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := journalWithFills(t)
			tc.damage(t, path)
			before := tables(t, path)
			j, err := journal.Open(path, journal.Options{Pairs: pairs.Lookup})
			if err == nil {
				j.Close()
				t.Fatal("Open resumed a damaged journal")
			}
			if !errors.Is(err, journal.ErrDamaged) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v\nwant ErrDamaged and %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "restore the file from a backup") && !strings.Contains(err.Error(), "run that version") {
				t.Errorf("the message does not say what to do: %v", err)
			}
			if after := tables(t, path); after != before {
				t.Errorf("the refused journal was changed: tables %s, were %s", after, before)
			}
			r, err := journal.OpenReader(path)
			if err == nil {
				r.Close()
				t.Fatal("OpenReader accepted a damaged journal")
			}
			if !errors.Is(err, journal.ErrDamaged) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("OpenReader: %v\nwant ErrDamaged and %q", err, tc.want)
			}
		})
	}
}

// An intact journal, a version 1 journal (no margin table) and a new file still open.
func TestIntactJournalsOpen(t *testing.T) {
	path := journalWithFills(t)
	j, err := journal.Open(path, journal.Options{Pairs: pairs.Lookup})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := journal.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()

	v1 := journalWithFills(t)
	execSQL(t, v1, `DROP TABLE margin`, `UPDATE meta SET value = '1' WHERE key = 'schema'`)
	j, err = journal.Open(v1, journal.Options{Pairs: pairs.Lookup})
	if err != nil {
		t.Fatalf("a version 1 journal: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if got := tables(t, v1); !strings.Contains(got, "margin") {
		t.Errorf("version 1 journal not upgraded: %s", got)
	}

	fresh := filepath.Join(t.TempDir(), "new.db")
	j, err = journal.Open(fresh, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(fresh); err != nil || fi.Size() == 0 {
		t.Fatalf("a new journal's file after Close: %v, %v", fi, err)
	}
	if _, err := journal.OpenReader(filepath.Join(t.TempDir(), "missing.db")); err == nil {
		t.Fatal("OpenReader of a missing file succeeded")
	}
}

func tables(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return "error: " + err.Error()
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return strings.Join(names, ",")
}
