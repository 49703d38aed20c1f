package kraken

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// decodeOne decodes a frame with a fresh decoder into a slice that already holds a sentinel
// event, and checks that the sentinel survives.
func decodeOne(t *testing.T, frame string) ([]feed.Event, Stats, error) {
	t.Helper()
	d := NewDecoder()
	sentinel := feed.Event{Kind: feed.KindGap, Seq: 99}
	dst := []feed.Event{sentinel}
	out, err := d.Decode([]byte(frame), time.Unix(1700000000, 0), dst)
	if len(out) == 0 || out[0].Seq != 99 || out[0].Kind != feed.KindGap {
		t.Fatalf("Decode(%s) clobbered the events already in dst", frame)
	}
	return out[1:], d.Stats(), err
}

func TestDecodeMalformed(t *testing.T) {
	const v2trade = `{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":%s,"qty":0.5,"ord_type":"limit","trade_id":1,"timestamp":"2024-05-27T12:43:11.798009Z"}]}`
	const v1trade = `[0,[[%s,"0.15850568","1534614057.321597","s","l",""]],"trade","XBT/USD"]`
	tests := []struct {
		name   string
		frame  string
		reason Reason
		msg    string // substring of the error text
	}{
		{"empty", ``, ReasonNotJSON, "empty frame"},
		{"proxy text", `CloudFlare WebSocket proxy restarting`, ReasonNotJSON, `not JSON: "CloudFlare WebSocket proxy restarting"`},
		{"json string", `"hello"`, ReasonShape, "top-level JSON string is not a Kraken message"},
		{"json null", `null`, ReasonShape, "top-level JSON null"},
		{"truncated array", `[0,[["5541.20000","0.1585`, ReasonTruncated, "frame ends"},
		{"truncated v2", `{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1`, ReasonTruncated, "frame ends"},
		{"unterminated string", `{"event":"heartbeat`, ReasonTruncated, "end of a string"},
		{"trailing garbage", `{"event":"heartbeat"} x`, ReasonSyntax, "after the end of the JSON value"},
		{"trailing comma", `[0,[],"trade","XBT/USD",]`, ReasonSyntax, "where a value was expected"},
		{"missing comma", `{"event":"heartbeat" "x":1}`, ReasonSyntax, `where ',' or '}' was expected`},
		{"bare NaN", strings.Replace(v2trade, "%s", "NaN", 1), ReasonSyntax, `unexpected 'N'`},
		{"leading zero", strings.Replace(v2trade, "%s", "01.5", 1), ReasonSyntax, "unexpected '1' after a number"},
		{"number run-on", strings.Replace(v2trade, "%s", "1.5x", 1), ReasonSyntax, "unexpected 'x' after a number"},
		{"bad escape", `{"event":"heart\xbeat"}`, ReasonSyntax, "invalid escape"},
		{"control char", "{\"event\":\"heart\x01beat\"}", ReasonSyntax, "control character"},
		{"deep nesting", `[` + strings.Repeat(`[`, 300) + strings.Repeat(`]`, 300) + `,1,"trade","XBT/USD"]`, ReasonShape, "nested deeper"},
		{"string NaN v1", strings.Replace(v1trade, "%s", `"NaN"`, 1), ReasonNumber, `"NaN" is not a decimal number`},
		{"negative v1 price", strings.Replace(v1trade, "%s", `"-5541.2"`, 1), ReasonNumber, "not a positive price"},
		{"zero v2 price", strings.Replace(v2trade, "%s", "0.0", 1), ReasonNumber, "not a positive price"},
		{"negative v2 price", strings.Replace(v2trade, "%s", "-1", 1), ReasonNumber, "not a positive price"},
		{"huge number", strings.Replace(v2trade, "%s", "12345678901234567890.5", 1), ReasonNumber, "too many digits"},
		{"too many decimals", strings.Replace(v1trade, "%s", `"0.0000000000000000001"`, 1), ReasonNumber, "more than 18 decimals"},
		{"exponent in v1 string", strings.Replace(v1trade, "%s", `"1e5"`, 1), ReasonNumber, "not a decimal number"},
		{"v2 price as string", strings.Replace(v2trade, "%s", `"68500.0"`, 1), ReasonShape, "want a number, got a string"},
		{"v1 price as number", strings.Replace(v1trade, "%s", `5541.2`, 1), ReasonShape, "want a string, got a number"},
		{"v2 bad timestamp", strings.Replace(strings.Replace(v2trade, "%s", "1", 1), "2024-05-27T12:43:11.798009Z", "yesterday", 1), ReasonTime, `"yesterday" is not a valid timestamp`},
		{"v2 impossible date", strings.Replace(strings.Replace(v2trade, "%s", "1", 1), "2024-05-27", "2023-02-29", 1), ReasonTime, "not a valid timestamp"},
		{"v1 bad time", `[0,[["5541.20000","0.1","1534614057.x","s","l",""]],"trade","XBT/USD"]`, ReasonTime, "not a valid timestamp"},
		{"v1 bad pair", `[0,[["5541.20000","0.1","1534614057.3","s","l",""]],"trade","XBTUSD"]`, ReasonSymbol, `pair "XBTUSD" is not BASE/QUOTE`},
		{"v2 bad pair", `{"channel":"trade","type":"update","data":[{"symbol":"BTCUSD","side":"buy","price":1,"qty":1}]}`, ReasonSymbol, "not BASE/QUOTE"},
		{"v2 trade without qty", `{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1}]}`, ReasonShape, "missing qty"},
		{"v2 unknown side", `{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"up","price":1,"qty":1}]}`, ReasonShape, `unknown side "up"`},
		{"v1 unknown side", `[0,[["5541.20000","0.1","1534614057.3","x","l",""]],"trade","XBT/USD"]`, ReasonShape, `unknown side "x"`},
		{"v1 short trade", `[0,[["5541.20000","0.1","1534614057.3"]],"trade","XBT/USD"]`, ReasonShape, "trade has 3 elements"},
		{"v1 trade payload object", `[0,{"a":1},"trade","XBT/USD"]`, ReasonShape, "want an array, got an object"},
		{"v1 two trade payloads", `[0,[],[],"trade","XBT/USD"]`, ReasonShape, "2 payloads"},
		{"v1 no payload", `[0,"trade","XBT/USD"]`, ReasonShape, "no payload"},
		{"v1 too many elements", `[0,1,2,3,4,5,6,7,8,"trade","XBT/USD"]`, ReasonShape, "more than 8 elements"},
		{"v1 channelID not a number", `["x",[],"trade","XBT/USD"]`, ReasonShape, "want a channelID number"},
		{"v1 book mixes snapshot and update", `[0,{"as":[],"a":[]},"book-10","XBT/USD"]`, ReasonShape, "mixes snapshot"},
		{"v1 checksum not digits", `[0,{"a":[],"c":"abc"},"book-10","XBT/USD"]`, ReasonNumber, `checksum "abc"`},
		{"v1 checksum overflow", `[0,{"a":[],"c":"4294967296"},"book-10","XBT/USD"]`, ReasonNumber, "not a 32-bit"},
		{"v1 short level", `[0,{"a":[["5541.3","1.0"]]},"book-10","XBT/USD"]`, ReasonShape, "book level has 2 elements"},
		{"v1 negative volume", `[0,{"a":[["5541.3","-1.0","1534614057.3"]]},"book-10","XBT/USD"]`, ReasonNumber, "must not be negative"},
		{"v2 checksum overflow", `{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":4294967296}]}`, ReasonNumber, "not an integer in [0, 2^32)"},
		{"v2 book without type", `{"channel":"book","data":[{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":1}]}`, ReasonShape, `type "snapshot" or "update"`},
		{"v2 book level without qty", `{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":1}]}]}`, ReasonShape, "missing qty"},
		{"v2 data not an array", `{"channel":"trade","type":"update","data":{}}`, ReasonShape, "want an array, got an object"},
		{"v2 no data", `{"channel":"trade","type":"update"}`, ReasonShape, "no data"},
		{"duplicate data", `{"channel":"trade","type":"update","data":[],"data":[]}`, ReasonShape, `duplicate key "data"`},
		{"object without routing key", `{"foo":1}`, ReasonShape, `no "channel", "method" or "event"`},
		{"v2 ohlc zero interval", `{"channel":"ohlc","type":"update","data":[{"symbol":"BTC/USD","open":1,"high":1,"low":1,"close":1,"interval":0,"interval_begin":"2024-05-17T11:12:00.000000000Z"}]}`, ReasonNumber, "interval 0 minutes"},
		{"v2 status bad connection id", `{"channel":"status","type":"update","data":[{"system":"online","connection_id":-1}]}`, ReasonNumber, "not an unsigned 64-bit integer"},
		{"v2 status data not array", `{"channel":"status","type":"update","data":{"system":"online"}}`, ReasonShape, "want an array, got an object"},
		{"v2 instrument data array", `{"channel":"instrument","type":"snapshot","data":[]}`, ReasonShape, "want an object, got an array"},
		{"v2 instrument negative qty_min", `{"channel":"instrument","type":"snapshot","data":{"pairs":[{"symbol":"BTC/USD","qty_min":-1}]}}`, ReasonNumber, "must not be negative"},
		{"v2 ack success not bool", `{"method":"subscribe","success":"yes"}`, ReasonShape, "want a boolean, got a string"},
		{"v2 ack bad time", `{"method":"pong","req_id":1,"time_in":"x"}`, ReasonTime, `"x" is not an RFC 3339 time`},
		{"v1 pong float reqid", `{"event":"pong","reqid":1.5}`, ReasonNumber, "not a 64-bit integer"},
		{"v1 status connectionID overflow", `{"event":"systemStatus","status":"online","connectionID":18446744073709551616}`, ReasonNumber, "not an unsigned 64-bit integer"},
		{"v1 maintenance bad time", `{"event":"systemStatus","status":"online","upcoming_maintenance":[{"event_id":1,"expected_start_utc":"soon"}],"emergency":[]}`, ReasonTime, "upcoming_maintenance[0].expected_start_utc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, st, err := decodeOne(t, tt.frame)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode(%s) = %d events, %v; want a *DecodeError", tt.frame, len(evs), err)
			}
			if len(evs) != 0 {
				t.Errorf("error came with %d appended events", len(evs))
			}
			if de.Reason != tt.reason || !strings.Contains(de.Error(), tt.msg) {
				t.Errorf("error %q (reason %s); want reason %s and text containing %q", de, de.Reason, tt.reason, tt.msg)
			}
			if st.Malformed.Total() != 1 || st.Frames != 1 || st.Events != 0 {
				t.Errorf("stats %+v; want one malformed frame of reason %s", st, tt.reason)
			}
			if de.Offset > len(tt.frame) {
				t.Errorf("offset %d beyond the frame (%d bytes)", de.Offset, len(tt.frame))
			}
		})
	}
}

