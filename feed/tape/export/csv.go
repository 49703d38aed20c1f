package export

import (
	"bufio"
	"context"
	"io"
	"strconv"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// CSV header lines.
const (
	TradesHeader = "time,recv,pair,side,ord_type,price,qty,trade_id,api,conn\n"
	TopHeader    = "time,recv,pair,bid,bid_qty,ask,ask_qty\n"
)

// CSV writes the recording's rows to w as CSV with a header line. Times are RFC 3339 UTC
// with nanoseconds; numbers are decimal text as Kraken sent them; trade_id is empty when the
// source has none (v1, CSV imports).
func CSV(ctx context.Context, path string, w io.Writer, o Options) (Stats, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	if o.Kind == Top {
		bw.WriteString(TopHeader)
	} else {
		bw.WriteString(TradesHeader)
	}
	var line []byte
	st, err := Rows(ctx, path, o, func(r *Row) error {
		line = appendCSV(line[:0], r, o.Kind)
		_, err := bw.Write(line)
		return err
	})
	if err == nil {
		err = bw.Flush()
	}
	return st, err
}

func appendCSV(line []byte, r *Row, kind Kind) []byte {
	line = appendStamp(line, r.Time)
	line = append(line, ',')
	line = appendStamp(line, r.Recv)
	line = append(line, ',')
	line = append(line, r.Pair...) // pair names are letters, digits and "/"
	if kind == Top {
		for _, f := range [...]feed.Fixed{r.Bid, r.BidQty, r.Ask, r.AskQty} {
			line = append(line, ',')
			line = f.AppendText(line)
		}
		return append(line, '\n')
	}
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
	return append(line, '\n')
}

func appendStamp(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return dst
	}
	return t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.999999999Z07:00")
}
