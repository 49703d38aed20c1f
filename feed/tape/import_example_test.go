package tape_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

// Import Kraken's Time-and-Sales CSV into a recording and replay it through the v2 decoder.
func ExampleImportCSV() {
	dir, err := os.MkdirTemp("", "tape-import")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	w, err := tape.NewWriter(dir, tape.WithName("csv-XBTUSD"), tape.WithFlushInterval(0),
		tape.WithPairs("BTC/USD"), tape.WithMeta("source", "kraken-csv"), tape.WithMeta("side", "tick-rule"))
	if err != nil {
		panic(err)
	}
	csv := "1381095255,122.0,0.1\n1381095255,123.00000,0.2\n1381095301,121.5,1.5\nnot,a,row\n"
	st, err := tape.ImportCSV(context.Background(), strings.NewReader(csv), w, "BTC/USD",
		tape.ImportOnBad(func(e tape.RowError) { fmt.Println("skipped", e.Error()) }))
	if err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	fmt.Println(st.Trades, "trades in", st.Frames, "frames,", st.Bad, "bad row")

	r, err := tape.Open(dir)
	if err != nil {
		panic(err)
	}
	for ev, err := range r.Events(context.Background(), kraken.NewNormalizer(kraken.NormalizerConfig{}), tape.Filter{}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(ev.API, ev.Pair, ev.Trade.Side, kraken.DecimalText(ev.Trade.Price), kraken.DecimalText(ev.Trade.Qty), ev.Trade.Time.Format("2006-01-02 15:04:05"))
	}
	// Output:
	// skipped line 4: time "not": want unix seconds
	// 3 trades in 2 frames, 1 bad row
	// v2 BTC/USD buy 122.0 0.10000000 2013-10-06 21:34:15
	// v2 BTC/USD buy 123.0 0.20000000 2013-10-06 21:34:15
	// v2 BTC/USD sell 121.5 1.50000000 2013-10-06 21:35:01
}
