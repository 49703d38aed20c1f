package export

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/papertrade/papertrade/feed"
)

// scales is the decimal scale each Parquet decimal column needs.
type scales struct{ price, qty int32 }

func (s *scales) note(price, qty feed.Fixed) {
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

// Parquet writes the recording's rows to w as a Parquet file (zstd-compressed): a first pass
// over the recording finds the decimal scales, the second writes. Times are
// TIMESTAMP(NANOS, UTC), prices and quantities DECIMAL(18, scale), trade_id optional. The
// returned Stats are the second pass's.
func Parquet(ctx context.Context, path string, w io.Writer, o Options) (Stats, error) {
	var sc scales
	st, err := Rows(ctx, path, o, func(r *Row) error {
		if o.Kind == Top {
			sc.note(r.Bid, r.BidQty)
			sc.note(r.Ask, r.AskQty)
		} else {
			sc.note(r.Price, r.Qty)
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	createdBy := o.CreatedBy
	if createdBy == "" {
		createdBy = "papertrade"
	}
	pw := parquet.NewWriter(w, schema(o.Kind, sc), parquet.Compression(&parquet.Zstd), parquet.CreatedBy(createdBy, o.Version, ""))
	rows := make([]parquet.Row, 0, 1024)
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		_, err := pw.WriteRows(rows)
		rows = rows[:0]
		return err
	}
	st, err = Rows(ctx, path, o, func(r *Row) error {
		row, err := parquetRow(o.Kind, sc, r)
		if err != nil {
			return err
		}
		if rows = append(rows, row); len(rows) == cap(rows) {
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
	return st, err
}

// schema builds the Parquet schema from a struct type made at run time, because the decimal
// scales are only known then and struct fields keep the columns in order.
func schema(kind Kind, sc scales) *parquet.Schema {
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
	name := "trades"
	if kind == Top {
		name = "top"
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
	s := parquet.SchemaOf(reflect.New(reflect.StructOf(fields)).Interface())
	return parquet.NewSchema(name, s)
}

// rowBuilder appends a row's values in the schema's column order.
type rowBuilder struct {
	row parquet.Row
	err error
}

func (b *rowBuilder) add(v parquet.Value, def int) {
	b.row = append(b.row, v.Level(0, def, len(b.row)))
}

func (b *rowBuilder) stamp(t time.Time) {
	if t.IsZero() {
		b.add(parquet.Int64Value(0), 0)
		return
	}
	b.add(parquet.Int64Value(t.UnixNano()), 0)
}

func (b *rowBuilder) str(s string) { b.add(parquet.ByteArrayValue([]byte(s)), 0) }

func (b *rowBuilder) num(f feed.Fixed, scale int32, what string) {
	v, ok := unscaled(f, scale)
	if !ok && b.err == nil {
		b.err = fmt.Errorf("export: %s %s does not fit DECIMAL(18, %d); export to CSV instead", what, f, scale)
	}
	b.add(parquet.Int64Value(v), 0)
}

// parquetRow builds a row in the schema's column order.
func parquetRow(kind Kind, sc scales, r *Row) (parquet.Row, error) {
	b := rowBuilder{row: make(parquet.Row, 0, 10)}
	b.stamp(r.Time)
	b.stamp(r.Recv)
	b.str(string(r.Pair))
	if kind == Top {
		b.num(r.Bid, sc.price, "bid")
		b.num(r.BidQty, sc.qty, "bid_qty")
		b.num(r.Ask, sc.price, "ask")
		b.num(r.AskQty, sc.qty, "ask_qty")
		return b.row, b.err
	}
	b.str(r.Side.String())
	b.str(r.OrdType.String())
	b.num(r.Price, sc.price, "price")
	b.num(r.Qty, sc.qty, "qty")
	if r.ID != 0 {
		b.add(parquet.Int64Value(int64(r.ID)), 1)
	} else {
		b.add(parquet.NullValue(), 0)
	}
	b.str(r.API.String())
	b.add(parquet.Int64Value(int64(r.Conn)), 0)
	return b.row, b.err
}
