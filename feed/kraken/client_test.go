package kraken_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
)

var apis = []feed.API{feed.APIV1, feed.APIV2}

// pipeServer starts an in-memory server (inside a synctest bubble) closed after the client.
func pipeServer(t *testing.T, opts ...krakentest.Option) *krakentest.Server {
	srv := krakentest.NewPipe(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// waitAcks reads until every (channel, pair) has a successful subscribe ack on conn.
func waitAcks(h *harness, conn uint32, channels []string, pairs []feed.Pair) {
	h.t.Helper()
	want := map[string]bool{}
	for _, c := range channels {
		for _, p := range pairs {
			want[c+" "+string(p)] = true
		}
	}
	h.until(func(ev *feed.Event) bool {
		if ev.Kind == feed.KindAck && ev.Ack.Success && ev.Ack.Method == "subscribe" && ev.Conn == conn {
			delete(want, ev.Ack.Channel+" "+string(ev.Pair))
		}
		return len(want) == 0
	})
}

func TestClientConnectsAndSubscribes(t *testing.T) {
	for _, api := range apis {
		t.Run(api.String(), func(t *testing.T) {
			checkLeaks(t)
			synctest.Test(t, func(t *testing.T) {
				pairs := []feed.Pair{"BTC/USD", "ETH/USD"}
				srv := pipeServer(t, krakentest.WithMarket(synthMarket(t, 1, pairs...), 0))
				srv.Step(10)
				h := startClient(t, srv, kraken.ClientConfig{API: api, Pairs: pairs, Channels: []string{"trade", "book"}})
				waitAcks(h, 1, []string{"trade", "book"}, pairs)
				srv.Step(3000)
				trades, updates := map[feed.Pair]int{}, 0
				h.until(func(ev *feed.Event) bool {
					if ev.Conn != 1 || ev.API != api {
						t.Fatalf("event on conn %d api %s", ev.Conn, ev.API)
					}
					switch ev.Kind {
					case feed.KindTrade:
						trades[ev.Trade.Pair]++
					case feed.KindBook:
						if !ev.Book.Snapshot {
							updates++
						}
					}
					return trades["BTC/USD"] >= 50 && trades["ETH/USD"] >= 50 && updates >= 500
				})
				st := h.cl.Stats()
				if st.ChecksumMismatches != 0 || st.Malformed != 0 || st.Connects != 1 || st.Rejected != 0 {
					t.Errorf("stats %+v", st)
				}
			})
		})
	}
}

func TestClientReconnectsAfterDropAndResubscribes(t *testing.T) {
	for _, api := range apis {
		t.Run(api.String(), func(t *testing.T) {
			checkLeaks(t)
			synctest.Test(t, func(t *testing.T) {
				pairs := []feed.Pair{"BTC/USD", "ETH/USD"}
				srv := pipeServer(t, krakentest.WithMarket(synthMarket(t, 2, pairs...), 0))
				srv.Step(10)
				h := startClient(t, srv, kraken.ClientConfig{API: api, Pairs: pairs, Channels: []string{"trade", "book"}})
				waitAcks(h, 1, []string{"trade", "book"}, pairs)
				srv.Step(500)
				h.until(func(ev *feed.Event) bool { return ev.Kind == feed.KindTrade })
				srv.DropAll()
				waitAcks(h, 2, []string{"trade", "book"}, pairs)
				srv.Step(1000)
				h.until(func(ev *feed.Event) bool { return ev.Kind == feed.KindTrade && ev.Conn == 2 })
				gaps := map[feed.Pair]*feed.Gap{}
				snapshots := map[feed.Pair]bool{}
				for _, ev := range h.all {
					switch {
					case ev.Kind == feed.KindGap && ev.Gap.Channel == "trade":
						gaps[ev.Pair] = ev.Gap
					case ev.Kind == feed.KindBook && ev.Conn == 2 && ev.Book.Snapshot:
						snapshots[ev.Book.Pair] = true
					}
				}
				if !snapshots["BTC/USD"] || !snapshots["ETH/USD"] {
					t.Errorf("book snapshots after the reconnect: %v", snapshots)
				}
				if st := h.cl.Stats(); st.Reconnects != 1 || st.Connects != 2 || st.ChecksumMismatches != 0 {
					t.Errorf("stats %+v", st)
				}
				if api == feed.APIV1 {
					// v1 has no ids: the reconnect is reported as a time window per pair.
					g := gaps[h.all[len(h.all)-1].Trade.Pair]
					if g == nil || g.From.IsZero() || g.To.Before(g.From) || g.Missing != 0 {
						t.Errorf("v1 gap %+v", g)
					}
				} else {
					checkTradeStream(t, h.all)
				}
			})
		})
	}
}

// TestClientDedupesTradeSnapshotAfterReconnect: trades published while the client is away come
// back through the v2 snapshot, without duplicates; what the snapshot cannot cover is reported
// as one gap with its exact size.
func TestClientDedupesTradeSnapshotAfterReconnect(t *testing.T) {
	for _, missed := range []int{20, 49, 50, 80} {
		t.Run("", func(t *testing.T) {
			checkLeaks(t)
			synctest.Test(t, func(t *testing.T) {
				srv := pipeServer(t)
				h := startClient(t, srv, kraken.ClientConfig{Pairs: []feed.Pair{"BTC/USD"}})
				waitAcks(h, 1, []string{"trade"}, []feed.Pair{"BTC/USD"})
				for range 10 {
					srv.Publish(trade("BTC/USD", "50000.1", time.Now()))
				}
				h.until(isTrade(10))
				srv.RefuseConnections(true)
				srv.DropAll()
				for range missed {
					srv.Publish(trade("BTC/USD", "50000.2", time.Now()))
				}
				srv.RefuseConnections(false)
				total := 10 + missed
				h.until(isTrade(uint64(total)))
				ids := checkTradeStream(t, h.all)["BTC/USD"]
				// The snapshot holds the last 50 trades: ids snapStart..total.
				snapStart := max(1, total-49)
				firstNew := max(snapStart, 11)
				var gaps []*feed.Gap
				for _, ev := range h.all {
					if ev.Kind == feed.KindGap && ev.Gap.Channel == "trade" {
						gaps = append(gaps, ev.Gap)
					}
				}
				if firstNew == 11 {
					if len(gaps) != 0 {
						t.Errorf("%d missed: gaps %+v", missed, gaps)
					}
				} else if len(gaps) != 1 || gaps[0].FromID != 11 || gaps[0].ToID != uint64(firstNew-1) || gaps[0].Missing != uint64(firstNew-11) {
					t.Errorf("%d missed: gaps %+v, want ids 11..%d", missed, gaps, firstNew-1)
				}
				if want := 10 + total - firstNew + 1; len(ids) != want || ids[len(ids)-1] != uint64(total) {
					t.Errorf("%d missed: delivered %v, want %d trades", missed, ids, want)
				}
				wantDup := max(0, 10-snapStart+1)
				if st := h.cl.Stats(); st.Duplicates != uint64(wantDup) || st.MissingTrades != uint64(firstNew-11) {
					t.Errorf("%d missed: stats %+v, want %d duplicates", missed, st, wantDup)
				}
			})
		})
	}
}

func TestClientWatchdogTripsOnStall(t *testing.T) {
	checkLeaks(t)
	synctest.Test(t, func(t *testing.T) {
		srv := pipeServer(t)
		h := startClient(t, srv, kraken.ClientConfig{Pairs: []feed.Pair{"BTC/USD"}})
		waitAcks(h, 1, []string{"trade"}, []feed.Pair{"BTC/USD"})
		srv.StallAll()
		stalled := time.Now()
		waitAcks(h, 2, []string{"trade"}, []feed.Pair{"BTC/USD"})
		if d := time.Since(stalled); d < 10*time.Second {
			t.Errorf("reconnected %v after the stall, before the watchdog's 10s", d)
		}
		if st := h.cl.Stats(); st.WatchdogTrips != 1 || st.Reconnects != 1 {
			t.Errorf("stats %+v", st)
		}
	})
}

// TestClientCorruptedBookResubscribesOnce: one bad checksum marks the book stale (reported as a
// gap), withholds its updates, resubscribes exactly once and resumes with the new snapshot.
func TestClientCorruptedBookResubscribesOnce(t *testing.T) {
	for _, api := range apis {
		t.Run(api.String(), func(t *testing.T) {
			checkLeaks(t)
			synctest.Test(t, func(t *testing.T) {
				pairs := []feed.Pair{"BTC/USD", "ETH/USD"}
				srv := pipeServer(t, krakentest.WithMarket(synthMarket(t, 3, pairs...), 0))
				srv.Step(10)
				h := startClient(t, srv, kraken.ClientConfig{API: api, Pairs: pairs, Channels: []string{"book"}})
				waitAcks(h, 1, []string{"book"}, pairs)
				if err := srv.CorruptNextChecksum("BTC/USD"); err != nil {
					t.Fatal(err)
				}
				srv.Step(400)
				h.until(func(ev *feed.Event) bool {
					return ev.Kind == feed.KindGap && ev.Gap.Channel == "book" && ev.Pair == "BTC/USD"
				})
				unsub, resub := 0, 0
				h.until(func(ev *feed.Event) bool {
					switch {
					case ev.Kind == feed.KindAck && ev.Pair == "BTC/USD" && ev.Ack.Method == "unsubscribe":
						unsub++
					case isAck(ev, "book", "BTC/USD"):
						resub++
					case ev.Kind == feed.KindBook && ev.Book.Pair == "BTC/USD" && !ev.Book.Snapshot:
						t.Fatal("an update of the stale book was delivered")
					}
					return ev.Kind == feed.KindBook && ev.Book.Pair == "BTC/USD" && ev.Book.Snapshot
				})
				srv.Step(400)
				h.until(func(ev *feed.Event) bool {
					return ev.Kind == feed.KindBook && ev.Book.Pair == "BTC/USD" && !ev.Book.Snapshot
				})
				st := h.cl.Stats()
				if unsub != 1 || resub != 1 || st.ChecksumMismatches != 1 || st.Resubscribes != 1 || st.Reconnects != 0 || st.StaleDropped == 0 {
					t.Errorf("unsubscribe acks %d, subscribe acks %d, stats %+v", unsub, resub, st)
				}
				if n := srv.Stats().Subscriptions; n != 3 {
					t.Errorf("server saw %d subscriptions, want 2 + 1 resubscribe", n)
				}
			})
		})
	}
}

func TestClientSurfacesRejectedSubscribe(t *testing.T) {
	for _, api := range apis {
		t.Run(api.String(), func(t *testing.T) {
			checkLeaks(t)
			synctest.Test(t, func(t *testing.T) {
				srv := pipeServer(t)
				srv.SetRejectSubscribes(true)
				pairs := []feed.Pair{"BTC/USD", "ETH/USD"}
				h := startClient(t, srv, kraken.ClientConfig{API: api, Pairs: pairs})
				failed := map[feed.Pair]string{}
				h.until(func(ev *feed.Event) bool {
					if ev.Kind == feed.KindAck && !ev.Ack.Success {
						failed[ev.Pair] = ev.Ack.Error
					}
					return len(failed) == 2
				})
				for _, p := range pairs {
					if failed[p] != "Exceeded msg rate" {
						t.Errorf("%s: %q", p, failed[p])
					}
				}
				// The socket stays up (pings answered); the client does not loop reconnecting.
				time.Sleep(2 * time.Minute)
				synctest.Wait()
				if st := h.cl.Stats(); st.Rejected != 2 || st.Reconnects != 0 {
					t.Errorf("stats %+v", st)
				}
			})
		})
	}
}

// drain reads whatever events are already queued, without waiting.
func (h *harness) drain() {
	for {
		if len(h.buf) > 0 {
			h.next()
			continue
		}
		select {
		case b := <-h.out:
			h.buf = b
		default:
			return
		}
	}
}

func TestClientMaintenancePausesAndResumes(t *testing.T) {
	checkLeaks(t)
	synctest.Test(t, func(t *testing.T) {
		srv := pipeServer(t, krakentest.WithMarket(synthMarket(t, 4, "BTC/USD"), 200))
		h := startClient(t, srv, kraken.ClientConfig{Pairs: []feed.Pair{"BTC/USD"}})
		h.until(func(ev *feed.Event) bool { return ev.Kind == feed.KindTrade })
		srv.SetSystemStatus(feed.SystemMaintenance)
		h.until(func(ev *feed.Event) bool {
			return ev.Kind == feed.KindStatus && ev.Status.System == feed.SystemMaintenance
		})
		time.Sleep(time.Minute)
		synctest.Wait()
		n := len(h.all)
		h.drain()
		for _, ev := range h.all[n:] {
			if ev.Kind == feed.KindTrade {
				t.Fatalf("trade during maintenance: %+v", ev.Trade)
			}
		}
		srv.SetSystemStatus(feed.SystemOnline)
		h.until(func(ev *feed.Event) bool { return ev.Kind == feed.KindStatus && ev.Status.System == feed.SystemOnline })
		h.until(func(ev *feed.Event) bool { return ev.Kind == feed.KindTrade })
		checkTradeStream(t, h.all)
		if st := h.cl.Stats(); st.Reconnects != 0 || st.TradeGaps != 0 || st.WatchdogTrips != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestClientSurvivesMalformedAndNonJSONFrames(t *testing.T) {
	checkLeaks(t)
	synctest.Test(t, func(t *testing.T) {
		srv := pipeServer(t)
		h := startClient(t, srv, kraken.ClientConfig{Pairs: []feed.Pair{"BTC/USD"}})
		waitAcks(h, 1, []string{"trade"}, []feed.Pair{"BTC/USD"})
		publish := func(n int) {
			for range n {
				srv.Publish(trade("BTC/USD", "50000.3", time.Now()))
			}
		}
		publish(5)
		h.until(isTrade(5))
		srv.SendMalformed()
		publish(5)
		h.until(isTrade(10))
		if st := h.cl.Stats(); st.Malformed != 1 || st.Reconnects != 0 {
			t.Errorf("after a malformed frame: %+v", st)
		}
		// The proxy's text announces a restart: the client reconnects and loses nothing.
		srv.SendProxyRestart()
		publish(5)
		h.until(isTrade(15))
		ids := checkTradeStream(t, h.all)["BTC/USD"]
		if len(ids) != 15 {
			t.Errorf("delivered %v", ids)
		}
		if st := h.cl.Stats(); st.Malformed != 2 || st.Reconnects != 1 || st.TradeGaps != 0 {
			t.Errorf("after the proxy text: %+v", st)
		}
	})
}

func TestClientCloseIsIdempotent(t *testing.T) {
	checkLeaks(t)
	synctest.Test(t, func(t *testing.T) {
		srv := pipeServer(t)
		cl, err := kraken.NewClient(kraken.ClientConfig{Pairs: []feed.Pair{"BTC/USD"}, Dialer: srv.Dialer(), URL: srv.URLv2()})
		if err != nil {
			t.Fatal(err)
		}
		cl.Close()
		cl.Close()
		if err := cl.Run(context.Background(), make(chan []feed.Event)); err != nil {
			t.Errorf("Run after Close: %v", err)
		}

		h := startClient(t, srv, kraken.ClientConfig{Pairs: []feed.Pair{"BTC/USD"}})
		waitAcks(h, 1, []string{"trade"}, []feed.Pair{"BTC/USD"})
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() { defer wg.Done(); h.cl.Close() }()
		}
		wg.Wait()
		if err := <-h.errc; err != nil {
			t.Errorf("Run after Close: %v", err)
		}
		h.done = true
		synctest.Wait()
		if srv.Stats().Open != 0 {
			t.Errorf("%d connections still open", srv.Stats().Open)
		}
	})
}

func TestClientOverflowStopsRun(t *testing.T) {
	checkLeaks(t)
	synctest.Test(t, func(t *testing.T) {
		srv := pipeServer(t)
		h := startClient(t, srv, kraken.ClientConfig{Pairs: []feed.Pair{"BTC/USD"}, Buffer: 64})
		waitAcks(h, 1, []string{"trade"}, []feed.Pair{"BTC/USD"})
		// Nobody reads: the channel fills (16 batches of any size), then the buffer (64 events);
		// a second later Run gives up. Publish until it does.
		var err error
		for i := 0; err == nil; i++ {
			if i == 100_000 {
				t.Fatal("no overflow")
			}
			srv.Publish(trade("BTC/USD", "50000.4", time.Now()))
			if i%100 == 99 {
				time.Sleep(2 * time.Second)
			}
			select {
			case err = <-h.errc:
			default:
			}
		}
		h.done = true
		if !errors.Is(err, kraken.ErrOverflow) {
			t.Fatalf("Run returned %v, want ErrOverflow", err)
		}
	})
}

func TestClientOnFrameSeesEveryFrame(t *testing.T) {
	checkLeaks(t)
	synctest.Test(t, func(t *testing.T) {
		srv := pipeServer(t, krakentest.WithMarket(synthMarket(t, 5, "BTC/USD"), 0))
		srv.Step(5)
		var (
			mu     sync.Mutex
			frames int
			bad    int
		)
		h := startClient(t, srv, kraken.ClientConfig{Pairs: []feed.Pair{"BTC/USD"}, Channels: []string{"trade", "book"},
			OnFrame: func(recv time.Time, api feed.API, conn uint32, raw []byte) {
				mu.Lock()
				defer mu.Unlock()
				frames++
				if api != feed.APIV2 || conn != 1 || recv.IsZero() || !json.Valid(raw) {
					bad++
				}
			}})
		waitAcks(h, 1, []string{"trade", "book"}, []feed.Pair{"BTC/USD"})
		srv.Step(200)
		h.until(isTrade(20))
		synctest.Wait() // the reader is between frames
		mu.Lock()
		defer mu.Unlock()
		if st := h.cl.Stats(); uint64(frames) != st.Frames || bad != 0 || frames < 50 {
			t.Errorf("tap saw %d frames (%d bad), client %d", frames, bad, st.Frames)
		}
	})
}

// TestClientOverTCP runs the client against a real loopback server.
func TestClientOverTCP(t *testing.T) {
	checkLeaks(t)
	srv := krakentest.New(krakentest.WithMarket(synthMarket(t, 6, "BTC/USD", "ETH/USD"), 0))
	t.Cleanup(srv.Close)
	srv.Step(10)
	h := startClient(t, srv, kraken.ClientConfig{Pairs: []feed.Pair{"BTC/USD", "ETH/USD"}, Channels: []string{"trade", "book", "ticker"}, Depth: 25})
	h.guard = 30 * time.Second
	waitAcks(h, 1, []string{"trade", "book", "ticker"}, []feed.Pair{"BTC/USD", "ETH/USD"})
	srv.Step(2000)
	h.until(func(ev *feed.Event) bool { return ev.Kind == feed.KindTrade && ev.Trade.ID >= 100 })
	if st := h.cl.Stats(); st.ChecksumMismatches != 0 || st.Malformed != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestNewClientRejectsBadConfig(t *testing.T) {
	for _, cfg := range []kraken.ClientConfig{
		{},
		{Pairs: []feed.Pair{"BTC/USD"}, Channels: []string{"spread"}},
		{Pairs: []feed.Pair{"BTC/USD"}, API: feed.APIV1, Channels: []string{"instrument"}},
		{Pairs: []feed.Pair{"BTC/USD"}, Channels: []string{"book"}, Depth: 42},
		{Pairs: []feed.Pair{"BTCUSD"}},
	} {
		if _, err := kraken.NewClient(cfg); err == nil {
			t.Errorf("NewClient(%+v) accepted", cfg)
		}
	}
}
