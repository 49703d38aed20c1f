package kraken_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
)

// TestClientSoak (PAPERTRADE_SOAK=1; loopback only, about 65 s): 10 generated pairs at 2,000
// events per second for 30 s with every connection dropped each 5 s; in the second scenario
// the server also refuses handshakes for 1.5 s after each drop, so the 50-trade snapshot
// cannot cover the outage. Every trade the server printed after the client's first
// subscription must be delivered exactly once or lie inside a reported gap.
func TestClientSoak(t *testing.T) {
	if os.Getenv("PAPERTRADE_SOAK") == "" {
		t.Skip("set PAPERTRADE_SOAK=1 to run the soak test")
	}
	t.Run("drops", func(t *testing.T) { soak(t, 0) })
	t.Run("drops-and-refusals", func(t *testing.T) { soak(t, 1500*time.Millisecond) })
}

func soak(t *testing.T, refuse time.Duration) {
	checkLeaks(t)
	pairs := []feed.Pair{"BTC/USD", "ETH/USD", "SOL/USD", "DOGE/USD", "ADA/USD", "XRP/USD", "LTC/USD", "DOT/USD", "LINK/USD", "ALGO/USD"}
	opts := []krakentest.Option{krakentest.WithMarket(synthMarket(t, 11, pairs...), 2000)}
	if refuse == 0 {
		opts = append(opts, krakentest.WithFaults(krakentest.FaultConfig{DropEvery: 5 * time.Second}))
	}
	srv := krakentest.New(opts...)
	t.Cleanup(srv.Close)
	if refuse > 0 {
		// The fault driver: every 5 s refuse handshakes, drop everyone, accept again later.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(5 * time.Second)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				srv.RefuseConnections(true)
				srv.DropAll()
				select {
				case <-stop:
				case <-time.After(refuse):
				}
				srv.RefuseConnections(false)
			}
		}()
		t.Cleanup(func() { close(stop); wg.Wait() })
	}
	cfg := kraken.ClientConfig{Pairs: pairs, Channels: []string{"trade", "book"}}
	if refuse > 0 {
		cfg.BackoffMin = time.Second
	}
	h := startClient(t, srv, cfg)
	h.guard = 30 * time.Second
	start := time.Now()
	for time.Since(start) < 30*time.Second {
		h.next()
	}
	srv.SetFaults(krakentest.FaultConfig{})
	srv.SetRate(0)
	if refuse > 0 {
		srv.RefuseConnections(false)
	}
	// Catch up with everything the server printed.
	lastIDs := map[feed.Pair]uint64{}
	for _, p := range pairs {
		lastIDs[p] = restLastID(t, srv, p)
	}
	caughtUp := func() bool {
		ids := map[feed.Pair]uint64{}
		for _, ev := range h.all {
			if ev.Kind == feed.KindTrade {
				ids[ev.Trade.Pair] = ev.Trade.ID
			}
		}
		for _, p := range pairs {
			if ids[p] < lastIDs[p] {
				return false
			}
		}
		return true
	}
	for !caughtUp() {
		h.until(func(ev *feed.Event) bool { return ev.Kind == feed.KindTrade })
	}
	delivered := checkTradeStream(t, h.all)
	var sent, got, firstMissed uint64
	gaps, gapTrades := 0, uint64(0)
	for _, ev := range h.all {
		if ev.Kind == feed.KindGap && ev.Gap.Channel == "trade" {
			gaps++
			gapTrades += ev.Gap.Missing
		}
	}
	for _, p := range pairs {
		ids := delivered[p]
		if len(ids) == 0 {
			t.Fatalf("%s: no trades", p)
		}
		sent += lastIDs[p] - ids[0] + 1 // every id from the first delivered one on
		got += uint64(len(ids))
		firstMissed += ids[0] - 1
	}
	st := h.cl.Stats()
	sst := srv.Stats()
	elapsed := time.Since(start)
	t.Logf("soak: %v, server: %d connections, %d drops, %d trade frames, %d book frames",
		elapsed.Round(time.Millisecond), sst.Connections, sst.Drops, sst.Frames["trade"], sst.Frames["book"])
	t.Logf("soak: client: %d frames (%.0f/s), %d events, %d connects, %d reconnects, %d dial failures, %d budget waits",
		st.Frames, float64(st.Frames)/elapsed.Seconds(), st.Events, st.Connects, st.Reconnects, st.DialFailures, st.BudgetWaits)
	t.Logf("soak: trades after subscribing: %d printed, %d delivered, %d in %d reported gaps, %d duplicates removed; "+
		"%d before the first subscription; checksum mismatches %d, malformed %d",
		sent, got, gapTrades, gaps, st.Duplicates, firstMissed, st.ChecksumMismatches, st.Malformed)
	if got+gapTrades != sent {
		t.Errorf("%d printed trades, %d delivered + %d in gaps", sent, got, gapTrades)
	}
	if st.Reconnects < 4 || st.ChecksumMismatches != 0 || st.Malformed != 0 || (refuse > 0) != (gaps > 0) {
		t.Errorf("stats %+v, %d gaps", st, gaps)
	}
	h.stop()
}

// restLastID returns the id of the last trade the server printed for p (REST Trades).
func restLastID(t testing.TB, srv *krakentest.Server, p feed.Pair) uint64 {
	t.Helper()
	info, _ := kraken.DefaultPairs().Lookup(p)
	var last uint64
	since := "0"
	for {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet,
			fmt.Sprintf("%s/0/public/Trades?pair=%s&since=%s", srv.URL(), info.AltName, since), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Error  []string
			Result map[string]json.RawMessage
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || len(page.Error) > 0 {
			t.Fatalf("Trades %s: %v %v", p, err, page.Error)
		}
		var next string
		json.Unmarshal(page.Result["last"], &next)
		for k, v := range page.Result {
			if k == "last" {
				continue
			}
			var rows [][]json.RawMessage
			json.Unmarshal(v, &rows)
			for _, r := range rows {
				id, _ := strconv.ParseUint(string(r[6]), 10, 64)
				last = max(last, id)
			}
		}
		if next == since {
			return last
		}
		since = next
	}
}
