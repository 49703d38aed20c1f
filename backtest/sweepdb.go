package backtest

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"

	"github.com/papertrade/papertrade/engine/report"
)

// resultsDB is the sweep's SQLite results table. Rows are keyed by trialKey (the run
// identity, the data window and the parameter hash), so a re-run finds its finished trials
// and the databases of several shards merge with INSERT OR IGNORE.
type resultsDB struct {
	mu sync.Mutex
	db *sql.DB
}

const resultsSchema = `CREATE TABLE IF NOT EXISTS trials (
	key           TEXT PRIMARY KEY,  -- sha256(identity, window, param_hash), 32 hex digits
	param_hash    TEXT NOT NULL,     -- sha256(strategy type, params), 16 hex digits
	strategy      TEXT NOT NULL,     -- strategy type
	params        TEXT NOT NULL,     -- JSON object of every parameter
	trial         INTEGER NOT NULL,  -- index in the sweep's order
	window        INTEGER NOT NULL,  -- walk-forward window, -1 for a plain sweep
	phase         TEXT NOT NULL,     -- '', 'train' or 'test'
	data_from     TEXT NOT NULL,     -- RFC 3339 or ''
	data_to       TEXT NOT NULL,
	status        TEXT NOT NULL,     -- ok, invalid, failed
	error         TEXT NOT NULL,
	return        REAL, cagr REAL, sharpe REAL, sortino REAL, calmar REAL, max_drawdown REAL,
	profit_factor REAL, win_rate REAL, expectancy REAL, trades INTEGER, fills INTEGER,
	fees REAL, final_equity REAL,
	summary       TEXT NOT NULL      -- the trial's summary.json strategy object, or ''
);
CREATE INDEX IF NOT EXISTS trials_param_hash ON trials(param_hash);
-- A separate table, so databases written before it existed keep working (their trials have
-- no returns until run again) and shard merges of trials are unchanged.
CREATE TABLE IF NOT EXISTS trial_returns (
	key     TEXT PRIMARY KEY,  -- trials.key
	returns TEXT NOT NULL      -- JSON of backtest.TrialReturns: moments and 16 block sums
);`

func openResults(path string) (*resultsDB, error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, fmt.Errorf("backtest: results database %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises anyway
	for _, q := range []string{"PRAGMA journal_mode=WAL", "PRAGMA busy_timeout=10000", "PRAGMA synchronous=NORMAL", resultsSchema} {
		if _, err := db.Exec(q); err != nil {
			db.Close()
			return nil, fmt.Errorf("backtest: results database %s: %w", path, err)
		}
	}
	return &resultsDB{db: db}, nil
}

func (r *resultsDB) close() error { return r.db.Close() }

// get returns the stored result of key.
func (r *resultsDB) get(key string) (TrialResult, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var res TrialResult
	var summary string
	err := r.db.QueryRow(`SELECT status, error, summary FROM trials WHERE key = ?`, key).Scan(&res.Status, &res.Err, &summary)
	if errors.Is(err, sql.ErrNoRows) {
		return res, false, nil
	}
	if err != nil {
		return res, false, fmt.Errorf("backtest: results database: %w", err)
	}
	if summary != "" {
		var s report.Strategy
		if err := json.Unmarshal([]byte(summary), &s); err != nil {
			return res, false, nil // unreadable: run it again
		}
		res.Summary = &s
	}
	var rets string
	err = r.db.QueryRow(`SELECT returns FROM trial_returns WHERE key = ?`, key).Scan(&rets)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return res, false, fmt.Errorf("backtest: results database: %w", err)
	default:
		var tr TrialReturns
		if json.Unmarshal([]byte(rets), &tr) == nil {
			res.Returns = &tr
		}
	}
	return res, true, nil
}

// put stores a result (replacing an earlier one with the same key).
func (r *resultsDB) put(key, typ string, res *TrialResult) error {
	params, err := json.Marshal(res.Params)
	if err != nil {
		return err
	}
	var summary []byte
	vals := make([]any, 13)
	if s := res.Summary; s != nil {
		if summary, err = json.Marshal(s); err != nil {
			return err
		}
		for i, m := range []string{"return", "cagr", "sharpe", "sortino", "calmar", "max_drawdown", "profit_factor", "win_rate", "expectancy"} {
			vals[i] = nullable(metricOf(s, m))
		}
		vals[9], vals[10] = s.Trades, s.Fills
		vals[11], vals[12] = nullable(metricOf(s, "fees")), nullable(metricOf(s, "final_equity"))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err = r.db.Exec(`INSERT OR REPLACE INTO trials (key, param_hash, strategy, params, trial, window, phase, data_from, data_to, status, error,
		return, cagr, sharpe, sortino, calmar, max_drawdown, profit_factor, win_rate, expectancy, trades, fills, fees, final_equity, summary)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append([]any{key, res.Hash, typ, string(params), res.Index, res.Window, res.Phase, formatTime(res.From), formatTime(res.To), res.Status, res.Err},
			append(vals, string(summary))...)...)
	if err != nil {
		return fmt.Errorf("backtest: results database: %w", err)
	}
	if res.Returns != nil {
		b, err := json.Marshal(res.Returns)
		if err != nil {
			return err
		}
		if _, err := r.db.Exec(`INSERT OR REPLACE INTO trial_returns (key, returns) VALUES (?, ?)`, key, string(b)); err != nil {
			return fmt.Errorf("backtest: results database: %w", err)
		}
	}
	return nil
}

func nullable(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return f
}
