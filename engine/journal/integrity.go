package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// ErrDamaged is wrapped by the errors of Open and OpenReader for a file that is not an intact
// papertrade journal: empty, missing tables, rows missing against the sessions' own counts,
// an unsupported schema version, or SQLite's integrity check failing. Resuming such a journal
// would rebuild accounts from part of their history (issue 15 item 11: a journal whose fills
// table was dropped came back as a silent partial reset), so it is refused before anything
// is written.
var ErrDamaged = errors.New("not an intact papertrade journal")

// recordTables are the tables that hold one row per record; a session's records column counts
// them (balances are derived from fills and margin records, gaps are not records).
var recordTables = map[int][]string{
	1: {"orders", "fills", "equity", "faults"},
	2: {"orders", "fills", "margin", "equity", "faults"},
}

// tablesOf returns every table a journal of schema version v has.
func tablesOf(v int) []string {
	return append([]string{"meta", "sessions", "instances", "balances", "gaps"}, recordTables[v]...)
}

// damaged wraps ErrDamaged with what was found and what to do about it.
func damaged(path, what string) error {
	return fmt.Errorf("journal: %s: %w: %s; it cannot be resumed or replayed as it is: restore the file from a backup, "+
		"or move it away to start a new paper account (papertrade never rebuilds an account from part of its history)",
		path, ErrDamaged, what)
}

// checkEmptyFile refuses an existing file with no bytes and no write-ahead log: SQLite would
// take it for a new database, and a journal truncated to nothing would become a new account
// without a word. A journal this package created always has its header written by Open.
func checkEmptyFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil || fi.Size() > 0 || !fi.Mode().IsRegular() {
		return nil // missing (a new journal) or not ours to judge here: SQLite reports the rest
	}
	if wal, err := os.Stat(path + "-wal"); err == nil && wal.Size() > 0 {
		return nil // the data is still in the log (a process killed before its first checkpoint)
	}
	return damaged(path, "the file is empty (0 bytes)")
}

// verify checks a journal before it is resumed or replayed: the schema version, every table
// the version has, SQLite's integrity check, and each session's record count against the rows
// its tables hold. It returns the schema version, or 0 for a database with no tables at all
// (a new journal). It reads only.
func verify(ctx context.Context, db *sql.DB, path string) (int, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return 0, damaged(path, err.Error())
	}
	var have []string
	err = scanAll(rows, func(rows *sql.Rows) error {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		have = append(have, n)
		return nil
	})
	if err != nil {
		return 0, damaged(path, err.Error())
	}
	if len(have) == 0 {
		return 0, nil
	}
	if !slices.Contains(have, "meta") {
		return 0, damaged(path, "it has tables but no meta table (another program's database?)")
	}
	var v string
	if err := db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema'`).Scan(&v); err != nil {
		return 0, damaged(path, fmt.Sprintf("no schema version in meta (%v)", err))
	}
	version, err := strconv.Atoi(v)
	if err != nil || version < 1 || version > SchemaVersion {
		return 0, fmt.Errorf("journal: %s: %w: schema version %q; this build reads versions 1 to %d (a newer papertrade wrote it? run that version)",
			path, ErrDamaged, v, SchemaVersion)
	}
	var missing []string
	for _, t := range tablesOf(version) {
		if !slices.Contains(have, t) {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return 0, damaged(path, fmt.Sprintf("table %s missing (schema version %d has %s)",
			strings.Join(missing, ", "), version, strings.Join(tablesOf(version), ", ")))
	}
	if err := integrityCheck(ctx, db, path); err != nil {
		return 0, err
	}
	if err := checkCounts(ctx, db, path, version); err != nil {
		return 0, err
	}
	return version, nil
}

// integrityCheck runs PRAGMA integrity_check and reports its first findings.
func integrityCheck(ctx context.Context, db *sql.DB, path string) error {
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check(10)`)
	if err != nil {
		return damaged(path, "integrity check: "+err.Error())
	}
	var found []string
	err = scanAll(rows, func(rows *sql.Rows) error {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" {
			found = append(found, s)
		}
		return nil
	})
	if err != nil {
		return damaged(path, "integrity check: "+err.Error())
	}
	if len(found) > 0 {
		return damaged(path, "SQLite's integrity check found: "+strings.Join(found, "; "))
	}
	return nil
}

// checkCounts compares each session's records column, written in the same transaction as the
// rows, with the rows its record tables hold: rows deleted behind the journal's back (or a
// table emptied) show as a shortfall.
func checkCounts(ctx context.Context, db *sql.DB, path string, version int) error {
	var parts []string
	for _, t := range recordTables[version] {
		parts = append(parts, `SELECT session FROM `+t)
	}
	q := `SELECT s.id, s.records, count(r.session) FROM sessions s LEFT JOIN (` + strings.Join(parts, ` UNION ALL `) +
		`) r ON r.session = s.id GROUP BY s.id ORDER BY s.id`
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return damaged(path, "counting records: "+err.Error())
	}
	var bad []string
	err = scanAll(rows, func(rows *sql.Rows) error {
		var id, want, got int64
		if err := rows.Scan(&id, &want, &got); err != nil {
			return err
		}
		if want != got {
			bad = append(bad, fmt.Sprintf("session %d recorded %d records, its tables hold %d", id, want, got))
		}
		return nil
	})
	if err != nil {
		return damaged(path, "counting records: "+err.Error())
	}
	if len(bad) > 0 {
		return damaged(path, strings.Join(bad, "; "))
	}
	return nil
}
