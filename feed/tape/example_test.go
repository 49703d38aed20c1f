package tape_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/tape"
)

// Record two connections' frames, each with its own Writer, and read them back merged in
// receive order.
func Example() {
	dir, err := os.MkdirTemp("", "tape-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	t0 := time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC)
	record := func(name string, conn uint32, frames ...string) {
		w, err := tape.NewWriter(dir, tape.WithName(name), tape.WithPairs("BTC/USD"), tape.WithChannels("trade"))
		if err != nil {
			panic(err)
		}
		defer w.Close()
		for i, raw := range frames {
			recv := t0.Add(time.Duration(2*i+int(conn)) * time.Millisecond)
			if err := w.Write(tape.Frame{Recv: recv, API: feed.APIV2, Conn: conn, Raw: []byte(raw)}); err != nil {
				panic(err)
			}
		}
	}
	record("conn0", 0, `{"channel":"heartbeat"}`, `{"channel":"trade","type":"update","data":[]}`)
	record("conn1", 1, `{"channel":"status"}`, `502 Bad Gateway`)

	r, err := tape.Open(dir)
	if err != nil {
		panic(err)
	}
	for f, err := range r.Frames(context.Background(), tape.Range{}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(f.Recv.Format("15:04:05.000"), f.API, f.Conn, string(f.Raw))
	}
	for _, rec := range r.Recordings() {
		m := rec.Manifest
		fmt.Println(m.Name, m.Frames, "frames in", len(m.Segments), "segment:", m.Segments[0].Path, "closed:", m.Closed)
	}
	// Output:
	// 10:15:00.000 v2 0 {"channel":"heartbeat"}
	// 10:15:00.001 v2 1 {"channel":"status"}
	// 10:15:00.002 v2 0 {"channel":"trade","type":"update","data":[]}
	// 10:15:00.003 v2 1 502 Bad Gateway
	// conn0 2 frames in 1 segment: 2026-11-24/conn0-20261124T101500.000Z-000001.jsonl.zst closed: true
	// conn1 2 frames in 1 segment: 2026-11-24/conn1-20261124T101500.001Z-000001.jsonl.zst closed: true
}
