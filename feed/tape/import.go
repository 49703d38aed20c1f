package tape

import (
	"fmt"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

// Importers write through a Writer the caller owns (see "Importing history" in the package
// documentation): give it WithFlushInterval(0), so that the same input always produces the
// same bytes, and WithMeta to say where the data came from. They never close it.

// MaxTradesPerFrame bounds how many same-time trades an importer puts in one frame.
const MaxTradesPerFrame = 1000

// ImportStats counts what an import did.
type ImportStats struct {
	Rows       int64     // input rows (CSV lines, REST entries) read, bad ones included
	Trades     int64     // trades written
	Frames     int64     // frames written
	Duplicates int64     // trades skipped because an earlier page already had them (REST)
	Bad        int64     // rows skipped as malformed
	Pages      int64     // REST pages read
	First      time.Time // time of the first trade written
	Last       time.Time // time of the last trade written
	// Cursor is REST's "last" of the latest page read: pass it as since to continue.
	Cursor string
}

// RowError is a malformed input row, skipped by an importer. Line is 1-based; for JSON input
// it is the line on which the entry starts.
type RowError struct {
	Line int64
	Err  error
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *RowError) Unwrap() error { return e.Err }

type importConfig struct {
	pairs *kraken.Pairs
	onBad func(RowError)
	log   *zap.Logger
}

// ImportOption configures an importer.
type ImportOption func(*importConfig)

// ImportPairs sets the pair table that gives each pair's precision and REST names (default
// kraken.DefaultPairs).
func ImportPairs(p *kraken.Pairs) ImportOption { return func(c *importConfig) { c.pairs = p } }

// ImportOnBad is called with every malformed row, in input order, before it is skipped.
func ImportOnBad(fn func(RowError)) ImportOption { return func(c *importConfig) { c.onBad = fn } }

// ImportLogger sets the logger (default zap.NewNop()).
func ImportLogger(l *zap.Logger) ImportOption { return func(c *importConfig) { c.log = l } }

func newImportConfig(opts []ImportOption) importConfig {
	c := importConfig{}
	for _, o := range opts {
		o(&c)
	}
	if c.pairs == nil {
		c.pairs = kraken.DefaultPairs()
	}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	return c
}

func (c *importConfig) bad(st *ImportStats, line int64, err error) {
	st.Bad++
	if c.onBad != nil {
		c.onBad(RowError{Line: line, Err: err})
	}
}

// tradeFramer collects trades and writes one v2 frame per run of same-time trades.
type tradeFramer struct {
	w     *Writer
	enc   *kraken.Encoder
	dec   *kraken.Decoder // the reader's decoder, for check
	pend  []feed.Trade
	frame []byte
	st    *ImportStats

	one     [1]feed.Trade // check's scratch
	scratch []byte
	evs     []feed.Event
}

func newTradeFramer(w *Writer, pairs *kraken.Pairs, st *ImportStats) (*tradeFramer, error) {
	enc, err := kraken.NewEncoder(feed.APIV2, kraken.EncodePairs(pairs))
	if err != nil {
		return nil, err
	}
	return &tradeFramer{w: w, enc: enc, dec: kraken.NewDecoder(), st: st, frame: make([]byte, 0, 4096)}, nil
}

// check writes tr alone as the frame it would go into and decodes that frame as a replay
// will, so a row is refused on import by exactly the rules that would refuse it on reading
// (issue 15 item 10: 1e11 DOGE/USD passed the importer's own checks, was written at the pair's
// 7 decimals as 19 digits, and made the recording unreadable). The error is for the row: skip
// it and go on.
func (f *tradeFramer) check(tr *feed.Trade) error {
	f.one[0] = *tr
	var err error
	f.scratch, err = f.enc.AppendTrades(f.scratch[:0], false, f.one[:])
	if err == nil {
		f.evs, err = f.dec.Decode(f.scratch, tr.Time, f.evs[:0])
	}
	if err == nil && len(f.evs) != 1 {
		err = fmt.Errorf("decodes to %d events, want 1", len(f.evs))
	}
	if err != nil {
		return fmt.Errorf("would not replay from the recording: %w", err)
	}
	return nil
}

// add queues a trade, writing the pending frame first when the trade does not belong to it.
func (f *tradeFramer) add(tr feed.Trade) error {
	if n := len(f.pend); n > 0 && (n >= MaxTradesPerFrame || !f.pend[0].Time.Equal(tr.Time) || f.pend[0].Pair != tr.Pair) {
		if err := f.flush(); err != nil {
			return err
		}
	}
	f.pend = append(f.pend, tr)
	return nil
}

// flush writes the pending trades as one frame.
func (f *tradeFramer) flush() error {
	if len(f.pend) == 0 {
		return nil
	}
	var err error
	f.frame, err = f.enc.AppendTrades(f.frame[:0], false, f.pend)
	if err != nil {
		return err
	}
	t := f.pend[0].Time
	if err := f.w.Write(Frame{Recv: t, API: feed.APIV2, Conn: 0, Raw: f.frame}); err != nil {
		return err
	}
	if f.st.Trades == 0 {
		f.st.First = t
	}
	f.st.Last = t
	f.st.Trades += int64(len(f.pend))
	f.st.Frames++
	clear(f.pend)
	f.pend = f.pend[:0]
	return nil
}

// maxTradeTime is the last time a tape line can carry (UnixNano's limit, April 2262).
var maxTradeTime = time.Unix(0, 1<<63-1)

// checkTradeTime rejects trade times a tape cannot hold or that cannot be Kraken's.
func checkTradeTime(t time.Time) error {
	if t.Unix() <= 0 || t.After(maxTradeTime) {
		return fmt.Errorf("time %s is outside 1970-2262", t.Format(time.RFC3339Nano))
	}
	return nil
}

// ImportFormat names the two formats the importers read: Kraken's trade-history CSV
// (ImportCSV) and REST Trades JSON (ImportREST).
type ImportFormat string

const (
	FormatCSV  ImportFormat = "csv"
	FormatREST ImportFormat = "rest"
)

// ImportOptions returns the writer options an imported file's recording carries: name, the
// trade channel, the pair when known, and manifest meta naming the file and its source (a
// CSV's taker side is inferred by the tick rule, which the manifest says). Flushing is left
// to the importer: imported data is not live.
func ImportOptions(format ImportFormat, name, file string, pair feed.Pair) []Option {
	opts := []Option{
		WithName(name),
		WithFlushInterval(0),
		WithChannels("trade"),
		WithMeta("file", filepath.Base(file)),
	}
	if pair != "" {
		opts = append(opts, WithPairs(pair))
	}
	if format == FormatCSV {
		return append(opts, WithMeta("source", "kraken-csv"), WithMeta("side", "tick-rule"))
	}
	return append(opts, WithMeta("source", "kraken-rest-trades"))
}
