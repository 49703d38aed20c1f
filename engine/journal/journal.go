package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"

	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// Defaults for Options' zero values.
const (
	DefaultBuffer   = 1 << 16 // records queued before Record waits
	DefaultMaxBatch = 4096    // records per transaction
	// DefaultLinger is how long the writer waits for more records after the first one
	// before committing: fewer, larger transactions (less CPU taken from the strategies),
	// at the cost of that much more that a crash can lose.
	DefaultLinger = 20 * time.Millisecond
)

// ErrClosed is returned by Begin after Close, and by Flush when the journal has stopped.
var ErrClosed = errors.New("journal: closed")

// Options configures a Journal.
type Options struct {
	Log *zap.Logger
	// Pairs looks up a pair's base and quote assets, for the balance changes of fills (default:
	// the pair's own spelling, BTC/USD → BTC and USD).
	Pairs func(feed.Pair) (*feed.PairInfo, bool)
	// Buffer is how many records may wait for the writer; MaxBatch how many one transaction
	// takes at most.
	Buffer, MaxBatch int
	// Linger is how long the writer gathers records before committing (default
	// DefaultLinger; negative: commit as soon as the queue is empty).
	Linger time.Duration
	// OnCommit, when set, is called on the writer goroutine after every commit. It must not
	// block for long.
	OnCommit func(Stats)
}

// Stats counts what a Journal did.
type Stats struct {
	Queued    int    // records waiting for the writer now
	Accepted  uint64 // records and gaps handed to the journal
	Committed uint64 // of which committed
	Fills     uint64 // fills committed
	Batches   uint64 // transactions committed
	Waits     uint64 // times Record found the queue full and waited
	Dropped   uint64 // records refused: before Begin, after Close, or after the writer failed
}

// Journal writes one session's records to a SQLite file. See the package documentation.
type Journal struct {
	path  string
	db    *sql.DB
	log   *zap.Logger
	opts  Options
	lock  *os.File
	read  *Reader
	group errgroup.Group

	mu      sync.RWMutex // Close against Record/Gap sends
	closed  bool
	started bool
	q       chan *item
	dead    chan struct{} // closed when the writer goroutine has returned
	err     atomic.Pointer[error]

	session int64
	w       *writer // writer goroutine state; set by Begin

	firstEvent, lastEvent atomic.Int64 // event time, Unix ns (0: none)
	offline               atomic.Pointer[feed.Gap]
	openBooks             atomic.Int64 // book gaps sent without an end and not yet closed

	accepted, committed, fills, batches, waits, dropped atomic.Uint64
	droppedLogged                                       atomic.Bool
}

type itemKind uint8

const (
	itemRecord itemKind = iota + 1
	itemGap
	itemGapEnd // a book snapshot: closes the pair's open book gap
	itemFlush
)

type item struct {
	kind itemKind
	rec  record.Record
	gap  gapRow
	done chan struct{}
}

type gapRow struct {
	pair feed.Pair
	gap  feed.Gap
}

// Open opens (creating if needed) the journal file at path, in WAL mode, and takes an
// exclusive lock on it for the life of the Journal: two processes never write one journal.
// Nothing is written before Begin.
func Open(path string, opts Options) (*Journal, error) {
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.Linger == 0 {
		opts.Linger = DefaultLinger
	}
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	if err := checkEmptyFile(path); err != nil {
		unlockFile(lock)
		return nil, err
	}
	db, err := openDB(path, false)
	if err != nil {
		unlockFile(lock)
		return nil, err
	}
	j := &Journal{path: path, db: db, log: opts.Log.Named("journal"), opts: opts, lock: lock,
		q: make(chan *item, opts.Buffer), dead: make(chan struct{})}
	j.read = &Reader{db: db, path: path}
	if err := j.migrate(); err != nil {
		_ = db.Close()
		unlockFile(lock)
		return nil, err
	}
	return j, nil
}

func openDB(path string, readOnly bool) (*sql.DB, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	if readOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		dsn = "file:" + path + "?mode=ro&_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	if err := db.Ping(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	return db, nil
}

