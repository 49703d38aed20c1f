package sim

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// Tests of Kraken's order API additions in the simulator: starttm, relative prices resolved on
// arrival, the dead man's switch, the post-only outcome, trailing conditional closes.

// updates renders the order updates among reports as "STATUS reason" lines.
func updates(rs []Report) []string {
	var out []string
	for _, r := range rs {
		if r.Kind == ReportUpdate {
			s := r.Update.Status.String()
			if r.Update.Reason != "" {
				s += " (" + r.Update.Reason + ")"
			}
			out = append(out, s)
		}
	}
	return out
}

func TestStartTime(t *testing.T) {
	r := newFeeRig(t, Config{Latency: 50 * time.Millisecond}, "USD", "100000")
	r.trade("BTC/USD", feed.Buy, "50000", "1", time.Millisecond)
	start := r.now.Add(10 * time.Second)
	id := r.submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("0.01"), Price: dd("49000"), StartTime: start})
	// Past the latency, before the start: still pending, nothing opened.
	if got := updates(r.trade("BTC/USD", feed.Sell, "50000", "1", time.Second)); len(got) != 0 {
		t.Fatalf("before the start: updates %v", got)
	}
	if u, _ := r.e.Order(id); u.Status != strategy.StatusPending {
		t.Fatalf("before the start: %s, want pending", u.Status)
	}
	// A trade through its price before the start does not fill it.
	if fs := fills(r.trade("BTC/USD", feed.Sell, "48000", "1", time.Second)); len(fs) != 0 {
		t.Fatalf("filled before its start: %+v", fs)
	}
	// The first event after the start opens it, stamped at the start time.
	rs := r.trade("BTC/USD", feed.Sell, "50000", "1", 9*time.Second)
	if got := updates(rs); len(got) != 1 || got[0] != "open" {
		t.Fatalf("at the start: updates %v, want [open]", got)
	}
	if rs[0].Update.Time != start {
		t.Fatalf("opened at %v, want the start time %v", rs[0].Update.Time, start)
	}
	// A start already reached is now; advancing time without events also starts orders.
	id2 := r.submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("0.01"), Price: dd("49000"), StartTime: r.now.Add(time.Minute)})
	r.now = r.now.Add(2 * time.Minute)
	if got := updates(r.e.Advance(r.now)); len(got) != 1 || got[0] != "open" {
		t.Fatalf("Advance past the start: %v", got)
	}
	// A waiting order can be cancelled before it starts.
	id3 := r.submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("0.01"), Price: dd("49000"), StartTime: r.now.Add(time.Hour)})
	r.trade("BTC/USD", feed.Sell, "50000", "1", time.Second) // reached the exchange, waiting
	if err := r.e.Cancel(r.now, id3); err != nil {
		t.Fatal(err)
	}
	if got := updates(r.trade("BTC/USD", feed.Sell, "50000", "1", time.Second)); len(got) != 1 || got[0] != "canceled (User requested)" {
		t.Fatalf("cancel while waiting: %v", got)
	}
	if got := updates(r.e.Advance(r.now.Add(2 * time.Hour))); len(got) != 0 {
		t.Fatalf("a cancelled order started: %v", got)
	}
	for _, i := range []strategy.OrderID{id, id2} {
		if u, ok := r.e.Order(i); !ok || u.Status != strategy.StatusOpen {
			t.Fatalf("%s: %+v", i, u)
		}
	}
	if err := r.e.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestRelativePriceResolvedOnArrival(t *testing.T) {
	r := newFeeRig(t, Config{Latency: 50 * time.Millisecond}, "USD", "100000", "BTC", "1")
	r.trade("BTC/USD", feed.Buy, "50000", "1", time.Millisecond)
	// Decided at 50000: "-1%" would be 49500. The market moves to 52000 before it arrives.
	id := r.submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("1"), PriceSpec: "-1%"})
	if u, _ := r.e.Order(id); !u.Order.Price.Equal(dd("49500")) || u.Order.PriceSpec != "" {
		t.Fatalf("pending order shows %s %q, want 49500 resolved at submission", u.Order.Price, u.Order.PriceSpec)
	}
	r.trade("BTC/USD", feed.Buy, "52000", "1", 10*time.Millisecond)
	rs := r.trade("BTC/USD", feed.Buy, "52000", "1", 50*time.Millisecond) // arrives now: last is 52000
	if got := updates(rs); len(got) != 1 || got[0] != "open" || !rs[0].Update.Order.Price.Equal(dd("51480")) {
		t.Fatalf("arrival: %v %+v, want open at 51480 (52000 - 1%%)", got, rs)
	}
	// The buy's reservation follows the resolved price (plus the taker fee): 51480 × 1.004.
	if _, held, _ := r.e.Ledger().Reservation(id); !held.Equal(dd("51685.92")) {
		t.Fatalf("reservation = %s, want 51685.92", held)
	}
	// Funds that covered the price at submission but not at arrival: rejected on arrival.
	r2 := newFeeRig(t, Config{Latency: 50 * time.Millisecond}, "USD", "50000")
	r2.trade("BTC/USD", feed.Buy, "40000", "1", time.Millisecond)
	id2 := r2.submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("1"), PriceSpec: "#1%"})
	r2.trade("BTC/USD", feed.Buy, "60000", "1", 10*time.Millisecond)
	rs = r2.trade("BTC/USD", feed.Buy, "60000", "1", 50*time.Millisecond)
	if got := updates(rs); len(got) != 1 || got[0] != "rejected (EOrder:Insufficient funds)" {
		t.Fatalf("arrival without funds: %v", got)
	}
	if _, ok := r2.e.Order(id2); ok {
		t.Fatal("rejected order still live")
	}
	if err := r2.e.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestCancelAllOrdersAfter(t *testing.T) {
	r := newFeeRig(t, Config{Latency: 50 * time.Millisecond}, "USD", "100000")
	r.trade("BTC/USD", feed.Buy, "50000", "1", time.Millisecond)
	a := r.submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("0.01"), Price: dd("49000")})
	b := r.submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("0.01"), Price: dd("48000")})
	at, err := r.e.CancelAllOrdersAfter(r.now, 60*time.Second)
	if err != nil || !at.Equal(r.now.Add(60*time.Second+50*time.Millisecond)) {
		t.Fatalf("CancelAllOrdersAfter = %v, %v", at, err)
	}
	r.trade("BTC/USD", feed.Buy, "50000", "1", time.Second) // both open
	// Every call resets the countdown.
	r.now = r.now.Add(30 * time.Second)
	if at2, _ := r.e.CancelAllOrdersAfter(r.now, 60*time.Second); !at2.After(at) {
		t.Fatalf("reset did not move the deadline: %v", at2)
	}
	if got := updates(r.trade("BTC/USD", feed.Buy, "50000", "1", 40*time.Second)); len(got) != 0 {
		t.Fatalf("fired before the reset deadline: %v", got)
	}
	// An order whose request has not reached the exchange when it fires is not cancelled.
	r.now = r.now.Add(20*time.Second + 40*time.Millisecond)
	c := r.submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("0.01"), Price: dd("47000")})
	rs := r.trade("BTC/USD", feed.Buy, "50000", "1", time.Second)
	got := updates(rs)
	want := []string{"canceled (" + ReasonDeadMan + ")", "canceled (" + ReasonDeadMan + ")", "open"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("at the deadline: %v, want %v", got, want)
	}
	for _, u := range rs[:2] {
		if u.Update.Order.ID != a && u.Update.Order.ID != b {
			t.Fatalf("cancelled %s", u.Update.Order.ID)
		}
	}
	if u, ok := r.e.Order(c); !ok || u.Status != strategy.StatusOpen {
		t.Fatalf("order placed just before the deadline: %+v", u)
	}
	// It fired once and disarmed; 0 disarms; negative is refused.
	if got := updates(r.e.Advance(r.now.Add(10 * time.Minute))); len(got) != 0 {
		t.Fatalf("fired again: %v", got)
	}
	r.e.CancelAllOrdersAfter(r.now, time.Second)
	if at, err := r.e.CancelAllOrdersAfter(r.now, 0); err != nil || !at.IsZero() {
		t.Fatalf("disarm = %v, %v", at, err)
	}
	if got := updates(r.e.Advance(r.now.Add(time.Hour))); len(got) != 0 {
		t.Fatalf("disarmed switch fired: %v", got)
	}
	if _, err := r.e.CancelAllOrdersAfter(r.now, -time.Second); !errors.Is(err, strategy.ErrInvalidArguments) {
		t.Fatalf("negative timeout: %v", err)
	}
	if err := r.e.Check(); err != nil {
		t.Fatal(err)
	}
}

