package kraken

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// FuzzDecode feeds arbitrary frames to the decoder. Seeds: every incoming frame of the
// captures in testdata/fixtures plus hand-made broken ones. Properties: no panic; an error is
// a *DecodeError and leaves dst exactly as it was; a success means the frame was valid JSON,
// every event is complete and renders as valid JSON; decoding is deterministic.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "fixtures", "*", "*.jsonl"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed fixtures: %v", err)
	}
	for _, file := range files {
		rel, _ := filepath.Rel(filepath.Join("testdata", "fixtures"), file)
		for _, l := range readFixture(f, rel) {
			if len(l.Msg) < 4096 { // the depth-1000 snapshots only slow the fuzzer down
				f.Add([]byte(l.Msg))
			}
		}
	}
	for _, s := range []string{
		``, `CloudFlare WebSocket proxy restarting`, `[`, `{`, `[0,[["1","1","1","b","l",""]],"trade","XBT/USD"`,
		`{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":1e400,"qty":-0}]}]}`,
		`[0,{"a":[["1.0","1.0","1.0","r"]],"c":"1"},{"b":[]},"book-25","XDG/XBT"]`,
		`{"channel":"status","data":[{"connection_id":18446744073709551615}],"type":"update"}`,
		`{"method":"pong","req_id":9223372036854775807}`,
		`{"channel":"trade","data":[{"symbol":"A\u002fB","side":"sell","price":1,"qty":0}],"type":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		sentinel := feed.Event{Kind: feed.KindGap, Seq: 7}
		d := NewDecoder()
		out, err := d.Decode(frame, time.Unix(1, 0), []feed.Event{sentinel})
		if len(out) == 0 || out[0].Seq != 7 || out[0].Kind != feed.KindGap {
			t.Fatalf("dst prefix clobbered: %+v", out)
		}
		st := d.Stats()
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Reason == ReasonNone || de.Error() == "" {
				t.Fatalf("error %#v is not a DecodeError with a reason", err)
			}
			if len(out) != 1 {
				t.Fatalf("error %v came with %d partial events", err, len(out)-1)
			}
			if st.Malformed.Total() != 1 {
				t.Fatalf("malformed frame not counted: %+v", st)
			}
			return
		}
		if !json.Valid(frame) {
			t.Fatalf("accepted invalid JSON %q", frame)
		}
		if st.Events != uint64(len(out)-1) {
			t.Fatalf("stats say %d events, got %d", st.Events, len(out)-1)
		}
		for i := 1; i < len(out); i++ {
			ev := &out[i]
			if ev.Kind == feed.KindUnknown || ev.API == feed.APINone || !ev.Recv.Equal(time.Unix(1, 0)) {
				t.Fatalf("incomplete event %+v", ev)
			}
			if b := AppendEventJSON(nil, ev); !json.Valid(b) {
				t.Fatalf("event renders as invalid JSON: %s", b)
			}
			switch ev.Kind {
			case feed.KindTrade:
				if ev.Trade.Price.Sign() <= 0 || ev.Trade.Qty.Sign() < 0 || ev.Pair == "" {
					t.Fatalf("bad trade %+v", ev.Trade)
				}
			case feed.KindBook:
				if ev.Book == nil || ev.Pair == "" {
					t.Fatalf("bad book event %+v", ev)
				}
				// Whatever decodes must be applicable to a book.
				if err := feed.NewBook(ev.Pair, 10).Apply(ev.Book); err != nil {
					t.Fatalf("decoded book update does not apply: %v", err)
				}
			}
		}
		again, err := NewDecoder().Decode(frame, time.Unix(1, 0), nil)
		if err != nil || len(again) != len(out)-1 {
			t.Fatalf("not deterministic: %d events then %d, %v", len(out)-1, len(again), err)
		}
	})
}
