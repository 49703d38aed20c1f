package kraken_test

import (
	"fmt"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

// A Normalizer applies the live client's connection rules to recorded frames: here a
// reconnect (connection 2) whose trade snapshot re-sends trade 11, and skips 12 and 13.
func ExampleNormalizer() {
	trade := func(id int, typ string) []byte {
		return fmt.Appendf(nil, `{"channel":"trade","type":"%s","data":[{"symbol":"BTC/USD","side":"buy","price":60000.0,"qty":0.01000000,"ord_type":"market","trade_id":%d,"timestamp":"2025-01-01T00:00:%02d.000000Z"}]}`, typ, id, id)
	}
	frames := []kraken.Frame{
		{Conn: 1, Raw: trade(10, "snapshot")}, // history from before the start
		{Conn: 1, Raw: []byte(`{"channel":"heartbeat"}`)},
		{Conn: 1, Raw: trade(11, "update")},
		{Conn: 2, Raw: trade(11, "snapshot")}, // re-sent after the reconnect
		{Conn: 2, Raw: trade(14, "update")},
	}
	n := kraken.NewNormalizer(kraken.NormalizerConfig{})
	var evs []feed.Event
	for i, f := range frames {
		f.Recv, f.API = time.Unix(int64(i), 0).UTC(), feed.APIV2
		evs = n.Frame(f, evs)
	}
	for _, e := range evs {
		switch e.Kind {
		case feed.KindTrade:
			fmt.Printf("conn %d: trade %d\n", e.Conn, e.Trade.ID)
		case feed.KindGap:
			fmt.Printf("conn %d: gap, %d trades missing\n", e.Conn, e.Gap.Missing)
		}
	}
	st := n.Stats()
	fmt.Printf("%d frames, %d duplicates dropped\n", st.Frames, st.Duplicates)
	// Output:
	// conn 1: trade 11
	// conn 2: gap, 2 trades missing
	// conn 2: trade 14
	// 5 frames, 1 duplicates dropped
}