func TestDecodeErrorText(t *testing.T) {
	_, _, err := decodeOne(t, `{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":66786.5,"qty":0.1},{"price":-1,"qty":0.1}],"asks":[],"checksum":1}]}`)
	const want = "kraken: v2 frame: data[0].bids[1].price at byte 107: -1 is not a positive price"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	_, _, err = decodeOne(t, `[336,{"a":[["27127.30000","0.0","1693415333.759711"]]},{"b":[["27131.50000","x","1693415322.472678","r"]],"c":"1"},"book-10","XBT/USD"]`)
	const want1 = `kraken: v1 frame: [2].b[0][1] at byte 76: "x" is not a decimal number`
	if err == nil || err.Error() != want1 {
		t.Errorf("got %v\nwant %s", err, want1)
	}
}

// Well-formed messages the decoder does not handle are skipped and counted, not errors.
func TestDecodeUnknown(t *testing.T) {
	tests := []struct {
		name          string
		frame         string
		events        int
		unknown       uint64
		unknownFields uint64
	}{
		{"v2 private channel", `{"channel":"executions","type":"update","data":[{"order_id":"X"}]}`, 0, 1, 0},
		{"v2 future channel", `{"channel":"level3","type":"snapshot","data":[]}`, 0, 1, 0},
		{"v1 private channel", `[[{"TDLH43-DVQXD-2KHVYY":{"cost":"1000000.00000"}}],"ownTrades",{"sequence":2}]`, 0, 1, 0},
		{"v1 unknown channel", `[42,[],"level3","XBT/USD"]`, 0, 1, 0},
		{"v1 request echo", `{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trade"}}`, 0, 1, 0},
		{"v2 unknown method success", `{"method":"add_order","success":true,"result":{"order_id":"X"}}`, 0, 1, 0},
		{"v2 trade with new field", `{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1.5,"qty":2,"ord_type":"limit","trade_id":1,"timestamp":"2024-05-27T12:43:11.798009Z","venue":"x"}]}`, 1, 0, 1},
		{"v2 unknown ord_type", `{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1.5,"qty":2,"ord_type":"iceberg"}]}`, 1, 0, 1},
		{"v2 top-level extra", `{"channel":"heartbeat","seq":5}`, 1, 0, 1},
		{"v1 trade with 8 elements", `[0,[["5541.20000","0.1","1534614057.3","s","l","",123,"z"]],"trade","XBT/USD"]`, 1, 0, 1},
		{"v1 ticker with new key", `[340,{"a":["1.0",0,"1.0"],"x":[1]},"ticker","XBT/USD"]`, 1, 0, 1},
		{"v1 event with new key", `{"event":"heartbeat","x":1}`, 1, 0, 1},
		{"v2 ack with new key", `{"method":"pong","req_id":1,"x":1}`, 1, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, st, err := decodeOne(t, tt.frame)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != tt.events || st.Unknown != tt.unknown || st.UnknownFields != tt.unknownFields {
				t.Errorf("%d events, stats %+v; want %d events, %d unknown, %d unknown fields", len(evs), st, tt.events, tt.unknown, tt.unknownFields)
			}
		})
	}
}