// migrate creates the tables of a new journal, or checks an existing one (verify) and
// upgrades it to SchemaVersion. The check comes first: CREATE TABLE IF NOT EXISTS over a
// journal that lost a table would quietly recreate it empty.
func (j *Journal) migrate() error {
	ctx := context.Background()
	n, err := verify(ctx, j.db, j.path)
	if err != nil {
		return err
	}
	if _, err := j.db.ExecContext(ctx, schema+marginSchema); err != nil {
		return fmt.Errorf("journal: %s: create tables: %w", j.path, err)
	}
	if n == 0 {
		_, err = j.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('schema', ?)`, strconv.Itoa(SchemaVersion))
		if err != nil {
			return fmt.Errorf("journal: %s: %w", j.path, err)
		}
		return nil
	}
	if n < SchemaVersion {
		// The new tables exist now (CREATE IF NOT EXISTS above): mark the upgrade, so a build
		// that does not know them refuses the journal instead of ignoring their rows.
		if _, err := j.db.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'schema'`, strconv.Itoa(SchemaVersion)); err != nil {
			return fmt.Errorf("journal: %s: %w", j.path, err)
		}
	}
	return nil
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

// Session returns the id of the session Begin started (0 before Begin).
func (j *Journal) Session() int64 { return j.session }

// Reader returns a reader over this journal's file (sharing its connections).
func (j *Journal) Reader() *Reader { return j.read }

// Record implements record.Recorder: it queues a copy of r for the writer. It waits only when
// the queue is full (see the package documentation's buffer policy).
func (j *Journal) Record(r *record.Record) {
	it := &item{kind: itemRecord, rec: *r}
	j.enqueue(it)
}

// Gap records a feed gap of pair (empty for every pair) on the writer.
// A book gap without an end (To zero: a disconnect leaves the book "stale until the next
// snapshot") stays open until BookSnapshot reports that pair's next snapshot, or the session
// ends (it is closed at the session's last event time: the book was stale until then).
func (j *Journal) Gap(pair feed.Pair, g feed.Gap) {
	if g.Channel == "book" && g.To.IsZero() {
		j.openBooks.Add(1)
	}
	j.enqueue(&item{kind: itemGap, gap: gapRow{pair: pair, gap: g}})
}

// BookSnapshot tells the journal that pair's book was refreshed by a snapshot received at t:
// an open book gap of that pair ends there (issue 15 item 14: book gaps kept to_ns = 0 for
// good). It costs one atomic load when no book gap is open, so callers may report every
// snapshot.
func (j *Journal) BookSnapshot(pair feed.Pair, t time.Time) {
	if j.openBooks.Load() == 0 || t.IsZero() {
		return
	}
	j.enqueue(&item{kind: itemGapEnd, gap: gapRow{pair: pair, gap: feed.Gap{Channel: "book", To: t}}})
}

func (j *Journal) enqueue(it *item) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed || !j.started || j.err.Load() != nil {
		j.drop()
		return
	}
	j.accepted.Add(1)
	select {
	case j.q <- it:
		return
	default:
	}
	j.waits.Add(1)
	select {
	case j.q <- it:
	case <-j.dead:
		j.drop()
	}
}

func (j *Journal) drop() {
	j.dropped.Add(1)
	if j.droppedLogged.CompareAndSwap(false, true) {
		var cause error = ErrClosed
		if p := j.err.Load(); p != nil {
			cause = *p
		} else if !j.started {
			cause = errors.New("journal: record before Begin")
		}
		j.log.Error("journal dropping records", zap.Error(cause))
	}
}

// NoteEvent tells the journal the event time the session has reached (the live feed calls it
// per batch): it bounds the session for the offline window of the next restart. The first
// call after a restart also records that window as a gap.
func (j *Journal) NoteEvent(t time.Time) {
	if t.IsZero() {
		return
	}
	ns := t.UnixNano()
	if j.firstEvent.CompareAndSwap(0, ns) { // else a record got there first and wrote the gap
		if g := j.offline.Swap(nil); g != nil {
			g.To = t
			j.Gap("", *g)
		}
	}
	for {
		cur := j.lastEvent.Load()
		if ns <= cur || j.lastEvent.CompareAndSwap(cur, ns) {
			return
		}
	}
}

