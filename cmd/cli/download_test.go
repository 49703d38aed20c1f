package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
)

var dlT0 = time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)

// dlServer is a Kraken look-alike holding n ETH/USD trades 1.1 s apart, behind a front that
// answers the calls listed in faults with a rate-limit error instead.
func dlServer(t *testing.T, n int, faults ...int) string {
	t.Helper()
	srv := krakentest.New()
	t.Cleanup(srv.Close)
	for i := range n {
		at := dlT0.Add(time.Duration(i) * 1100 * time.Millisecond)
		srv.Publish(feed.Event{Kind: feed.KindTrade, Time: at, Trade: feed.Trade{Pair: "ETH/USD", Side: feed.Side(1 + i%2), OrdType: feed.OrdLimit,
			Price: decimal.New(int64(300000+i), -2), Qty: decimal.New(int64(1+i), -4), Time: at}})
	}
	var mu sync.Mutex
	calls := 0
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		for _, f := range faults {
			if f == n {
				fmt.Fprint(w, `{"error":["EAPI:Rate limit exceeded"]}`)
				return
			}
		}
		resp, err := http.Get(srv.URL() + r.URL.RequestURI())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		io.Copy(w, resp.Body) //nolint:errcheck // test proxy
	}))
	t.Cleanup(front.Close)
	return front.URL
}

func TestDownloadCommand(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first: runs after the servers close
	url := dlServer(t, 2500, 2, 3)
	dir := t.TempDir()
	var sleeps []time.Duration
	var stdout, stderr bytes.Buffer
	a := &app{stdout: &stdout, stderr: &stderr, log: zap.NewNop()}
	o := downloadOptions{pair: "ETH/USD", since: "2025-11-01", until: "2025-11-01T00:40:00Z", out: dir, url: url, interval: 1500 * time.Millisecond, count: 100,
		sleep: func(ctx context.Context, d time.Duration) error { sleeps = append(sleeps, d); return ctx.Err() }}
	if err := runDownload(context.Background(), a, o); err != nil {
		t.Fatalf("%v\n%s%s", err, stdout.String(), stderr.String())
	}
	// 40 minutes of trades 1.1 s apart: 2182 trades (the last at 39:59.1).
	if !strings.Contains(stdout.String(), "downloaded 2182 trades of ETH/USD in 23 pages (22 repeated at page boundaries, 0 bad entries), 2025-11-01T00:00:00Z to 2025-11-01T00:39:59.1Z into "+dir) {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	if !strings.Contains(stdout.String(), "page 10: ") || !strings.Contains(stdout.String(), "page 20: ") {
		t.Errorf("no progress lines:\n%s", stdout.String())
	}
	if len(sleeps) != 24 || sleeps[1] != 5*time.Second || sleeps[2] != 10*time.Second || sleeps[0] != 1500*time.Millisecond || sleeps[3] != 1500*time.Millisecond {
		t.Errorf("sleeps %v", sleeps)
	}
	var s tapeSummary
	if err := json.Unmarshal([]byte(tpMust(t, "tape", "info", "--json", dir)), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.TradeIDs) != 1 || s.TradeIDs[0].First != 1 || s.TradeIDs[0].Last != 2182 || s.TradeIDs[0].Missing != 0 || s.TradeIDs[0].Repeated != 0 ||
		s.Recordings[0].Name != "rest-ETHUSD" || s.Recordings[0].Meta["source"] != "kraken-rest-trades" {
		t.Errorf("info: %+v", s)
	}
	// The same events through decode: prices at ETH/USD's precision.
	out := tpMust(t, "decode", dir)
	if first := out[:strings.IndexByte(out, '\n')]; first != `{"kind":"trade","api":"v2","pair":"ETH/USD","time":"2025-11-01T00:00:00Z","recv":"2025-11-01T00:00:00Z","side":"buy","ord_type":"limit","price":"3000.00","qty":"0.00010000","trade_id":1}` {
		t.Errorf("first event %s", first)
	}
}

func TestDownloadCommandLine(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first: runs after the servers close
	url := dlServer(t, 30)
	dir := t.TempDir()
	out := tpMust(t, "download", "--pair", "ETHUSD", "--since", "1761955200", "--out", dir, "--url", url, "--interval", "0")
	if !strings.HasPrefix(out, "downloaded 30 trades of ETH/USD in 2 pages") {
		t.Errorf("stdout: %s", out)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--since", "2025-11-01", "--out", dir}, "--pair is required"},
		{[]string{"--pair", "ETH/USD", "--since", "2025-11-01"}, "--out is required"},
		{[]string{"--pair", "ETH/USD", "--out", dir}, "--since (or --cursor) is required"},
		{[]string{"--pair", "ETH/USD", "--out", dir, "--since", "2025-11-01", "--cursor", "1"}, "not both"},
		{[]string{"--pair", "ETH/USD", "--out", dir, "--cursor", "soon"}, `--cursor "soon"`},
		{[]string{"--pair", "ETH/USD", "--out", dir, "--since", "next week"}, `--since "next week"`},
		{[]string{"--pair", "NOPE", "--out", dir, "--since", "2025-11-01"}, `pair "NOPE"`},
	}
	for _, tc := range tests {
		code, _, errOut := tpRun(t, append([]string{"download"}, tc.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("download %v: exit %d %q; want %d and %q", tc.args, code, errOut, ExitUsage, tc.want)
		}
	}
	// A Kraken error that is not a rate limit fails the command, with the cursor to resume.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"error":["EQuery:Unknown asset pair"]}`)
	}))
	defer bad.Close()
	code, out, errOut := tpRun(t, "download", "--pair", "ETH/USD", "--since", "2025-11-01", "--out", t.TempDir(), "--url", bad.URL, "--interval", "0")
	if code != ExitError || !strings.Contains(errOut, "EQuery:Unknown asset pair") || !strings.Contains(out, "downloaded 0 trades") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
}
