package tape

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

// csvMaxLine bounds one CSV line; Time-and-Sales rows are about 40 bytes.
const csvMaxLine = 64 << 10

// ImportCSV reads Kraken's Time-and-Sales CSV for one pair (PROTOCOL.md §8.2: no header,
// exactly three columns unix_seconds,price,volume, rows in execution order) and writes the
// trades to w as v2 trade frames (see the package's importer notes). Prices and volumes are
// kept exactly as decimal text; a fractional time ("1381095255.5") is accepted. A leading
// header line whose first field is not a number is skipped.
//
// The CSV has no side, no order type and no trade id. Trade events need a taker side, so
// ImportCSV infers it by the tick rule: a trade above the previous trade's price is a buy, one
// below it a sell, one at the same price repeats the previous trade's side, and the first
// trade, with nothing to compare with, is a buy. This is the usual classification when quotes
// are unknown, but it is a guess: record it (WithMeta("side", "tick-rule")) and do not treat
// these sides as Kraken's. Order type and trade id are left out of the frames.
//
// A malformed row (wrong column count, a number that does not parse, a price or volume that
// is not positive, a time before the previous row's) is counted in Bad, passed to
// ImportOnBad with its line number, and skipped. The error is for what stops the import:
// reading r, writing w, an unknown pair, or ctx ending.
func ImportCSV(ctx context.Context, r io.Reader, w *Writer, pair feed.Pair, opts ...ImportOption) (ImportStats, error) {
	cfg := newImportConfig(opts)
	var st ImportStats
	if _, ok := cfg.pairs.Lookup(pair); !ok {
		return st, fmt.Errorf("tape: import: pair %q is not in the pair table", pair)
	}
	fr, err := newTradeFramer(w, cfg.pairs, &st)
	if err != nil {
		return st, err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), csvMaxLine)
	var (
		tick     tickRule
		lastTime time.Time
		line     int64
	)
	for sc.Scan() {
		line++
		if line%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
		row := bytes.TrimSpace(sc.Bytes())
		if len(row) == 0 {
			continue
		}
		if line == 1 && len(row) > 0 && (row[0] < '0' || row[0] > '9') {
			continue // a header someone added
		}
		st.Rows++
		t, price, qty, err := parseCSVRow(row)
		if err == nil && t.Before(lastTime) {
			err = fmt.Errorf("time %s is before the previous row's %s (rows must be in execution order)", t.Format(time.RFC3339Nano), lastTime.Format(time.RFC3339Nano))
		}
		if err != nil {
			cfg.bad(&st, line, err)
			continue
		}
		// Checked with a provisional side so a refused row leaves the tick rule alone.
		tr := feed.Trade{Pair: pair, Side: feed.Buy, Price: price.Decimal(), Qty: qty.Decimal(), Time: t}
		if err := fr.check(&tr); err != nil {
			cfg.bad(&st, line, err)
			continue
		}
		lastTime = t
		tr.Side = tick.side(price)
		if err := fr.add(tr); err != nil {
			return st, fmt.Errorf("tape: import line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line %d is longer than %d bytes: not a Time-and-Sales CSV", line+1, csvMaxLine)
		}
		return st, fmt.Errorf("tape: import: %w", err)
	}
	if err := fr.flush(); err != nil {
		return st, fmt.Errorf("tape: import: %w", err)
	}
	return st, nil
}

// parseCSVRow splits "seconds,price,volume".
func parseCSVRow(row []byte) (time.Time, feed.Fixed, feed.Fixed, error) {
	var zero feed.Fixed
	if n := bytes.Count(row, []byte{','}) + 1; n != 3 {
		return time.Time{}, zero, zero, fmt.Errorf("%d columns, want 3 (unix_seconds,price,volume)", n)
	}
	i := bytes.IndexByte(row, ',')
	j := i + 1 + bytes.IndexByte(row[i+1:], ',')
	ts, ps, qs := bytes.TrimSpace(row[:i]), bytes.TrimSpace(row[i+1:j]), bytes.TrimSpace(row[j+1:])
	t, err := kraken.ParseUnixTime(string(ts))
	if err != nil {
		return time.Time{}, zero, zero, fmt.Errorf("time %q: want unix seconds", ts)
	}
	if err := checkTradeTime(t); err != nil {
		return time.Time{}, zero, zero, err
	}
	price, err := feed.ParseFixed(ps)
	if err != nil || price.Sign() <= 0 {
		return time.Time{}, zero, zero, fmt.Errorf("price %q: want a positive decimal number", ps)
	}
	qty, err := feed.ParseFixed(qs)
	if err != nil || qty.Sign() <= 0 {
		return time.Time{}, zero, zero, fmt.Errorf("volume %q: want a positive decimal number", qs)
	}
	return t, price, qty, nil
}

// tickRule classifies trades by the direction of the price change (see ImportCSV).
type tickRule struct {
	last feed.Fixed
	prev feed.Side
}

func (r *tickRule) side(price feed.Fixed) feed.Side {
	switch {
	case r.prev == 0:
		r.prev = feed.Buy
	case price.Cmp(r.last) > 0:
		r.prev = feed.Buy
	case price.Cmp(r.last) < 0:
		r.prev = feed.Sell
	}
	r.last = price
	return r.prev
}