// Flush waits until everything handed to the journal before the call is committed, or ctx
// ends. It fails if the writer has failed or the journal is closed.
func (j *Journal) Flush(ctx context.Context) error {
	it := &item{kind: itemFlush, done: make(chan struct{})}
	j.mu.RLock()
	if j.closed || !j.started {
		j.mu.RUnlock()
		return ErrClosed
	}
	select {
	case j.q <- it:
	case <-j.dead:
	case <-ctx.Done():
	}
	j.mu.RUnlock()
	select {
	case <-it.done:
		return nil
	case <-j.dead:
		if err := j.Err(); err != nil {
			return err
		}
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Err returns the error that stopped the writer, if any.
func (j *Journal) Err() error {
	if p := j.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Done is closed when the writer goroutine has stopped: after Close, or after a write error
// (Err). A live session stops when it is closed early.
func (j *Journal) Done() <-chan struct{} { return j.dead }

// Stats returns the journal's counters.
func (j *Journal) Stats() Stats {
	return Stats{
		Queued: len(j.q), Accepted: j.accepted.Load(), Committed: j.committed.Load(), Fills: j.fills.Load(),
		Batches: j.batches.Load(), Waits: j.waits.Load(), Dropped: j.dropped.Load(),
	}
}

// Close commits everything queued, marks the session closed, and closes the file. It returns
// the writer's error, if it failed. Close must be called after the engine has stopped calling
// Record (after the engine run returns); it is idempotent.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return j.Err()
	}
	j.closed = true
	started := j.started
	if started {
		close(j.q)
	} else {
		close(j.dead)
	}
	j.mu.Unlock()
	err := j.group.Wait()
	if cerr := j.db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("journal: close %s: %w", j.path, cerr)
	}
	unlockFile(j.lock)
	return err
}

// ---- the writer goroutine ---------------------------------------------------------------------

// writer is the state only the writer goroutine touches.
type writer struct {
	j       *Journal
	txs     map[string]*sql.Stmt // the statements bound to the open transaction
	conn    *sql.Conn
	stmts   map[string]*sql.Stmt
	rec     int64            // records of this session so far (all instances)
	recs    map[string]int64 // records of this session so far, per instance: the rec column
	totals  map[string]map[string]decimal.Decimal
	flushes []chan struct{}
	touched int64              // last_event_ns last written
	open    map[feed.Pair]bool // pairs with a book gap written without an end
}

