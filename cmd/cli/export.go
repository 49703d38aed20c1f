package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/spf13/cobra"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

type exportOptions struct {
	to    string
	data  string
	out   string
	pairs string
	kind  string
	from  string
	until string
}

func newExportCmd(a *app) *cobra.Command {
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export --to csv|parquet --data DIR --out FILE",
		Short: "Export trades or top of book from a recording to CSV or Parquet (DuckDB, pandas)",
		Long: `export decodes a recording and writes one row per trade (--kind trades) or per change of a pair's
best bid or ask (--kind top, from the recorded order books) to a CSV or Parquet file that DuckDB,
pandas, polars or a spreadsheet open directly.

trades columns: time (exchange time), recv (receive time), pair, side (taker), ord_type (taker),
  price, qty, trade_id (empty when the source has none: v1, CSV), api, conn
top columns: time (book message time, else receive time), recv, pair, bid, bid_qty, ask, ask_qty

Times are UTC with nanoseconds (CSV: RFC 3339 text; Parquet: TIMESTAMP(NANOS, UTC)). Prices and
quantities are exact: CSV prints them as decimal text with the precision Kraken sent; Parquet
stores them as DECIMAL(18, scale) with one scale per column, the largest the data needs (a first
pass over the recording finds it), so both tools read numbers, not strings:

  duckdb -c "SELECT pair, count(*), avg(price) FROM 'trades.parquet' GROUP BY pair"
  pandas.read_parquet("trades.parquet")     # price: decimal.Decimal objects (exact)
  pandas.read_csv("trades.csv", parse_dates=["time", "recv"])   # price: float64

Top of book uses each pair's book as a client keeps it: applied in order, checksums verified; a book
whose checksum fails gives no rows until its next snapshot.`,
		Example: `  papertrade export --to parquet --data data/history --out trades.parquet
  papertrade export --to csv --data data/live --kind top --pairs BTC/USD --out btc-top.csv
  papertrade export --to csv --data data/live --from 2025-11-01T10:00:00Z --until 2025-11-01T11:00:00Z --out hour.csv`,
		Args: tpUsageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExport(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "csv", "output format: csv or parquet")
	f.StringVar(&o.data, "data", "", "recording to read: a directory, manifest or segment (required)")
	f.StringVar(&o.out, "out", "", "file to write (required; - for standard output with csv)")
	f.StringVar(&o.pairs, "pairs", "", "only these pairs, comma-separated (default: all)")
	f.StringVar(&o.kind, "kind", "trades", "rows: trades, or top (best bid and ask)")
	f.StringVar(&o.from, "from", "", "only frames received at or after this time")
	f.StringVar(&o.until, "until", "", "only frames received before this time")
	return cmd
}

