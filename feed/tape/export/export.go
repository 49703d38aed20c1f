// Package export writes a recording's trades, or its top of book, as CSV or Parquet files that
// DuckDB, pandas, polars or a spreadsheet open directly (`papertrade export`).
//
// Frames go through the one normaliser (kraken.Normalizer), as a backtest replays them: a trade
// re-sent after a reconnect is exported once, and a top of book comes only from a book whose
// checksum verified. Prices and quantities stay exact: CSV prints them as decimal text with
// the precision Kraken sent; Parquet stores DECIMAL(18, scale) columns with one scale per
// column, the largest the data needs (a first pass over the recording finds it).
//
// It is a package of its own, beside feed/tape, so that only exporters link Parquet.
package export

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

// Kind says what the rows are.
type Kind uint8

const (
	Trades Kind = iota // one row per trade
	Top                // one row per change of a pair's best bid or ask
)

// Options choose the rows.
type Options struct {
	Kind Kind
	// Filter keeps frames received in its Range and rows of its Pairs (all when empty); its
	// Kinds are ignored.
	Filter tape.Filter
	// CreatedBy and Version name the writing application in a Parquet file's metadata
	// (default "papertrade", no version).
	CreatedBy, Version string
	Log                *zap.Logger // default zap.NewNop()
}

// Stats is what an export read and wrote.
type Stats struct {
	Rows        int64
	Undecodable int64    // frames that could not be decoded and were skipped
	Warnings    []string // the reader's (torn tails, …)
}

// Row is one output row; trades use Side..Conn, top of book Bid..AskQty.
type Row struct {
	Time, Recv  time.Time
	Pair        feed.Pair
	Side        feed.Side
	OrdType     feed.OrdType
	Price, Qty  feed.Fixed
	ID          uint64
	API         feed.API
	Conn        uint32
	Bid, BidQty feed.Fixed
	Ask, AskQty feed.Fixed
}

type top struct{ bid, bidQty, ask, askQty feed.Fixed }

// rowReader turns normalised events into rows.
type rowReader struct {
	o    *Options
	norm *kraken.Normalizer
	last map[feed.Pair]top
	row  Row
}

// Rows reads the recording at path and calls emit for every row, in receive order. The row is
// valid only during the call.
func Rows(ctx context.Context, path string, o Options, emit func(*Row) error) (Stats, error) {
	var st Stats
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	r, err := tape.Open(path, tape.ReadLogger(o.Log))
	if err != nil {
		return st, err
	}
	rr := &rowReader{o: &o, norm: kraken.NewNormalizer(kraken.NormalizerConfig{Log: o.Log}), last: map[feed.Pair]top{}}
	var evs []feed.Event
	for f, err := range r.Frames(ctx, o.Filter.Range) {
		if err != nil {
			return st, err
		}
		if evs, err = rr.norm.DecodeFrame(f, evs[:0]); err != nil {
			st.Undecodable++
			continue
		}
		for i := range evs {
			ok, err := rr.event(&evs[i])
			if err != nil {
				return st, err
			}
			if !ok {
				continue
			}
			if err := emit(&rr.row); err != nil {
				return st, err
			}
			st.Rows++
		}
	}
	for _, w := range r.Warnings() {
		st.Warnings = append(st.Warnings, w.String())
	}
	return st, nil
}

// event fills rr.row from ev; false when ev makes no row.
func (rr *rowReader) event(ev *feed.Event) (bool, error) {
	if len(rr.o.Filter.Pairs) > 0 && !slices.Contains(rr.o.Filter.Pairs, ev.Pair) {
		return false, nil
	}
	switch {
	case rr.o.Kind == Trades && ev.Kind == feed.KindTrade:
		tr := &ev.Trade
		price, ok1 := feed.FixedFromDecimal(tr.Price)
		qty, ok2 := feed.FixedFromDecimal(tr.Qty)
		if !ok1 || !ok2 {
			return false, fmt.Errorf("export: trade %s %s × %s does not fit 18 digits", ev.Pair, tr.Price, tr.Qty)
		}
		rr.row = Row{Time: tr.Time, Recv: ev.Recv, Pair: ev.Pair, Side: tr.Side, OrdType: tr.OrdType, Price: price, Qty: qty, ID: tr.ID, API: ev.API, Conn: ev.Conn}
		return true, nil
	case rr.o.Kind == Top && ev.Kind == feed.KindBook:
		b := rr.norm.Book(ev.Pair) // delivered, so verified; nil if unverifiable
		if b == nil {
			return false, nil
		}
		var t top
		if b.Len(feed.Buy) > 0 {
			l := b.Bid(0)
			t.bid, t.bidQty = l.Price, l.Qty
		}
		if b.Len(feed.Sell) > 0 {
			l := b.Ask(0)
			t.ask, t.askQty = l.Price, l.Qty
		}
		if prev, ok := rr.last[ev.Pair]; ok && prev == t {
			return false, nil
		}
		rr.last[ev.Pair] = t
		at := ev.Time
		if at.IsZero() {
			at = ev.Recv
		}
		rr.row = Row{Time: at, Recv: ev.Recv, Pair: ev.Pair, API: ev.API, Conn: ev.Conn, Bid: t.bid, BidQty: t.bidQty, Ask: t.ask, AskQty: t.askQty}
		return true, nil
	}
	return false, nil
}