const (
	insOrder   = `INSERT INTO orders (session, rec, instance, seq, time_ns, order_id, status, reason, pair, side, type, qty, price, price2, filled, avg_price, fee, userref, update_ns, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
	insFill    = `INSERT INTO fills (session, rec, instance, seq, time_ns, fill_ns, order_id, userref, pair, side, price, qty, cost, fee, fee_asset, liquidity, model, provenance) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`
	insBalance = `INSERT INTO balances (session, rec, instance, seq, time_ns, asset, delta, total, reason, ref) VALUES (?,?,?,?,?,?,?,?,?,?)`
	insEquity  = `INSERT INTO equity (session, rec, instance, seq, time_ns, equity) VALUES (?,?,?,?,?,?)`
	insFault   = `INSERT INTO faults (session, rec, instance, seq, time_ns, kind, message) VALUES (?,?,?,?,?,?,?)`
	insGap     = `INSERT INTO gaps (session, pair, channel, from_ns, to_ns, from_id, to_id, missing, reason) VALUES (?,?,?,?,?,?,?,?,?)`
	updSession = `UPDATE sessions SET first_event_ns = ?, last_event_ns = ?, records = ? WHERE id = ?`
	updGapEnd  = `UPDATE gaps SET to_ns = ? WHERE session = ? AND pair = ? AND channel = 'book' AND to_ns = 0`
)

func (j *Journal) startWriter(totals map[string]map[string]decimal.Decimal) error {
	ctx := context.Background()
	conn, err := j.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	w := &writer{j: j, conn: conn, stmts: map[string]*sql.Stmt{}, totals: totals, recs: map[string]int64{}}
	for _, q := range []string{insOrder, insFill, insBalance, insEquity, insFault, insGap, updSession, insMargin, updGapEnd} {
		st, err := conn.PrepareContext(ctx, q)
		if err != nil {
			_ = conn.Close()
			return fmt.Errorf("journal: prepare: %w", err)
		}
		w.stmts[q] = st
	}
	j.w = w
	j.mu.Lock()
	j.started = true
	j.mu.Unlock()
	j.group.Go(w.loop)
	return nil
}

func (w *writer) loop() (err error) {
	j := w.j
	defer func() {
		for _, st := range w.stmts {
			_ = st.Close()
		}
		_ = w.conn.Close()
		close(j.dead)
	}()
	batch := make([]*item, 0, j.opts.MaxBatch)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		var it *item
		var ok bool
		select {
		case it, ok = <-j.q:
		case <-tick.C:
			if err := w.touch(); err != nil {
				return w.fail(err)
			}
			continue
		}
		if !ok {
			return w.finish()
		}
		batch = append(batch[:0], it)
		closed := false
		var linger <-chan time.Time
		var lt *time.Timer
		if j.opts.Linger > 0 && it.kind != itemFlush {
			lt = time.NewTimer(j.opts.Linger)
			linger = lt.C
		}
	gather:
		for len(batch) < j.opts.MaxBatch {
			if linger == nil {
				select {
				case it, ok = <-j.q:
				default:
					break gather
				}
			} else {
				select {
				case it, ok = <-j.q:
				case <-linger:
					break gather
				}
			}
			if !ok {
				closed = true
				break gather
			}
			batch = append(batch, it)
			if it.kind == itemFlush {
				linger = nil // someone is waiting: commit what there is
			}
		}
		if lt != nil {
			lt.Stop()
		}
		if err := w.commit(batch); err != nil {
			return w.fail(err)
		}
		clear(batch)
		if closed {
			return w.finish()
		}
	}
}

// fail records the writer's error; records still queued are counted as dropped.
func (w *writer) fail(err error) error {
	j := w.j
	err = fmt.Errorf("journal: %s: %w", j.path, err)
	j.err.Store(&err)
	j.log.Error("journal writer stopped", zap.Error(err))
	for {
		select {
		case it, ok := <-j.q:
			if !ok {
				return err
			}
			if it.kind != itemFlush {
				j.dropped.Add(1)
			}
		default:
			return err
		}
	}
}

func (w *writer) commit(batch []*item) error {
	j := w.j
	ctx := context.Background()
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	clear(w.txs)
	if w.txs == nil {
		w.txs = make(map[string]*sql.Stmt, len(w.stmts))
	}
	var fills, n uint64
	for _, it := range batch {
		switch it.kind {
		case itemFlush:
			w.flushes = append(w.flushes, it.done)
			continue
		case itemGap:
			g := &it.gap.gap
			if _, err := w.stmt(ctx, tx, insGap).ExecContext(ctx, j.session, string(it.gap.pair), g.Channel,
				nsOf(g.From), nsOf(g.To), int64(g.FromID), int64(g.ToID), int64(g.Missing), g.Reason); err != nil {
				return fmt.Errorf("gap: %w", err)
			}
			if g.Channel == "book" && g.To.IsZero() {
				if w.open[it.gap.pair] {
					j.openBooks.Add(-1) // one row per pair is open at a time; the next snapshot closes both
				}
				if w.open == nil {
					w.open = map[feed.Pair]bool{}
				}
				w.open[it.gap.pair] = true
			}
		case itemGapEnd:
			if w.open[it.gap.pair] {
				if _, err := w.stmt(ctx, tx, updGapEnd).ExecContext(ctx, nsOf(it.gap.gap.To), j.session, string(it.gap.pair)); err != nil {
					return fmt.Errorf("gap end: %w", err)
				}
				delete(w.open, it.gap.pair)
				j.openBooks.Add(-1)
			}
		case itemRecord:
			w.rec++
			if err := w.record(ctx, tx, &it.rec); err != nil {
				return err
			}
			if it.rec.Kind == record.KindFill {
				fills++
			}
		}
		n++
	}
	first, last := j.firstEvent.Load(), j.lastEvent.Load()
	if _, err := w.stmt(ctx, tx, updSession).ExecContext(ctx, nullNS(first), nullNS(last), w.rec, j.session); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	w.touched = last
	j.committed.Add(n)
	j.fills.Add(fills)
	j.batches.Add(1)
	for _, d := range w.flushes {
		close(d)
	}
	w.flushes = w.flushes[:0]
	if j.opts.OnCommit != nil {
		j.opts.OnCommit(j.Stats())
	}
	return nil
}

// stmt returns q's prepared statement bound to tx, binding it once per transaction.
func (w *writer) stmt(ctx context.Context, tx *sql.Tx, q string) *sql.Stmt {
	if st, ok := w.txs[q]; ok {
		return st
	}
	st := tx.StmtContext(ctx, w.stmts[q])
	w.txs[q] = st
	return st
}

// touch writes the session's event-time bounds when they moved without any record.
func (w *writer) touch() error {
	j := w.j
	last := j.lastEvent.Load()
	if last == w.touched {
		return nil
	}
	if _, err := w.stmts[updSession].Exec(nullNS(j.firstEvent.Load()), nullNS(last), w.rec, j.session); err != nil {
		return err
	}
	w.touched = last
	return nil
}

func (w *writer) record(ctx context.Context, tx *sql.Tx, r *record.Record) error {
	j := w.j
	ns := nsOf(r.Time)
	// rec is the record's position in its instance's stream, not in the session's: records
	// of different instances reach the writer in whatever order their workers ran, which
	// differs between two runs of the same backtest (DESIGN rule 5). One instance's records
	// arrive in order, so this count is the same in every run.
	rec := w.recs[r.Instance] + 1
	w.recs[r.Instance] = rec
	switch r.Kind {
	case record.KindOrder:
		u := &r.Order
		o := &u.Order
		detail, err := json.Marshal(o)
		if err != nil {
			return fmt.Errorf("order %s: %w", o.ID, err)
		}
		_, err = w.stmt(ctx, tx, insOrder).ExecContext(ctx, j.session, rec, r.Instance, int64(r.Seq), ns,
			string(o.ID), u.Status.String(), u.Reason, string(o.Pair), o.Side.String(), o.Type.String(),
			o.Qty.String(), o.Price.String(), o.Price2.String(), u.Filled.String(), u.AvgPrice.String(), u.Fee.String(),
			int64(o.UserRef), nsOf(u.Time), detail)
		if err != nil {
			return fmt.Errorf("order: %w", err)
		}
	case record.KindFill:
		f := &r.Fill
		prov, err := encodeProvenance(&f.Provenance)
		if err != nil {
			return fmt.Errorf("fill: %w", err)
		}
		cost := f.Price.Mul(f.Qty)
		_, err = w.stmt(ctx, tx, insFill).ExecContext(ctx, j.session, rec, r.Instance, int64(r.Seq), ns, nsOf(f.Time),
			string(f.OrderID), int64(f.UserRef), string(f.Pair), f.Side.String(), f.Price.String(), f.Qty.String(),
			cost.String(), f.Fee.String(), f.FeeAsset, f.Liquidity.String(), f.Provenance.Model, prov)
		if err != nil {
			return fmt.Errorf("fill: %w", err)
		}
		if f.Leverage > 0 {
			break // a margin fill's balance rows come from its margin record
		}
		base, quote := assetsOf(j.opts.Pairs, f.Pair)
		var dBase, dQuote decimal.Decimal
		if f.Side == feed.Buy {
			dBase, dQuote = f.Qty, cost.Neg()
		} else {
			dBase, dQuote = f.Qty.Neg(), cost
		}
		if f.FeeAsset == base { // Kraken's fcib: the fee is charged in base
			dBase = dBase.Sub(f.Fee)
		} else {
			dQuote = dQuote.Sub(f.Fee)
		}
		for _, ch := range [2]struct {
			asset string
			delta decimal.Decimal
		}{{base, dBase}, {quote, dQuote}} {
			tot := w.totals[r.Instance]
			if tot == nil {
				tot = map[string]decimal.Decimal{}
				w.totals[r.Instance] = tot
			}
			t := tot[ch.asset].Add(ch.delta)
			tot[ch.asset] = t
			if _, err := w.stmt(ctx, tx, insBalance).ExecContext(ctx, j.session, rec, r.Instance, int64(r.Seq), ns,
				ch.asset, ch.delta.String(), t.String(), "fill", string(f.OrderID)); err != nil {
				return fmt.Errorf("balance: %w", err)
			}
		}
	case record.KindMargin:
		if err := w.marginRecord(ctx, tx, r, rec, ns); err != nil {
			return err
		}
	case record.KindEquity:
		if _, err := w.stmt(ctx, tx, insEquity).ExecContext(ctx, j.session, rec, r.Instance, int64(r.Seq), ns, r.Equity.String()); err != nil {
			return fmt.Errorf("equity: %w", err)
		}
	case record.KindFault, record.KindLag:
		msg := ""
		if r.Err != nil {
			msg = r.Err.Error()
		}
		if _, err := w.stmt(ctx, tx, insFault).ExecContext(ctx, j.session, rec, r.Instance, int64(r.Seq), ns, r.Kind.String(), msg); err != nil {
			return fmt.Errorf("fault: %w", err)
		}
	}
	if ns > 0 {
		for {
			cur := j.lastEvent.Load()
			if ns <= cur || j.lastEvent.CompareAndSwap(cur, ns) {
				break
			}
		}
		if j.firstEvent.CompareAndSwap(0, ns) {
			// The session's first event time reached the journal through a record before the
			// feed's observers reported it (they run after the engine): the offline window
			// ends here.
			if g := j.offline.Swap(nil); g != nil {
				g.To = time.Unix(0, ns).UTC()
				if _, err := w.stmt(ctx, tx, insGap).ExecContext(ctx, j.session, "", g.Channel,
					nsOf(g.From), nsOf(g.To), int64(g.FromID), int64(g.ToID), int64(g.Missing), g.Reason); err != nil {
					return fmt.Errorf("gap: %w", err)
				}
			}
		}
	}
	return nil
}

// finish marks the session closed; it runs after the last commit.
func (w *writer) finish() error {
	j := w.j
	for _, d := range w.flushes {
		close(d)
	}
	if last := j.lastEvent.Load(); len(w.open) > 0 && last != 0 {
		// Book gaps no snapshot closed: the books were stale until the session's last event.
		if _, err := w.conn.ExecContext(context.Background(),
			`UPDATE gaps SET to_ns = ? WHERE session = ? AND channel = 'book' AND to_ns = 0`, last, j.session); err != nil {
			return w.fail(fmt.Errorf("close book gaps: %w", err))
		}
	}
	_, err := w.conn.ExecContext(context.Background(),
		`UPDATE sessions SET status = 'closed', ended_wall = ?, first_event_ns = ?, last_event_ns = ?, records = ? WHERE id = ?`,
		time.Now().UnixNano(), nullNS(j.firstEvent.Load()), nullNS(j.lastEvent.Load()), w.rec, j.session)
	if err != nil {
		return w.fail(fmt.Errorf("close session: %w", err))
	}
	return nil
}

func assetsOf(pairs func(feed.Pair) (*feed.PairInfo, bool), p feed.Pair) (base, quote string) {
	base, quote = p.Base(), p.Quote()
	if pairs != nil {
		if info, ok := pairs(p); ok && info != nil {
			if info.Base != "" {
				base = info.Base
			}
			if info.Quote != "" {
				quote = info.Quote
			}
		}
	}
	return base, quote
}

func nsOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func nullNS(ns int64) any {
	if ns == 0 {
		return nil
	}
	return ns
}

var _ record.Recorder = (*Journal)(nil)

// provJSON is strategy.Provenance as stored: book levels keep their wire text (feed.Fixed has
// no JSON decoding of its own).
type provJSON struct {
	Model      string          `json:"model"`
	TradeIDs   []uint64        `json:"trade_ids,omitempty"`
	Levels     []levelJSON     `json:"levels,omitempty"`
	QueueAhead decimal.Decimal `json:"queue_ahead"`
	Note       string          `json:"note,omitempty"`
}

type levelJSON struct {
	Price     string `json:"price"`
	Qty       string `json:"qty"`
	Republish bool   `json:"republish,omitempty"`
}

func encodeProvenance(p *strategy.Provenance) ([]byte, error) {
	pj := provJSON{Model: p.Model, TradeIDs: p.TradeIDs, QueueAhead: p.QueueAhead, Note: p.Note}
	for _, l := range p.Levels {
		pj.Levels = append(pj.Levels, levelJSON{Price: l.Price.String(), Qty: l.Qty.String(), Republish: l.Republish})
	}
	return json.Marshal(&pj)
}

func decodeProvenance(b []byte, p *strategy.Provenance) error {
	var pj provJSON
	if err := json.Unmarshal(b, &pj); err != nil {
		return err
	}
	*p = strategy.Provenance{Model: pj.Model, TradeIDs: pj.TradeIDs, QueueAhead: pj.QueueAhead, Note: pj.Note}
	for _, l := range pj.Levels {
		pr, err := feed.ParseFixed([]byte(l.Price))
		if err != nil {
			return fmt.Errorf("level price %q: %w", l.Price, err)
		}
		q, err := feed.ParseFixed([]byte(l.Qty))
		if err != nil {
			return fmt.Errorf("level qty %q: %w", l.Qty, err)
		}
		p.Levels = append(p.Levels, feed.BookLevel{Price: pr, Qty: q, Republish: l.Republish})
	}
	return nil
}
