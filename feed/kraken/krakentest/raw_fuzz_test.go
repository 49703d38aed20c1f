package krakentest

import (
	"bytes"
	"testing"

	"github.com/papertrade/papertrade/feed"
)

// FuzzClassifyRaw feeds arbitrary frames to the raw replay's classifier and pair inference:
// they must never panic, a frame they keep names a valid pair, and an inferred pair table
// entry is one the server accepts.
func FuzzClassifyRaw(f *testing.F) {
	for _, s := range []string{
		`[993,[["354.11000000","0.89594024","1618678142.557535","s","l",""]],"trade","XMR/USD"]`,
		`[336,{"as":[["5541.20000","1.00000000","1534614248.123678"]],"bs":[]},"book-10","XBT/USD"]`,
		`[336,{"a":[["5541.30000","2.50700000","1534614248.456738","r"]],"c":"974942666"},"book-10","XBT/USD"]`,
		`[343,["1699797181.803577","1699797240.000000","1","2","0.5","1","1","0.1",2],"ohlc-1","XBT/USD"]`,
		`{"channel":"trade","type":"update","data":[{"symbol":"MATIC/USD","side":"sell","price":0.5117,"qty":40.0,"ord_type":"market","trade_id":4665906,"timestamp":"2023-09-25T07:49:37.708706Z"}]}`,
		`{"channel":"book","type":"snapshot","data":[{"symbol":"ALGO/USD","bids":[{"price":0.12291,"qty":27039.62776299}],"asks":[],"checksum":1}]}`,
		`{"channel":"ohlc","type":"update","data":[{"symbol":"BTC/USD","interval":5}]}`,
		`{"channelID":1665,"channelName":"trade","event":"subscriptionStatus","pair":"WAVES/EUR","status":"subscribed","subscription":{"name":"trade"}}`,
		`{"method":"subscribe","result":{"channel":"trade","symbol":"BTC/USD"},"success":true}`,
		`[1,"x","book-abc","A/B"]`, `[1,[],"trade",""]`, `{"channel":"trade","data":[{}]}`, `[`, ``, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, ok := classifyRaw(b)
		if !ok {
			return
		}
		if _, err := feed.ParsePair(string(fr.pair)); err != nil {
			t.Fatalf("kept a frame with pair %q: %v", fr.pair, err)
		}
		fr.Raw = bytes.Clone(b)
		rec := &RawRecording{Frames: []RawFrame{fr}}
		for _, info := range rec.Pairs(nil) {
			s := &Server{byV2: map[feed.Pair]*pairState{}, byV1: map[string]*pairState{}, byREST: map[string]*pairState{}}
			if err := s.addPair(info); err != nil {
				t.Fatalf("inferred pair %+v refused: %v", info, err)
			}
		}
	})
}
