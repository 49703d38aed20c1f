package kraken

import (
	"os"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/feed"
)

// TestLoadPairsInstrumentOverBuiltIn: a saved instrument message overrides the built-in
// values of the pairs it lists, adds new pairs, and keeps the REST/v1 names it cannot know.
func TestLoadPairsInstrumentOverBuiltIn(t *testing.T) {
	msg := `{"channel":"instrument","type":"snapshot","data":{"assets":[],"pairs":[` +
		`{"symbol":"BTC/USD","base":"BTC","quote":"USD","status":"online","qty_precision":8,"qty_increment":1e-08,"price_precision":1,"cost_precision":5,"marginable":true,"has_index":true,"cost_min":0.5,"tick_size":0.1,"price_increment":0.1,"qty_min":5e-05},` +
		`{"symbol":"NEW/USD","base":"NEW","quote":"USD","status":"online","qty_precision":4,"qty_increment":0.0001,"price_precision":3,"cost_precision":5,"marginable":false,"has_index":false,"cost_min":0.5,"tick_size":0.001,"price_increment":0.001,"qty_min":1.0}]}}`
	tab, err := LoadPairs(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	btc, ok := tab.Lookup("BTC/USD")
	if !ok || btc.OrderMin.String() != "0.00005" || btc.WSName != "XBT/USD" || btc.ID != "XXBTZUSD" || len(btc.Taker) == 0 {
		t.Errorf("BTC/USD = %+v", btc)
	}
	if n, ok := tab.Lookup("NEW/USD"); !ok || n.PriceDecimals != 3 || n.LotDecimals != 4 {
		t.Errorf("NEW/USD = %+v, %v", n, ok)
	}
	if got, want := tab.Len(), DefaultPairs().Len()+1; got != want {
		t.Errorf("%d pairs, want %d", got, want)
	}
}

// TestLoadPairsAssetPairs2025: the 2025-11 AssetPairs response (nautilus_trader, LGPL: read
// from ../shared only) gives BTC/USDT its current ordermin, as the built-in row now has.
func TestLoadPairsAssetPairs2025(t *testing.T) {
	f, err := os.Open("../../../shared/kraken/fixtures/nautilus_trader/http_asset_pairs.json")
	if err != nil {
		t.Skip("shared fixtures not present:", err)
	}
	defer f.Close()
	tab, err := LoadPairs(f)
	if err != nil {
		t.Fatal(err)
	}
	saved, _ := tab.Lookup("BTC/USDT")
	builtin, _ := DefaultPairs().Lookup("BTC/USDT")
	if saved.OrderMin.String() != "0.00005" || !builtin.OrderMin.Equal(saved.OrderMin) {
		t.Errorf("BTC/USDT ordermin: saved %s, built-in %s", saved.OrderMin, builtin.OrderMin)
	}
	if _, ok := tab.Lookup(feed.Pair("ETH/USD")); !ok {
		t.Error("built-in pairs the file does not list are lost")
	}
}

func TestLoadPairsRejectsOtherJSON(t *testing.T) {
	for _, in := range []string{`{"channel":"book","type":"snapshot","data":[]}`, `[1,2]`, `not json`, `{"error":["EGeneral:Invalid arguments"],"result":{}}`} {
		if _, err := LoadPairs(strings.NewReader(in)); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
}

// FuzzLoadPairs: any input is a table or an error, never a panic; a table always still holds
// the built-in pairs.
func FuzzLoadPairs(f *testing.F) {
	for _, s := range []string{
		`{"channel":"instrument","type":"snapshot","data":{"assets":[],"pairs":[{"symbol":"BTC/USD","base":"BTC","quote":"USD","status":"online","qty_precision":8,"qty_increment":1e-08,"price_precision":1,"cost_precision":5,"cost_min":0.5,"price_increment":0.1,"qty_min":5e-05}]}}`,
		`{"error":[],"result":{"XXBTZUSD":{"altname":"XBTUSD","wsname":"XBT/USD","base":"XXBT","quote":"ZUSD","pair_decimals":1,"lot_decimals":8,"cost_decimals":5,"ordermin":"0.00005","costmin":"0.5","tick_size":"0.1","status":"online","fees":[[0,0.4]],"fees_maker":[[0,0.25]]}}}`,
		`{"channel":"instrument","data":{}}`, `{"result":null}`, `{}`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := LoadPairs(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		if _, ok := tab.Lookup("ETH/USD"); !ok {
			t.Fatal("a loaded table lost the built-in ETH/USD")
		}
	})
}
