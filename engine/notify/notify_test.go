package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC)

func fill(inst string, at time.Time) *record.Record {
	return &record.Record{Instance: inst, Kind: record.KindFill, Time: at, Fill: strategy.Fill{
		Pair: "BTC/USD", Side: feed.Buy, Qty: decimal.RequireFromString("0.01"), Price: decimal.RequireFromString("65000.1"),
		Fee: decimal.RequireFromString("2.6"), FeeAsset: "USD"}}
}

// fakeAPI is a local Telegram Bot API and webhook receiver on loopback.
type fakeAPI struct {
	srv  *httptest.Server
	got  chan string // "telegram: <text>" / "webhook: <text>"
	fail bool
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{got: make(chan string, 64)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if f.fail {
			http.Error(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/botTOKEN123/sendMessage":
			if m["chat_id"] != "42" {
				http.Error(w, "chat not found", http.StatusBadRequest)
				return
			}
			f.got <- "telegram: " + m["text"].(string)
			io.WriteString(w, `{"ok":true,"result":{"message_id":1}}`)
		case "/hook":
			if m["text"] != m["content"] {
				http.Error(w, "text and content differ", http.StatusBadRequest)
				return
			}
			f.got <- "webhook: " + m["text"].(string)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func start(t *testing.T, n *Notifier) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// TestSendsToTelegramAndWebhook runs against a fake Bot API and webhook on loopback: a fill,
// a fault, a feed gap, a status change and a day's PnL arrive at both, in order.
func TestSendsToTelegramAndWebhook(t *testing.T) {
	api := newFakeAPI(t)
	n, err := New(Options{TelegramToken: "TOKEN123", TelegramChat: "42", TelegramURL: api.srv.URL, WebhookURL: api.srv.URL + "/hook",
		MinInterval: -1, Label: "papertrade live", Log: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, n)
	want := []string{
		"2026-03-01 23:59:00Z sma-btc: buy 0.01 BTC/USD @ 65000.1 (fee 2.6 USD)",
		"2026-03-01 23:59:00Z sma-btc STOPPED: OnCandle: boom",
		"2026-03-01 23:59:00Z feed gap on BTC/USD: trade, 3 missed (reconnect)",
		"2026-03-01 23:59:00Z exchange status: maintenance",
		"2026-03-01 daily sma-btc: equity 10100.00, PnL 100.00 (1.00%)",
	}
	for i, do := range []func(){
		func() { n.Record(fill("sma-btc", t0)) },
		func() {
			n.Record(&record.Record{Instance: "sma-btc", Kind: record.KindFault, Time: t0, Err: errors.New("OnCandle: boom")})
		},
		func() {
			n.Feed(&feed.Event{Kind: feed.KindGap, Pair: "BTC/USD", Time: t0, Gap: &feed.Gap{Channel: "trade", Missing: 3, Reason: "reconnect"}})
		},
		func() {
			n.Feed(&feed.Event{Kind: feed.KindStatus, Time: t0, Status: &feed.Status{System: feed.SystemMaintenance}})
		},
		func() {
			n.Record(&record.Record{Instance: "sma-btc", Kind: record.KindEquity, Time: t0, Equity: decimal.RequireFromString("10000")})
			n.Record(&record.Record{Instance: "sma-btc", Kind: record.KindEquity, Time: t0.Add(30 * time.Second), Equity: decimal.RequireFromString("10100")})
			n.Record(&record.Record{Instance: "sma-btc", Kind: record.KindEquity, Time: t0.Add(2 * time.Minute), Equity: decimal.RequireFromString("10090")})
		},
	} {
		do()
		// One at a time, so that each is its own message: wait for both destinations.
		got := map[string]string{}
		for range 2 {
			m := <-api.got
			dest, text, _ := strings.Cut(m, ": ")
			got[dest] = text
		}
		for _, dest := range []string{"telegram", "webhook"} {
			if got[dest] != "papertrade live\n"+want[i] {
				t.Errorf("%s got %q, want %q", dest, got[dest], "papertrade live\n"+want[i])
			}
		}
	}
	stop()
	if n.Sent() != 10 || n.Dropped() != 0 {
		t.Errorf("sent %d, dropped %d; want 10 and 0", n.Sent(), n.Dropped())
	}
}

// TestRateLimitBatches: a burst of fills becomes one message right away and one more after
// MinInterval with the rest, not one message per fill (Telegram would answer 429).
func TestRateLimitBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var at []time.Duration
		var texts []string
		begin := time.Now()
		client := &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
			var m map[string]string
			_ = json.NewDecoder(r.Body).Decode(&m)
			mu.Lock()
			at = append(at, time.Since(begin))
			texts = append(texts, m["text"])
			mu.Unlock()
			return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("ok")), Header: http.Header{}}, nil
		})}
		n, err := New(Options{WebhookURL: "http://hooks.invalid/x", MinInterval: 2 * time.Second, Client: client, Events: []string{Fills}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		n.Record(fill("a", t0))
		synctest.Wait() // the first is sent at once
		for i := range 5 {
			n.Record(fill("a", t0.Add(time.Duration(i+1)*time.Second)))
		}
		time.Sleep(3 * time.Second) // fake time in the bubble: lets the rate limit pass
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(at) != 2 || at[0] != 0 || at[1] != 2*time.Second {
			t.Fatalf("sent at %v, want [0s 2s]", at)
		}
		if got := strings.Count(texts[1], "\n") + 1; got != 5 {
			t.Errorf("second message has %d lines, want the 5 queued fills:\n%s", got, texts[1])
		}
	})
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestFullQueueDropsAndSays: Record never blocks; what does not fit is counted and the next
// message says so.
func TestFullQueueDropsAndSays(t *testing.T) {
	api := newFakeAPI(t)
	n, err := New(Options{WebhookURL: api.srv.URL + "/hook", Queue: 3, MinInterval: -1, Events: []string{Fills}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 { // Run is not started: nothing drains
		n.Record(fill("a", t0.Add(time.Duration(i)*time.Second)))
	}
	if n.Dropped() != 7 {
		t.Fatalf("dropped %d, want 7", n.Dropped())
	}
	stop := start(t, n)
	m := <-api.got
	stop()
	if !strings.Contains(m, "(7 notifications dropped: too many at once)") || strings.Count(m, "buy 0.01") != 3 {
		t.Errorf("message %q", m)
	}
}

func TestDestinationErrorsAreLoggedNotFatal(t *testing.T) {
	api := newFakeAPI(t)
	api.fail = true
	n, err := New(Options{TelegramToken: "TOKEN123", TelegramChat: "42", TelegramURL: api.srv.URL, MinInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.telegram(context.Background(), "x"); err == nil || !strings.Contains(err.Error(), "HTTP 401") || strings.Contains(err.Error(), "TOKEN123") {
		t.Errorf("error %v: want HTTP 401 without the token", err)
	}
}

func TestOptionsChecked(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "no destination"},
		{Options{TelegramToken: "x"}, "needs a chat id"},
		{Options{WebhookURL: "http://x", Events: []string{"trades"}}, `unknown event kind "trades"`},
	} {
		if _, err := New(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.o, err, tc.want)
		}
	}
}

func TestFromConfig(t *testing.T) {
	env := map[string]string{"HOOK": "http://127.0.0.1:1/x"}
	getenv := func(k string) string { return env[k] }
	if n, err := FromConfig(nil, getenv, "", nil); n != nil || err != nil {
		t.Errorf("nil section: %v, %v", n, err)
	}
	n, err := FromConfig(&config.Notify{WebhookURLEnv: "HOOK", MinInterval: time.Second}, getenv, "x", nil)
	if err != nil || n.o.WebhookURL != "http://127.0.0.1:1/x" || n.o.MinInterval != time.Second {
		t.Errorf("FromConfig: %+v, %v", n, err)
	}
	if _, err := FromConfig(&config.Notify{TelegramTokenEnv: "TG", TelegramChat: "1"}, getenv, "", nil); err == nil || !strings.Contains(err.Error(), "export TG=") {
		t.Errorf("unset token env: %v", err)
	}
}
