package krakentest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// FuzzRequests feeds arbitrary client frames to both request handlers: they must never
// panic, and everything they answer must be one valid JSON value.
func FuzzRequests(f *testing.F) {
	for _, s := range []string{
		`{"event":"subscribe","pair":["XBT/USD","XBT/EUR"],"subscription":{"name":"book","depth":25},"reqid":1}`,
		`{"event":"unsubscribe","pair":["XBT/EUR"],"subscription":{"interval":5,"name":"ohlc"}}`,
		`{"event":"unsubscribe","channelID":1}`,
		`{"event":"ping","reqid":42}`,
		`{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10,"snapshot":true},"req_id":11}`,
		`{"method":"subscribe","params":{"channel":"ticker","symbol":["ALGO/USD"],"event_trigger":"bbo"}}`,
		`{"method":"subscribe","params":{"channel":"instrument"},"req_id":79}`,
		`{"method":"unsubscribe","params":{"channel":"ohlc","symbol":["ALGO/USD"],"interval":5}}`,
		`{"method":"ping","req_id":101}`,
		`{"method":"subscribe","params":{"channel":"trade","symbol":"BTC/USD"}}`,
		`{"event":"subscribe","pair":["\u00ff/\"x"],"subscription":{"name":"trade"},"reqid":-1}`,
		`[1,2,3]`, `null`, `"x"`, `{}`, ``,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	srv := NewPipe()
	f.Cleanup(srv.Close)
	srv.Step(0)
	f.Fuzz(func(t *testing.T, msg []byte, v1 bool) {
		api := feed.APIV2
		if v1 {
			api = feed.APIV1
		}
		c := &conn{s: srv, api: api, subs: map[streamKey]*sub{}, notify: make(chan struct{}, 1), done: make(chan struct{})}
		srv.mu.Lock()
		defer srv.mu.Unlock()
		for range 2 { // twice: the second time hits "Already subscribed" paths
			if v1 {
				srv.handleV1(c, msg)
			} else {
				srv.handleV2(c, msg, time.Now())
			}
		}
		for _, fr := range c.q {
			if !json.Valid(fr.b) {
				t.Fatalf("request %q: invalid answer %q", msg, fr.b)
			}
		}
		for _, k := range c.subKeys() {
			srv.removeSub(c, k)
		}
	})
}
