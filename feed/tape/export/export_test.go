package export_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/synth"
	"github.com/papertrade/papertrade/feed/tape"
	"github.com/papertrade/papertrade/feed/tape/export"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// synthRecording writes a small generated market (two pairs, trades and books) into dir.
func synthRecording(dir string, trades int) (tape.SynthStats, error) {
	var pcs []synth.PairConfig
	for _, p := range []struct {
		pair  feed.Pair
		price int64
	}{{"BTC/USD", 60000}, {"ETH/USD", 3000}} {
		info, _ := kraken.DefaultPairs().Lookup(p.pair)
		pcs = append(pcs, synth.PairConfig{Info: *info, StartPrice: decimal.NewFromInt(p.price), Depth: 10})
	}
	return tape.WriteSynth(context.Background(), tape.SynthConfig{Dir: dir, Trades: trades,
		Market: synth.Config{Seed: 2, Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Pairs: pcs}})
}

func TestCSVAndParquet(t *testing.T) {
	dir := t.TempDir()
	st, err := synthRecording(dir, 400)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, kind := range []export.Kind{export.Trades, export.Top} {
		var csv bytes.Buffer
		cs, err := export.CSV(ctx, dir, &csv, export.Options{Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(csv.String(), "\n"), "\n")
		if int64(len(lines)-1) != cs.Rows || cs.Undecodable != 0 {
			t.Errorf("kind %d: %d CSV lines for %d rows, %d undecodable", kind, len(lines), cs.Rows, cs.Undecodable)
		}
		if kind == export.Trades && cs.Rows != st.Trades {
			t.Errorf("CSV has %d trades; the recording %d", cs.Rows, st.Trades)
		}
		if kind == export.Top && cs.Rows == 0 {
			t.Error("no top of book rows")
		}
		var pq bytes.Buffer
		ps, err := export.Parquet(ctx, dir, &pq, export.Options{Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		f, err := parquet.OpenFile(bytes.NewReader(pq.Bytes()), int64(pq.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if f.NumRows() != cs.Rows || ps.Rows != cs.Rows {
			t.Errorf("kind %d: Parquet has %d rows (stats %d); CSV %d", kind, f.NumRows(), ps.Rows, cs.Rows)
		}
	}
	// Only one pair, and nothing before the last trade's receive time but that trade.
	var csv bytes.Buffer
	cs, err := export.CSV(ctx, dir, &csv, export.Options{Filter: tape.Filter{Pairs: []feed.Pair{"ETH/USD"}}})
	if err != nil {
		t.Fatal(err)
	}
	if cs.Rows == 0 || cs.Rows >= st.Trades || strings.Contains(csv.String(), "BTC/USD") {
		t.Errorf("ETH/USD only: %d rows of %d\n%s", cs.Rows, st.Trades, csv.String())
	}
}

func ExampleCSV() {
	dir, err := os.MkdirTemp("", "export-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if _, err := synthRecording(dir, 3); err != nil {
		panic(err)
	}
	var out strings.Builder
	st, err := export.CSV(context.Background(), dir, &out, export.Options{Kind: export.Trades})
	if err != nil {
		panic(err)
	}
	fmt.Print(strings.SplitAfter(out.String(), "\n")[0])
	fmt.Println(st.Rows, "rows")
	// Output:
	// time,recv,pair,side,ord_type,price,qty,trade_id,api,conn
	// 3 rows
}
