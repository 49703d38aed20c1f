package cli

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
)

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }

func TestWatchLines(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 1, 123456000, time.UTC)
	d := decimal.RequireFromString
	fx := feed.MustFixed
	p := newEventPrinter(nil, 10)
	for _, tc := range []struct {
		ev   feed.Event
		want string
	}{
		{feed.Event{Kind: feed.KindTrade, Time: t0, Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Buy, Qty: d("0.01"), Price: d("50000.1"), ID: 123}},
			"12:00:01.123456 BTC/USD buy 0.01 @ 50000.1 #123"},
		{feed.Event{Kind: feed.KindTrade, Time: t0, Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Sell, Qty: d("0.5"), Price: d("49999.9")}},
			"12:00:01.123456 BTC/USD sell 0.5 @ 49999.9"},
		{feed.Event{Kind: feed.KindBook, Time: t0, Book: &feed.BookUpdate{Pair: "BTC/USD", Snapshot: true,
			Bids: []feed.BookLevel{{Price: fx("50000.0"), Qty: fx("1.20000000")}}, Asks: []feed.BookLevel{{Price: fx("50000.1"), Qty: fx("0.50000000")}}}},
			"12:00:01.123456 BTC/USD book snapshot (1 bids, 1 asks): bid 50000 x 1.2 | ask 50000.1 x 0.5"},
		{feed.Event{Kind: feed.KindBook, Time: t0, Book: &feed.BookUpdate{Pair: "BTC/USD",
			Bids: []feed.BookLevel{{Price: fx("49999.0"), Qty: fx("3.00000000")}}}}, ""}, // top unchanged: no line
		{feed.Event{Kind: feed.KindBook, Time: t0, Book: &feed.BookUpdate{Pair: "BTC/USD",
			Asks: []feed.BookLevel{{Price: fx("50000.1"), Qty: fx("0.00000000")}}}},
			"12:00:01.123456 BTC/USD book bid 50000 x 1.2 | ask -"},
		{feed.Event{Kind: feed.KindStatus, Recv: t0, Conn: 2, Status: &feed.Status{System: feed.SystemMaintenance, Version: "2.0.10"}},
			"12:00:01.123456 status maintenance (version 2.0.10, connection 2)"},
		{feed.Event{Kind: feed.KindAck, Recv: t0, Pair: "BTC/USD", Ack: &feed.Ack{Method: "subscribe", Channel: "book", Success: true, Depth: 10}},
			"12:00:01.123456 subscribed book BTC/USD (depth 10)"},
		{feed.Event{Kind: feed.KindAck, Recv: t0, Pair: "ETH/USD", Ack: &feed.Ack{Method: "subscribe", Channel: "trade", Error: "Exceeded msg rate"}},
			"12:00:01.123456 subscribe trade ETH/USD REJECTED: Exceeded msg rate"},
		{feed.Event{Kind: feed.KindError, Recv: t0, Ack: &feed.Ack{Method: "error", Error: "Malformed request"}},
			"12:00:01.123456 ERROR Malformed request"},
		{feed.Event{Kind: feed.KindGap, Time: t0, Pair: "BTC/USD", Gap: &feed.Gap{Channel: "trade", FromID: 11, ToID: 40, Missing: 30, Reason: "trade ids skipped"}},
			"12:00:01.123456 GAP BTC/USD trade: 30 trades missing (ids 11..40); trade ids skipped"},
		{feed.Event{Kind: feed.KindGap, Time: t0, Pair: "BTC/USD", Gap: &feed.Gap{Channel: "trade", From: t0.Add(-4 * time.Second), To: t0, Reason: "reconnected"}},
			"12:00:01.123456 GAP BTC/USD trade: 11:59:57.123456 to 12:00:01.123456; reconnected"},
		{feed.Event{Kind: feed.KindGap, Time: t0, Pair: "BTC/USD", Gap: &feed.Gap{Channel: "book", From: t0, To: t0, Reason: "book checksum mismatch"}},
			"12:00:01.123456 GAP BTC/USD book: book checksum mismatch"},
		{feed.Event{Kind: feed.KindCandle, Time: t0, Pair: "BTC/USD", Candle: &feed.Candle{Pair: "BTC/USD", Interval: 4 * time.Hour,
			Start: t0.Truncate(4 * time.Hour), Open: d("1"), High: d("2"), Low: d("0.5"), Close: d("1.5"), Volume: d("10"), Trades: 5}},
			"12:00:01.123456 BTC/USD ohlc 4h 12:00 o 1 h 2 l 0.5 c 1.5 v 10 n 5"},
		{feed.Event{Kind: feed.KindHeartbeat, Recv: t0}, ""},
	} {
		var sb strings.Builder
		p.w = &sb
		p.print(&tc.ev)
		if got := strings.TrimSuffix(sb.String(), "\n"); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.ev.Kind, got, tc.want)
		}
	}
}

func TestWatchAPIFromURL(t *testing.T) {
	for _, tc := range []struct {
		url, flag string
		want      feed.API
		bad       bool
	}{
		{"wss://ws.kraken.com/v2", "", feed.APIV2, false},
		{"ws://127.0.0.1:1234/v2/", "", feed.APIV2, false},
		{"wss://ws.kraken.com", "", feed.APIV1, false},
		{"ws://127.0.0.1:1234/v2", "v1", feed.APIV1, false},
		{"http://x", "", 0, true},
		{"ws://x", "v3", 0, true},
	} {
		got, err := watchAPI(tc.url, tc.flag)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("watchAPI(%q, %q) = %v, %v", tc.url, tc.flag, got, err)
		}
	}
}

func TestWatchUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"watch", "--pairs", "BTCUSD"},
		{"watch", "--channels", "level3"},
		{"watch", "--depth", "42", "--channels", "book"},
		{"watch", "--url", "http://127.0.0.1:1"},
		{"watch", "--api", "v1", "--channels", "instrument"},
	} {
		var out, errOut strings.Builder
		if code := Run(context.Background(), args, strings.NewReader(""), &out, &errOut); code != ExitUsage {
			t.Errorf("%q: exit %d, want %d (stderr %s)", args, code, ExitUsage, errOut.String())
		}
	}
}