// decText renders a decimal at its own precision.
func decText(d decimal.Decimal) string { return DecimalText(d) }

func TestDecodeTrickyValues(t *testing.T) {
	t.Run("uint64 connection ids", func(t *testing.T) {
		for _, f := range []string{
			`{"connectionID":18239578009413566319,"event":"systemStatus","status":"online","version":"1.8.3"}`,
			`{"channel":"status","data":[{"api_version":"v2","connection_id":18239578009413566319,"system":"online","version":"2.0.0"}],"type":"update"}`,
		} {
			evs, _, err := decodeOne(t, f)
			if err != nil || len(evs) != 1 || evs[0].Status.ConnectionID != 18239578009413566319 {
				t.Errorf("%s: %+v, %v", f, evs, err)
			}
		}
	})
	t.Run("missing connection id", func(t *testing.T) {
		evs, _, err := decodeOne(t, `{"channel":"status","data":[{"api_version":"v2","system":"maintenance","version":"2.0.6"}],"type":"update"}`)
		if err != nil || evs[0].Status.ConnectionID != 0 || evs[0].Status.System != feed.SystemMaintenance || evs[0].Status.Upcoming != nil {
			t.Errorf("%+v, %v", evs[0].Status, err)
		}
	})
	t.Run("maintenance notices", func(t *testing.T) {
		evs, _, err := decodeOne(t, `{"channel":"status","type":"update","data":[{"version":"2.0.10","system":"online","api_version":"v2","connection_id":3364750901719990046,"upcoming_maintenance":[{"affected_services":["spot_trading","spot_fix","spot_ws"],"cancel_before_utc":"2026-10-05T08:55:00.000000Z","event_id":33,"expected_end_utc":"2026-10-05T10:00:00.000000Z","expected_start_utc":"2026-10-05T09:00:00.000000Z","order_submission":"allowed","phase":"announced","recommended_action":"continue","source_url":"https://stspg.io/1w11k0cnnv3j","time_to_start_s":129689,"title":"Order Entry System Maintenance"}],"emergency":[]}]}`)
		if err != nil {
			t.Fatal(err)
		}
		st := evs[0].Status
		if len(st.Upcoming) != 1 || st.Emergency == nil || len(st.Emergency) != 0 {
			t.Fatalf("upcoming %v, emergency %v (want 1 and empty, non-nil)", st.Upcoming, st.Emergency)
		}
		m := st.Upcoming[0]
		if m.EventID != 33 || m.Phase != "announced" || m.TimeToStart != 129689*time.Second || len(m.AffectedServices) != 3 ||
			!m.ExpectedStart.Equal(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)) || !m.CancelBefore.Equal(time.Date(2026, 10, 5, 8, 55, 0, 0, time.UTC)) {
			t.Errorf("%+v", m)
		}
		// v1 systemStatus carries the same arrays.
		evs, _, err = decodeOne(t, `{"connectionID":1,"event":"systemStatus","status":"online","version":"1.9.6","upcoming_maintenance":[],"emergency":[{"event_id":7,"phase":"imminent_5m","recommended_action":"disconnect_and_wait","title":"x"}]}`)
		if err != nil || evs[0].Status.Upcoming == nil || len(evs[0].Status.Emergency) != 1 || evs[0].Status.Emergency[0].RecommendedAction != "disconnect_and_wait" {
			t.Errorf("v1: %+v, %v", evs, err)
		}
	})
	t.Run("12-decimal prices and float-breaking volumes", func(t *testing.T) {
		evs, _, err := decodeOne(t, `[9536,{"bs":[["0.000074650000","301727260.79999999","1690249755.076929"]],"as":[]},"book-10","LUNA/EUR"]`)
		if err != nil {
			t.Fatal(err)
		}
		l := evs[0].Book.Bids[0]
		if l.Price != (feed.Fixed{Mant: 74650000, Scale: 12}) || l.Qty != (feed.Fixed{Mant: 30172726079999999, Scale: 8}) {
			t.Errorf("level %+v", l)
		}
		if l.Qty.String() != "301727260.79999999" || l.Price.String() != "0.000074650000" {
			t.Errorf("text %s %s", l.Price, l.Qty)
		}
	})
	t.Run("exact trade numbers and times", func(t *testing.T) {
		evs, _, err := decodeOne(t, `[119930881,[["83942.80000","0.00044674","1790401261.643178","b","l",""],["83942.80000","0.00010000","1790401261.643178","s","m",""]],"trade","XBT/USD"]`)
		if err != nil || len(evs) != 2 {
			t.Fatalf("%d events, %v", len(evs), err)
		}
		tr := evs[1].Trade
		if decText(tr.Price) != "83942.80000" || decText(tr.Qty) != "0.00010000" || tr.Side != feed.Sell || tr.OrdType != feed.OrdMarket || tr.Pair != "BTC/USD" {
			t.Errorf("%+v", tr)
		}
		if want := time.Unix(1790401261, 643178000).UTC(); !tr.Time.Equal(want) || !evs[1].Time.Equal(want) || evs[1].Recv.Unix() != 1700000000 {
			t.Errorf("time %v, want %v", tr.Time, want)
		}
		if !tr.Price.Equal(decimal.RequireFromString("83942.8")) {
			t.Errorf("price %v", tr.Price)
		}
	})
	t.Run("v2 nanosecond times and big trade ids", func(t *testing.T) {
		evs, _, err := decodeOne(t, `{"channel":"ohlc","type":"update","timestamp":"2026-10-06T18:06:02.264627814Z","data":[{"symbol":"BTC/USD","open":85754.8,"high":85754.8,"low":85754.7,"close":85754.8,"trades":5,"volume":0.00126522,"vwap":85754.7,"interval_begin":"2026-10-06T18:06:00.000000000Z","interval":1,"timestamp":"2026-10-06T18:07:00.000000Z"}]}`)
		if err != nil {
			t.Fatal(err)
		}
		c := evs[0].Candle
		if !evs[0].Time.Equal(time.Date(2026, 10, 6, 18, 6, 2, 264627814, time.UTC)) || !c.Start.Equal(time.Date(2026, 10, 6, 18, 6, 0, 0, time.UTC)) || c.Interval != time.Minute || c.Trades != 5 || c.Closed {
			t.Errorf("candle %+v at %v", c, evs[0].Time)
		}
		evs, _, err = decodeOne(t, `{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1.5,"qty":2,"ord_type":"limit","trade_id":18446744073709551615,"timestamp":"2024-05-27T14:43:11.798009+02:00"}]}`)
		if err != nil || evs[0].Trade.ID != 18446744073709551615 || !evs[0].Time.Equal(time.Date(2024, 5, 27, 12, 43, 11, 798009000, time.UTC)) {
			t.Errorf("%+v, %v", evs, err)
		}
	})
	t.Run("exponent numbers", func(t *testing.T) {
		evs, _, err := decodeOne(t, `{"channel":"instrument","type":"snapshot","data":{"assets":[],"pairs":[{"symbol":"BTC/USD","base":"BTC","quote":"USD","status":"online","qty_precision":8,"qty_increment":1e-08,"price_precision":1,"cost_precision":5,"marginable":true,"has_index":true,"cost_min":0.5,"tick_size":0.1,"price_increment":0.1,"qty_min":5e-05}]}}`)
		if err != nil {
			t.Fatal(err)
		}
		p := evs[0].Instrument.Pairs[0]
		if !p.LotStep.Equal(decimal.New(1, -8)) || !p.OrderMin.Equal(decimal.New(5, -5)) || p.PriceDecimals != 1 || p.LotDecimals != 8 || p.WSName != "XBT/USD" || !evs[0].Instrument.Snapshot {
			t.Errorf("%+v", p)
		}
		// A v2 book level in exponent form keeps its exact value.
		evs, _, err = decodeOne(t, `{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":5.1e-05,"qty":1E+2}],"asks":[]}]}`)
		if err != nil || evs[0].Book.Bids[0].Price != (feed.Fixed{Mant: 51, Scale: 6}) || evs[0].Book.Bids[0].Qty != (feed.Fixed{Mant: 100}) {
			t.Errorf("%+v, %v", evs, err)
		}
	})
	t.Run("missing optional fields", func(t *testing.T) {
		evs, _, err := decodeOne(t, `{"channel":"ticker","type":"snapshot","data":[{"symbol":"BTC/USD","bid":65972.8,"bid_qty":0.10000000,"ask":65972.9,"ask_qty":39.67506683,"last":65972.9,"volume":4216.61829370,"vwap":64275.2,"low":61325.4,"high":66450.0,"change":4412.1,"change_pct":-7.17}]}`)
		if err != nil || !evs[0].Time.IsZero() || evs[0].Ticker.Trades != 0 || decText(evs[0].Ticker.ChangePct) != "-7.17" {
			t.Errorf("%+v, %v", evs, err)
		}
		evs, _, err = decodeOne(t, `[0,["5698.40000","5700.00000","1542057299.545897"],"spread","XBT/USD"]`)
		if err != nil || !evs[0].Spread.BidQty.IsZero() || decText(evs[0].Spread.Ask) != "5700.00000" {
			t.Errorf("%+v, %v", evs, err)
		}
		evs, _, err = decodeOne(t, `{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":1,"qty":1}],"asks":[]}]}`)
		if err != nil || evs[0].Book.HasChecksum || !evs[0].Time.IsZero() || !evs[0].Book.Snapshot {
			t.Errorf("%+v, %v", evs[0].Book, err)
		}
	})
	t.Run("escaped strings", func(t *testing.T) {
		evs, _, err := decodeOne(t, `{"channel":"trade","type":"update","data":[{"symbol":"BTC\/USD","side":"b\u0075y","price":1.5,"qty":2}]}`)
		if err != nil || evs[0].Pair != "BTC/USD" || evs[0].Trade.Side != feed.Buy {
			t.Errorf("%+v, %v", evs, err)
		}
	})
	t.Run("keys in any order", func(t *testing.T) {
		evs, _, err := decodeOne(t, `{"data":[{"checksum":7,"asks":[{"qty":1.50,"price":2.0}],"symbol":"ETH/USD","bids":[]}],"type":"snapshot","channel":"book"}`)
		if err != nil || !evs[0].Book.Snapshot || evs[0].Book.Checksum != 7 || evs[0].Book.Asks[0].Qty.String() != "1.50" {
			t.Errorf("%+v, %v", evs, err)
		}
	})
}

