package krakentest_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestRESTShapes compares the look-alike's REST market data with real 2025-11 responses
// (nautilus_trader test_data, LGPL: read from ../shared only, never copied) structure for
// structure, result keys aside.
func TestRESTShapes(t *testing.T) {
	srv, _, _ := marketServer(t, "BTC/USD")
	srv.Step(400)
	for _, tc := range []struct{ fixture, path string }{
		{"http_ticker.json", "/0/public/Ticker?pair=XBTUSD"},
		{"http_ohlc.json", "/0/public/OHLC?pair=XBTUSD&interval=1"},
		{"http_order_book.json", "/0/public/Depth?pair=XBTUSD&count=10"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			raw, err := os.ReadFile("../../../../shared/kraken/fixtures/nautilus_trader/" + tc.fixture)
			if err != nil {
				t.Skip("shared fixtures not present:", err)
			}
			body := get(t, srv.URL()+tc.path)
			if got, want := resultShape(t, []byte(body)), resultShape(t, raw); got != want {
				t.Errorf("%s\n got %s\nreal %s\nbody %.300s", tc.path, got, want, body)
			}
		})
	}
}

// resultShape is the shape of a REST response with its pair key renamed to "PAIR".
func resultShape(t *testing.T, b []byte) string {
	t.Helper()
	var env struct {
		Error  []string
		Result map[string]json.RawMessage
	}
	if err := json.Unmarshal(b, &env); err != nil || len(env.Error) > 0 {
		t.Fatalf("%s: %v %v", b, err, env.Error)
	}
	out := map[string]json.RawMessage{}
	for k, v := range env.Result {
		if k != "last" {
			k = "PAIR"
		}
		out[k] = v
	}
	nb, _ := json.Marshal(out)
	return shape(t, nb)
}

// TestRESTResultKeys: a result is keyed by the name requested when it has a slash (2026
// responses to pair=BTC/USD), else by the AssetPairs key (pair=XBTUSD → XXBTZUSD).
func TestRESTResultKeys(t *testing.T) {
	srv, _, _ := marketServer(t, "BTC/USD", "ETH/USD")
	srv.Step(100)
	for _, tc := range []struct{ path, key string }{
		{"/0/public/Trades?pair=BTC/USD", "BTC/USD"},
		{"/0/public/Trades?pair=XBTUSD", "XXBTZUSD"},
		{"/0/public/OHLC?pair=BTC/USD", "BTC/USD"},
		{"/0/public/OHLC?pair=XXBTZUSD", "XXBTZUSD"},
		{"/0/public/Ticker?pair=XBT/USD", "XBT/USD"},
		{"/0/public/Depth?pair=ETH/USD", "ETH/USD"},
		{"/0/public/AssetPairs?pair=XBTUSD", "XXBTZUSD"},
		{"/0/public/Assets?asset=XBT", "XXBT"},
	} {
		var env struct {
			Error  []string
			Result map[string]json.RawMessage
		}
		body := get(t, srv.URL()+tc.path)
		if err := json.Unmarshal([]byte(body), &env); err != nil || len(env.Error) > 0 {
			t.Fatalf("%s: %s", tc.path, body)
		}
		if _, ok := env.Result[tc.key]; !ok {
			t.Errorf("%s: result keys %v, want %s", tc.path, keysOf(env.Result), tc.key)
		}
	}
	if body := get(t, srv.URL()+"/0/public/Ticker?pair=NOPE"); !strings.Contains(body, "EQuery:Unknown asset pair") {
		t.Errorf("unknown pair: %s", body)
	}
}

// TestRESTAssetsListsEveryAsset: ccxt's loadMarkets needs an Assets entry for the base and
// quote of every AssetPairs entry.
func TestRESTAssetsListsEveryAsset(t *testing.T) {
	srv := newServer(t)
	var assets, pairs struct {
		Result map[string]map[string]any
	}
	if err := json.Unmarshal([]byte(get(t, srv.URL()+"/0/public/Assets")), &assets); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(get(t, srv.URL()+"/0/public/AssetPairs")), &pairs); err != nil {
		t.Fatal(err)
	}
	for k, p := range pairs.Result {
		for _, f := range []string{"base", "quote"} {
			if _, ok := assets.Result[p[f].(string)]; !ok {
				t.Errorf("%s: %s %v has no Assets entry", k, f, p[f])
			}
		}
	}
	if a := assets.Result["ZUSD"]; a == nil || a["altname"] != "USD" || a["decimals"] != 4.0 {
		t.Errorf("ZUSD = %v", a)
	}
}

func keysOf(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