// A post-only order that would take is accepted by Submit and then cancelled on arrival with
// Kraken's reason, not rejected.
func TestPostOnlyCancelledLikeKraken(t *testing.T) {
	r := newFeeRig(t, Config{Latency: 50 * time.Millisecond}, "USD", "100000")
	r.trade("BTC/USD", feed.Buy, "50000", "1", time.Millisecond)
	id, err := r.e.Submit(r.now, r.seq, strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("0.01"), Price: dd("50000.1"), PostOnly: true})
	if err != nil {
		t.Fatalf("Submit refused a post-only order: %v", err)
	}
	rs := r.trade("BTC/USD", feed.Buy, "50000", "1", 60*time.Millisecond)
	if got := updates(rs); len(got) != 1 || got[0] != "canceled (Post only order)" {
		t.Fatalf("updates %v, want [canceled (Post only order)]", got)
	}
	if rs[0].Update.Order.ID != id || rs[0].Update.Reason != strategy.ReasonPostOnly {
		t.Fatalf("update %+v", rs[0].Update)
	}
	if b := r.e.Ledger().Balance("USD"); !b.Reserved.IsZero() {
		t.Fatalf("reservation kept: %s", b.Reserved)
	}
}

// A conditional close may be a trailing stop: it is placed with its offset kind when the
// parent fills, and trails from there.
func TestTrailingConditionalClose(t *testing.T) {
	r := newFeeRig(t, Config{Latency: -1}, "USD", "100000")
	r.trade("BTC/USD", feed.Buy, "50000", "1", time.Millisecond)
	r.submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market, Qty: dd("0.1"),
		Close: &strategy.CloseOrder{Type: strategy.TrailingStop, Price: dd("2"), Offset: strategy.OffsetPercent}})
	rs := r.trade("BTC/USD", feed.Sell, "50000", "5", time.Millisecond)
	var closeID strategy.OrderID
	for _, x := range rs {
		if x.Kind == ReportUpdate && x.Update.Reason == ReasonClose {
			closeID = x.Update.Order.ID
			if x.Update.Order.Type != strategy.TrailingStop || x.Update.Order.Offset != strategy.OffsetPercent || x.Update.Order.Side != feed.Sell {
				t.Fatalf("close placed as %+v", x.Update.Order)
			}
		}
	}
	if closeID == "" {
		t.Fatalf("no conditional close placed: %v", updates(rs))
	}
	r.trade("BTC/USD", feed.Buy, "51000", "1", time.Millisecond) // trails up: trigger 49980
	if fs := fills(r.trade("BTC/USD", feed.Sell, "49990", "1", time.Millisecond)); len(fs) != 0 {
		t.Fatalf("triggered above its level: %+v", fs)
	}
	rs = r.trade("BTC/USD", feed.Sell, "49980", "1", time.Millisecond)
	var trig bool
	for _, u := range updates(rs) {
		trig = trig || strings.Contains(u, ReasonTriggered)
	}
	if !trig {
		t.Fatalf("trailing close did not trigger at 2%% below 51000: %v", updates(rs))
	}
}