func TestDecodeV1BookTwoObjects(t *testing.T) {
	evs, _, err := decodeOne(t, `[1234,{"a":[["5541.30000","2.50700000","1534614248.456738"],["5542.50000","0.40100000","1534614248.456738"]]},{"b":[["5541.30000","0.00000000","1534614335.345903"]],"c":"974942666"},"book-10","XBT/USD"]`)
	if err != nil || len(evs) != 1 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	u := evs[0].Book
	if u.Snapshot || len(u.Asks) != 2 || len(u.Bids) != 1 || !u.HasChecksum || u.Checksum != 974942666 || u.Depth != 10 || !u.Bids[0].Qty.IsZero() {
		t.Errorf("%+v", u)
	}
	if want := time.Unix(1534614335, 345903000).UTC(); !evs[0].Time.Equal(want) {
		t.Errorf("time %v, want the latest level time %v", evs[0].Time, want)
	}
	// The decoder reuses scratch buffers: events from earlier frames must not change.
	d := NewDecoder()
	first, err := d.Decode([]byte(`[1,{"a":[["1.0","1.0","1.0"]]},"book-10","XBT/USD"]`), time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Decode([]byte(`[1,{"a":[["2.0","2.0","2.0"]]},"book-10","XBT/USD"]`), time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	if first[0].Book.Asks[0].Price.String() != "1.0" {
		t.Errorf("an earlier event changed: %+v", first[0].Book.Asks)
	}
}

func TestDecodeForcedAPI(t *testing.T) {
	d := NewDecoder()
	if _, err := d.DecodeV2([]byte(`[0,[],"trade","XBT/USD"]`), time.Time{}, nil); err == nil {
		t.Error("DecodeV2 accepted a v1 array")
	}
	if _, err := d.DecodeV2([]byte(`{"event":"heartbeat"}`), time.Time{}, nil); err == nil {
		t.Error("DecodeV2 accepted a v1 event")
	}
	if _, err := d.DecodeV1([]byte(`{"channel":"heartbeat"}`), time.Time{}, nil); err == nil {
		t.Error("DecodeV1 accepted a v2 frame")
	}
	if _, err := d.DecodeV1([]byte(`{"method":"pong"}`), time.Time{}, nil); err == nil {
		t.Error("DecodeV1 accepted a v2 ack")
	}
	if evs, err := d.DecodeV1([]byte(`{"event":"heartbeat"}`), time.Time{}, nil); err != nil || len(evs) != 1 || evs[0].API != feed.APIV1 {
		t.Errorf("%+v, %v", evs, err)
	}
	if evs, err := d.DecodeV2([]byte(`{"channel":"heartbeat"}`), time.Time{}, nil); err != nil || len(evs) != 1 || evs[0].API != feed.APIV2 {
		t.Errorf("%+v, %v", evs, err)
	}
}

// The hot shapes allocate only their decimals (trades) or their one level slice and update
// (books): nothing per level, nothing for the pair name.
func TestDecodeAllocations(t *testing.T) {
	for _, tt := range []struct {
		frame []byte
		max   float64
	}{
		{benchV1Trade, 4}, {benchV2Trade, 4}, {benchV2BookUpdate, 2}, {benchV1BookUpdate, 2},
	} {
		d := NewDecoder()
		dst := make([]feed.Event, 0, 4)
		var err error
		allocs := testing.AllocsPerRun(200, func() { dst, err = d.Decode(tt.frame, time.Time{}, dst[:0]) })
		if err != nil || allocs > tt.max {
			t.Errorf("%s: %.1f allocations per frame (want ≤ %.0f), %v", tt.frame[:30], allocs, tt.max, err)
		}
	}
}

func TestUnixTimeAndRFC3339(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"1534614057.321597", time.Unix(1534614057, 321597000), true},
		{"1618678132.8253062", time.Unix(1618678132, 825306200), true},
		{"1699797240", time.Unix(1699797240, 0), true},
		{"1699797240.123456789", time.Unix(1699797240, 123456789), true},
		{"1699797240.1234567891", time.Time{}, false},
		{"1699797240.", time.Time{}, false},
		{".5", time.Time{}, false},
		{"-1.5", time.Time{}, false},
		{"99999999999999999999", time.Time{}, false},
	} {
		got, err := ParseUnixTime(tt.in)
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("ParseUnixTime(%q) = %v, %v", tt.in, got, err)
		}
	}
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"2023-09-25T07:49:37.708706Z", true},
		{"2026-10-06T18:06:02.264627814Z", true},
		{"2024-02-29T00:00:00Z", true},
		{"2023-02-29T00:00:00Z", false},
		{"2023-09-25T24:00:00Z", false},
		{"2023-09-25 07:49:37Z", false},
		{"2023-09-25T07:49:37", false},
		{"2023-09-25T07:49:37.Z", false},
		{"2023-09-25T07:49:37.1234567890Z", false},
		{"2023-09-25T07:49:37+0200", false},
		{"2023-09-25T07:49:37-05:30", true},
	} {
		got, ok := rfc3339([]byte(tt.in))
		if ok != tt.ok {
			t.Errorf("rfc3339(%q) ok = %v", tt.in, ok)
			continue
		}
		if ok {
			want, err := time.Parse(time.RFC3339Nano, tt.in)
			if err != nil || !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("rfc3339(%q) = %v, time.Parse says %v", tt.in, got, want)
			}
		}
	}
}

