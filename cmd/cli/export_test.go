package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

// exportWant decodes a recording the plain way: its trades, and the top of book after every
// book message that changed it.
func exportWant(t *testing.T, dir string) (trades [][]string, tops [][]string) {
	t.Helper()
	r, err := tape.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	dec := kraken.NewNormalizer(kraken.NormalizerConfig{}) // as export reads the tape
	books := map[feed.Pair]*feed.Book{}
	last := map[feed.Pair]string{}
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	for ev, err := range r.Events(context.Background(), dec, tape.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Kind {
		case feed.KindTrade:
			tr := ev.Trade
			id := ""
			if tr.ID != 0 {
				id = fmt.Sprint(tr.ID)
			}
			trades = append(trades, []string{stamp(tr.Time), stamp(ev.Recv), string(ev.Pair), tr.Side.String(), tr.OrdType.String(), kraken.DecimalText(tr.Price), kraken.DecimalText(tr.Qty), id, ev.API.String(), fmt.Sprint(ev.Conn)})
		case feed.KindBook:
			b := books[ev.Pair]
			if b == nil {
				b = feed.NewBook(ev.Pair, 10)
				books[ev.Pair] = b
			}
			if err := b.Apply(ev.Book); err != nil {
				t.Fatal(err)
			}
			top := []string{b.Bid(0).Price.String(), b.Bid(0).Qty.String(), b.Ask(0).Price.String(), b.Ask(0).Qty.String()}
			if k := strings.Join(top, ","); k != last[ev.Pair] {
				last[ev.Pair] = k
				at := ev.Time
				if at.IsZero() {
					at = ev.Recv
				}
				tops = append(tops, append([]string{stamp(at), stamp(ev.Recv), string(ev.Pair)}, top...))
			}
		}
	}
	return trades, tops
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestExportCSV(t *testing.T) {
	dir := t.TempDir()
	tpMust(t, "tape", "synth", "--out", dir, "--trades", "2000", "--seed", "4")
	trades, tops := exportWant(t, dir)
	out := filepath.Join(t.TempDir(), "t.csv")
	tpMust(t, "export", "--to", "csv", "--data", dir, "--out", out)
	got := readCSV(t, out)
	if strings.Join(got[0], ",") != "time,recv,pair,side,ord_type,price,qty,trade_id,api,conn" {
		t.Errorf("header %v", got[0])
	}
	if len(got)-1 != len(trades) || len(trades) != 2000 {
		t.Fatalf("%d rows, want %d", len(got)-1, len(trades))
	}
	for i, row := range got[1:] {
		if strings.Join(row, ",") != strings.Join(trades[i], ",") {
			t.Fatalf("row %d: %v, want %v", i, row, trades[i])
		}
	}
	tpMust(t, "export", "--to", "csv", "--data", dir, "--kind", "top", "--pairs", "ETH/USD", "--out", out)
	got = readCSV(t, out)
	var want [][]string
	for _, r := range tops {
		if r[2] == "ETH/USD" {
			want = append(want, r)
		}
	}
	if strings.Join(got[0], ",") != "time,recv,pair,bid,bid_qty,ask,ask_qty" || len(got)-1 != len(want) || len(want) < 100 {
		t.Fatalf("top: %d rows (header %v), want %d", len(got)-1, got[0], len(want))
	}
	for i, row := range got[1:] {
		if strings.Join(row, ",") != strings.Join(want[i], ",") {
			t.Fatalf("top row %d: %v, want %v", i, row, want[i])
		}
	}
	// A time window.
	from, until := trades[100][1], trades[200][1]
	code, outText, errOut := tpRun(t, "export", "--to", "csv", "--data", dir, "--from", from, "--until", until, "--out", "-")
	if code != ExitOK || strings.Count(outText, "\n") < 2 || !strings.Contains(errOut, "rows → -") {
		t.Errorf("window: exit %d, %d lines, %s", code, strings.Count(outText, "\n"), errOut)
	}
	for _, line := range strings.Split(strings.TrimSpace(outText), "\n")[1:] {
		recv := strings.Split(line, ",")[1]
		if recv < from || recv >= until {
			t.Errorf("row received %s outside [%s, %s)", recv, from, until)
		}
	}
}

// TestExportParquet reads the Parquet file back: column order and logical types (TIMESTAMP
// nanoseconds UTC, DECIMAL(18, s) with the scale the data needs), and every value exact.
func TestExportParquet(t *testing.T) {
	dir := t.TempDir()
	tpMust(t, "tape", "synth", "--out", dir, "--trades", "3000", "--seed", "5", "--pairs", "BTC/USD,DOGE/USD")
	// A CSV import with an id-less trade and more decimals than the pair uses.
	csvFile := filepath.Join(t.TempDir(), "XDGUSD.csv")
	if err := os.WriteFile(csvFile, []byte("1735689600,0.15000005,12.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tpMust(t, "import", csvFile, "--out", dir)
	trades, tops := exportWant(t, dir)
	out := filepath.Join(t.TempDir(), "t.parquet")
	tpMust(t, "export", "--to", "parquet", "--data", dir, "--out", out)

	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range pf.Schema().Fields() {
		lt := ""
		if l := c.Type().LogicalType(); l != nil {
			lt = l.String()
		}
		cols = append(cols, fmt.Sprintf("%s %s %s opt=%v", c.Name(), c.Type().Kind(), lt, c.Optional()))
	}
	wantCols := []string{
		"time INT64 TIMESTAMP(isAdjustedToUTC=true,unit=NANOS) opt=false",
		"recv INT64 TIMESTAMP(isAdjustedToUTC=true,unit=NANOS) opt=false",
		"pair BYTE_ARRAY STRING opt=false",
		"side BYTE_ARRAY STRING opt=false",
		"ord_type BYTE_ARRAY STRING opt=false",
		"price INT64 DECIMAL(18,8) opt=false", // DOGE/USD's 7 decimals, the CSV price's 8
		"qty INT64 DECIMAL(18,8) opt=false",
		"trade_id INT64 INT(64,true) opt=true",
		"api BYTE_ARRAY STRING opt=false",
		"conn INT64 INT(64,true) opt=false",
	}
	if strings.Join(cols, "\n") != strings.Join(wantCols, "\n") {
		t.Errorf("columns:\n%s\nwant:\n%s", strings.Join(cols, "\n"), strings.Join(wantCols, "\n"))
	}
	rows := readParquet(t, pf)
	if len(rows) != len(trades) || len(trades) != 3001 {
		t.Fatalf("%d rows, want %d", len(rows), len(trades))
	}
	for i, row := range rows {
		w := trades[i]
		got := []string{
			time.Unix(0, row[0].Int64()).UTC().Format(time.RFC3339Nano), time.Unix(0, row[1].Int64()).UTC().Format(time.RFC3339Nano),
			string(row[2].ByteArray()), string(row[3].ByteArray()), string(row[4].ByteArray()),
			decimal.New(row[5].Int64(), -8).String(), decimal.New(row[6].Int64(), -8).String(), "", string(row[8].ByteArray()), fmt.Sprint(row[9].Int64()),
		}
		if !row[7].IsNull() {
			got[7] = fmt.Sprint(row[7].Int64())
		}
		price, qty := decimal.RequireFromString(w[5]), decimal.RequireFromString(w[6])
		wantRow := append(append(append([]string{}, w[:5]...), price.String(), qty.String()), w[7:]...)
		if strings.Join(got, ",") != strings.Join(wantRow, ",") {
			t.Fatalf("row %d: %v, want %v", i, got, wantRow)
		}
	}

	tpMust(t, "export", "--to", "parquet", "--data", dir, "--kind", "top", "--out", out)
	f2, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	st, _ = f2.Stat()
	pf, err = parquet.OpenFile(f2, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if got := len(readParquet(t, pf)); got != len(tops) {
		t.Errorf("top: %d rows, want %d", got, len(tops))
	}
	if c := pf.Schema().Fields()[3]; c.Name() != "bid" || c.Type().LogicalType().String() != "DECIMAL(18,7)" {
		t.Errorf("bid column %s %v", c.Name(), c.Type().LogicalType())
	}
}

func readParquet(t *testing.T, pf *parquet.File) []parquet.Row {
	t.Helper()
	var out []parquet.Row
	for _, rg := range pf.RowGroups() {
		rr := rg.Rows()
		buf := make([]parquet.Row, 256)
		for {
			n, err := rr.ReadRows(buf)
			for _, r := range buf[:n] {
				out = append(out, r.Clone())
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		rr.Close()
	}
	return out
}

func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	tpMust(t, "tape", "synth", "--out", dir, "--trades", "10", "--channels", "trade")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--out", "x.csv"}, ExitUsage, "--data is required"},
		{[]string{"--data", dir}, ExitUsage, "--out is required"},
		{[]string{"--data", dir, "--out", "x", "--to", "xlsx"}, ExitUsage, `--to "xlsx"`},
		{[]string{"--data", dir, "--out", "x", "--kind", "ohlc"}, ExitUsage, `--kind "ohlc"`},
		{[]string{"--data", dir, "--out", "-", "--to", "parquet"}, ExitUsage, "parquet needs a file"},
		{[]string{"--data", dir, "--out", "-", "--pairs", "QQQ"}, ExitUsage, `pair "QQQ"`},
		{[]string{"--data", filepath.Join(dir, "missing"), "--out", "-"}, ExitError, "no such file"},
		{[]string{"--data", dir, "--out", "-", "--kind", "top"}, ExitOK, "no top of book"},
	}
	for _, tc := range tests {
		code, _, errOut := tpRun(t, append([]string{"export"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("export %v: exit %d %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}