// An amended price wins over the relative form of an order still waiting for its start.
func TestAmendOfWaitingRelativeOrder(t *testing.T) {
	r := newFeeRig(t, Config{Latency: 50 * time.Millisecond}, "USD", "100000")
	r.trade("BTC/USD", feed.Buy, "50000", "1", time.Millisecond)
	id := r.submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("0.01"), PriceSpec: "-1%", StartTime: r.now.Add(time.Minute)})
	r.trade("BTC/USD", feed.Buy, "50000", "1", time.Second) // waiting for its start
	if err := r.e.Amend(r.now, id, Amendment{LimitPrice: dd("48000")}); err != nil {
		t.Fatal(err)
	}
	r.trade("BTC/USD", feed.Buy, "51000", "1", time.Second)
	r.trade("BTC/USD", feed.Buy, "51000", "1", time.Minute) // starts
	if u, ok := r.e.Order(id); !ok || u.Status != strategy.StatusOpen || !u.Order.Price.Equal(dd("48000")) {
		t.Fatalf("order %+v, want open at the amended 48000", u)
	}
	if err := r.e.Check(); err != nil {
		t.Fatal(err)
	}
}

// A relative-price GTD order whose expire time passes before it arrives expires; it is not
// refused for its expire time when its price is resolved.
func TestRelativeGTDExpiresBeforeArrival(t *testing.T) {
	r := newFeeRig(t, Config{Latency: 50 * time.Millisecond}, "USD", "100000")
	r.trade("BTC/USD", feed.Buy, "50000", "1", time.Millisecond)
	r.submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("0.01"), PriceSpec: "-1%",
		TimeInForce: strategy.GTD, ExpireTime: r.now.Add(20 * time.Millisecond)})
	// As any GTD order reaching the exchange in the same event as its expiry: it opens, then
	// expires at the end of the event.
	got := updates(r.trade("BTC/USD", feed.Buy, "50000", "1", time.Second))
	if fmt.Sprint(got) != "[open expired ("+ReasonExpired+")]" {
		t.Fatalf("updates %v, want [open expired]", got)
	}
	if err := r.e.Check(); err != nil {
		t.Fatal(err)
	}
}