// The full real instrument snapshot (683 pairs, 2024-03) decodes exactly. It is CC BY-ND, so
// it is read from the shared fixtures and the test skips without them.
func TestDecodeInstrumentSnapshot(t *testing.T) {
	frame, err := os.ReadFile(fixturePath(t, "kraken-data-recorder/instrument_snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder()
	evs, err := d.Decode(frame, time.Time{}, nil)
	if err != nil || len(evs) != 1 || evs[0].Kind != feed.KindInstrument {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	in := evs[0].Instrument
	if !in.Snapshot || len(in.Pairs) != 683 {
		t.Fatalf("snapshot %v, %d pairs; want a snapshot of 683", in.Snapshot, len(in.Pairs))
	}
	byPair := map[feed.Pair]feed.PairInfo{}
	status := map[feed.PairStatus]int{}
	for _, p := range in.Pairs {
		byPair[p.Pair] = p
		status[p.Status]++
		if p.Base+"/"+p.Quote != string(p.Pair) || p.LotStep.Sign() <= 0 || p.Tick.Sign() <= 0 {
			t.Errorf("%s: %+v", p.Pair, p)
		}
	}
	if status[feed.PairOnline] != 672 || status[feed.PairReduceOnly] != 9 || status[feed.PairCancelOnly] != 2 {
		t.Errorf("statuses %v", status)
	}
	for _, tt := range []struct {
		pair                        feed.Pair
		ws                          string
		pd, ld, cd                  int32
		tick, step, orderMin, costM string
	}{
		{"BTC/USD", "XBT/USD", 1, 8, 5, "0.1", "0.00000001", "0.0001", "0.5"},
		{"ETH/BTC", "ETH/XBT", 5, 8, 10, "0.00001", "0.00000001", "0.002", "0.00002"},
		{"DOGE/USD", "XDG/USD", 7, 8, 9, "0.0000001", "0.00000001", "60", "0.5"},
	} {
		p, ok := byPair[tt.pair]
		if !ok {
			t.Errorf("%s missing", tt.pair)
			continue
		}
		if p.WSName != tt.ws || p.PriceDecimals != tt.pd || p.LotDecimals != tt.ld || p.CostDecimals != tt.cd ||
			!p.Tick.Equal(decimal.RequireFromString(tt.tick)) || !p.LotStep.Equal(decimal.RequireFromString(tt.step)) ||
			!p.OrderMin.Equal(decimal.RequireFromString(tt.orderMin)) || !p.CostMin.Equal(decimal.RequireFromString(tt.costM)) {
			t.Errorf("%s: %+v", tt.pair, p)
		}
	}
	if st := d.Stats(); st.UnknownFields != 0 || st.Malformed.Total() != 0 {
		t.Errorf("stats %+v", st)
	}
}