// exportRow is one output row; trades use Side..ID, top of book Bid..AskQty.
type exportRow struct {
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

type exportRun struct {
	a      *app
	o      exportOptions
	filter tape.Filter
	top    bool
}

func runExport(ctx context.Context, a *app, o exportOptions) error {
	switch {
	case o.data == "":
		return tpUsagef("--data is required")
	case o.out == "":
		return tpUsagef("--out is required")
	case o.to != "csv" && o.to != "parquet":
		return tpUsagef("--to %q: want csv or parquet", o.to)
	case o.kind != "trades" && o.kind != "top":
		return tpUsagef("--kind %q: want trades or top", o.kind)
	case o.to == "parquet" && o.out == "-":
		return tpUsagef("parquet needs a file: --out FILE")
	}
	run := &exportRun{a: a, o: o, top: o.kind == "top"}
	if o.pairs != "" {
		infos, err := tpResolvePairs(kraken.DefaultPairs(), o.pairs)
		if err != nil {
			return err
		}
		run.filter.Pairs = tpPairNames(infos)
	}
	if o.from != "" {
		t, err := tpParseTime("from", o.from)
		if err != nil {
			return err
		}
		run.filter.From = t
	}
	if o.until != "" {
		t, err := tpParseTime("until", o.until)
		if err != nil {
			return err
		}
		run.filter.To = t
	}
	var (
		n   int64
		err error
	)
	if o.to == "csv" {
		n, err = run.csv(ctx)
	} else {
		n, err = run.parquet(ctx)
	}
	if err != nil {
		return err
	}
	if n == 0 {
		what := "no trades"
		if run.top {
			what = "no top of book (no book messages, or none verified)"
		}
		fmt.Fprintf(a.stderr, "export: %s in %s for the pairs and times asked\n", what, o.data)
	}
	fmt.Fprintf(a.stderr, "export: %d rows → %s\n", n, o.out)
	return nil
}

// rows reads the recording and calls emit for every row, in receive order.
func (e *exportRun) rows(ctx context.Context, emit func(*exportRow) error) error {
	r, err := tape.Open(e.o.data, tape.ReadLogger(e.a.log))
	if err != nil {
		return err
	}
	// The one normaliser, as backtests replay the tape: a trade re-sent after a reconnect is
	// exported once, and a top of book only from a verified book.
	norm := kraken.NewNormalizer(kraken.NormalizerConfig{Log: e.a.log})
	type top struct{ bid, bidQty, ask, askQty feed.Fixed }
	last := map[feed.Pair]top{}
	var (
		evs  []feed.Event
		row  exportRow
		bad  int64
		keep = func(p feed.Pair) bool { return len(e.filter.Pairs) == 0 || slices.Contains(e.filter.Pairs, p) }
	)
	for f, err := range r.Frames(ctx, e.filter.Range) {
		if err != nil {
			return err
		}
		if evs, err = norm.DecodeFrame(f, evs[:0]); err != nil {
			bad++
			continue
		}
		for i := range evs {
			ev := &evs[i]
			switch {
			case !e.top && ev.Kind == feed.KindTrade && keep(ev.Pair):
				tr := &ev.Trade
				price, ok1 := feed.FixedFromDecimal(tr.Price)
				qty, ok2 := feed.FixedFromDecimal(tr.Qty)
				if !ok1 || !ok2 {
					return fmt.Errorf("export: trade %s %s × %s does not fit 18 digits", ev.Pair, tr.Price, tr.Qty)
				}
				row = exportRow{Time: tr.Time, Recv: ev.Recv, Pair: ev.Pair, Side: tr.Side, OrdType: tr.OrdType, Price: price, Qty: qty, ID: tr.ID, API: ev.API, Conn: ev.Conn}
				if err := emit(&row); err != nil {
					return err
				}
			case e.top && ev.Kind == feed.KindBook && keep(ev.Pair):
				b := norm.Book(ev.Pair) // delivered, so verified; nil if unverifiable
				if b == nil {
					continue
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
				if prev, ok := last[ev.Pair]; ok && prev == t {
					continue
				}
				last[ev.Pair] = t
				at := ev.Time
				if at.IsZero() {
					at = ev.Recv
				}
				row = exportRow{Time: at, Recv: ev.Recv, Pair: ev.Pair, API: ev.API, Conn: ev.Conn, Bid: t.bid, BidQty: t.bidQty, Ask: t.ask, AskQty: t.askQty}
				if err := emit(&row); err != nil {
					return err
				}
			}
		}
	}
	if bad > 0 {
		fmt.Fprintf(e.a.stderr, "export: %d frames could not be decoded and were skipped\n", bad)
	}
	for _, w := range r.Warnings() {
		fmt.Fprintf(e.a.stderr, "export: warning: %s\n", w)
	}
	return nil
}

func exportStamp(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return dst
	}
	return t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.999999999Z07:00")
}

// csv writes the rows as CSV with a header line.
func (e *exportRun) csv(ctx context.Context) (int64, error) {
	var out io.Writer = e.a.stdout
	var fh *os.File
	if e.o.out != "-" {
		var err error
		if fh, err = os.Create(e.o.out); err != nil {
			return 0, err
		}
		defer fh.Close()
		out = fh
	}
	bw := bufio.NewWriterSize(out, 256<<10)
	if e.top {
		bw.WriteString("time,recv,pair,bid,bid_qty,ask,ask_qty\n")
	} else {
		bw.WriteString("time,recv,pair,side,ord_type,price,qty,trade_id,api,conn\n")
	}
	var (
		n    int64
		line []byte
	)
	err := e.rows(ctx, func(r *exportRow) error {
		n++
		line = exportStamp(line[:0], r.Time)
		line = append(line, ',')
		line = exportStamp(line, r.Recv)
		line = append(line, ',')
		line = append(line, r.Pair...) // pair names are letters, digits and "/"
		if e.top {
			for _, f := range [...]feed.Fixed{r.Bid, r.BidQty, r.Ask, r.AskQty} {
				line = append(line, ',')
				line = f.AppendText(line)
			}
		} else {
			line = append(line, ',')
			line = append(line, r.Side.String()...)
			line = append(line, ',')
			line = append(line, r.OrdType.String()...)
			line = append(line, ',')
			line = r.Price.AppendText(line)
			line = append(line, ',')
			line = r.Qty.AppendText(line)
			line = append(line, ',')
			if r.ID != 0 {
				line = strconv.AppendUint(line, r.ID, 10)
			}
			line = append(line, ',')
			line = append(line, r.API.String()...)
			line = append(line, ',')
			line = strconv.AppendUint(line, uint64(r.Conn), 10)
		}
		line = append(line, '\n')
		_, err := bw.Write(line)
		return err
	})
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && fh != nil {
		err = fh.Close()
	}
	return n, err
}

// exportScales is the decimal scale each Parquet decimal column needs.
type exportScales struct{ price, qty int32 }

func (s *exportScales) note(price, qty feed.Fixed) {
	s.price = max(s.price, price.Scale)
	s.qty = max(s.qty, qty.Scale)
}

// unscaled returns f as an integer at scale, or false when it does not fit 18 digits.
func unscaled(f feed.Fixed, scale int32) (int64, bool) {
	g, ok := f.Rescale(scale)
	if !ok || g.Mant >= 1e18 || g.Mant <= -1e18 {
		return 0, false
	}
	return g.Mant, true
}

// parquet writes the rows as a Parquet file: a first pass finds the decimal scales, the
// second writes.
func (e *exportRun) parquet(ctx context.Context) (int64, error) {
	var sc exportScales
	err := e.rows(ctx, func(r *exportRow) error {
		if e.top {
			sc.note(r.Bid, r.BidQty)
			sc.note(r.Ask, r.AskQty)
		} else {
			sc.note(r.Price, r.Qty)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	schema := exportSchema(e.top, sc)
	fh, err := os.Create(e.o.out)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	pw := parquet.NewWriter(fh, schema, parquet.Compression(&parquet.Zstd), parquet.CreatedBy("papertrade", Version, ""))
	var (
		n    int64
		rows = make([]parquet.Row, 0, 1024)
	)
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		_, err := pw.WriteRows(rows)
		rows = rows[:0]
		return err
	}
	err = e.rows(ctx, func(r *exportRow) error {
		row, err := exportParquetRow(e.top, sc, r)
		if err != nil {
			return err
		}
		rows = append(rows, row)
		n++
		if len(rows) == cap(rows) {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		err = pw.Close()
	}
	if err == nil {
		err = fh.Close()
	}
	return n, err
}

// exportSchema builds the Parquet schema from a struct type made at run time, because the
// decimal scales are only known then and struct fields keep the columns in order.
func exportSchema(top bool, sc exportScales) *parquet.Schema {
	field := func(name, col string, typ reflect.Type, tag string) reflect.StructField {
		return reflect.StructField{Name: name, Type: typ, Tag: reflect.StructTag(`parquet:"` + col + tag + `"`)}
	}
	i64, str := reflect.TypeFor[int64](), reflect.TypeFor[string]()
	fields := []reflect.StructField{
		field("Time", "time", i64, ",timestamp(nanosecond)"),
		field("Recv", "recv", i64, ",timestamp(nanosecond)"),
		field("Pair", "pair", str, ",dict"),
	}
	decField := func(name, col string, scale int32) reflect.StructField {
		return field(name, col, i64, fmt.Sprintf(",decimal(%d:18)", scale))
	}
	if top {
		fields = append(fields,
			decField("Bid", "bid", sc.price), decField("BidQty", "bid_qty", sc.qty),
			decField("Ask", "ask", sc.price), decField("AskQty", "ask_qty", sc.qty))
	} else {
		fields = append(fields,
			field("Side", "side", str, ",dict"),
			field("OrdType", "ord_type", str, ",dict"),
			decField("Price", "price", sc.price), decField("Qty", "qty", sc.qty),
			field("TradeID", "trade_id", reflect.TypeFor[*int64](), ",optional"),
			field("API", "api", str, ",dict"),
			field("Conn", "conn", i64, ""))
	}
	name := "trades"
	if top {
		name = "top"
	}
	s := parquet.SchemaOf(reflect.New(reflect.StructOf(fields)).Interface())
	return parquet.NewSchema(name, s)
}

// exportParquetRow builds a row in the schema's column order.
func exportParquetRow(top bool, sc exportScales, r *exportRow) (parquet.Row, error) {
	row := make(parquet.Row, 0, 10)
	col := 0
	add := func(v parquet.Value, def int) {
		row = append(row, v.Level(0, def, col))
		col++
	}
	ts := func(t time.Time) parquet.Value {
		if t.IsZero() {
			return parquet.Int64Value(0)
		}
		return parquet.Int64Value(t.UnixNano())
	}
	num := func(f feed.Fixed, scale int32, what string) (parquet.Value, error) {
		v, ok := unscaled(f, scale)
		if !ok {
			return parquet.Value{}, fmt.Errorf("export: %s %s does not fit DECIMAL(18, %d); export to CSV instead", what, f, scale)
		}
		return parquet.Int64Value(v), nil
	}
	add(ts(r.Time), 0)
	add(ts(r.Recv), 0)
	add(parquet.ByteArrayValue([]byte(r.Pair)), 0)
	if top {
		for _, x := range [...]struct {
			f     feed.Fixed
			scale int32
			what  string
		}{{r.Bid, sc.price, "bid"}, {r.BidQty, sc.qty, "bid_qty"}, {r.Ask, sc.price, "ask"}, {r.AskQty, sc.qty, "ask_qty"}} {
			v, err := num(x.f, x.scale, x.what)
			if err != nil {
				return nil, err
			}
			add(v, 0)
		}
		return row, nil
	}
	add(parquet.ByteArrayValue([]byte(r.Side.String())), 0)
	add(parquet.ByteArrayValue([]byte(r.OrdType.String())), 0)
	p, err := num(r.Price, sc.price, "price")
	if err != nil {
		return nil, err
	}
	add(p, 0)
	q, err := num(r.Qty, sc.qty, "qty")
	if err != nil {
		return nil, err
	}
	add(q, 0)
	if r.ID != 0 {
		add(parquet.Int64Value(int64(r.ID)), 1)
	} else {
		add(parquet.NullValue(), 0)
	}
	add(parquet.ByteArrayValue([]byte(r.API.String())), 0)
	add(parquet.Int64Value(int64(r.Conn)), 0)
	return row, nil
}
