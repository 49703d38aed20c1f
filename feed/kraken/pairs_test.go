package kraken

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// pairsSharedFixture returns the path of a file under ../shared/kraken/fixtures (found from the
// module root), or skips the test when the shared folder is absent, as on a user's clone.
func pairsSharedFixture(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found; shared fixtures unavailable")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "kraken", "fixtures", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared fixture %s not available (%v): skipping, as on a user's clone", rel, err)
	}
	return p
}

func pdec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// tiers formats a fee schedule as "volume:percent ..." at full decimal text, so that
// comparisons see exactly what was parsed.
func pairsTiers(ts []feed.FeeTier) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.Volume.String() + ":" + t.Percent.String()
	}
	return strings.Join(parts, " ")
}

const (
	pairsCryptoTaker = "0:0.4 10000:0.35 50000:0.24 100000:0.22 250000:0.2 500000:0.18 1000000:0.16 2500000:0.14 5000000:0.12 10000000:0.1"
	pairsCryptoMaker = "0:0.25 10000:0.2 50000:0.14 100000:0.12 250000:0.1 500000:0.08 1000000:0.06 2500000:0.04 5000000:0.02 10000000:0"
	pairsStable      = "0:0.2 50000:0.16 100000:0.12 250000:0.08 500000:0.04 1000000:0"
)

func TestDefaultPairs(t *testing.T) {
	tab := DefaultPairs()
	var want []string
	for _, b := range strings.Fields("BTC ETH SOL XRP ADA DOGE DOT LTC LINK AVAX BCH XLM ATOM UNI TRX SHIB PEPE MATIC POL NEAR ETC FIL ALGO AAVE SUI XMR ARB OP APT INJ") {
		want = append(want, b+"/USD", b+"/EUR")
	}
	want = append(want, "USDT/USD", "USDC/USD", "EUR/USD", "BTC/USDT", "ETH/BTC")
	if tab.Len() != len(want) {
		t.Errorf("Len() = %d, want %d", tab.Len(), len(want))
	}
	for _, p := range want {
		info, ok := tab.Lookup(feed.Pair(p))
		if !ok {
			t.Errorf("Lookup(%s): missing", p)
			continue
		}
		if info.Base+"/"+info.Quote != p {
			t.Errorf("%s: base/quote %s/%s", p, info.Base, info.Quote)
		}
		if info.Status != feed.PairOnline {
			t.Errorf("%s: status %q", p, info.Status)
		}
		if want := decimal.New(1, -info.PriceDecimals); !info.Tick.Equal(want) {
			t.Errorf("%s: tick %s, want %s (10^-pair_decimals)", p, info.Tick, want)
		}
		if want := decimal.New(1, -info.LotDecimals); !info.LotStep.Equal(want) {
			t.Errorf("%s: lot step %s, want %s", p, info.LotStep, want)
		}
		if !info.OrderMin.IsPositive() || !info.CostMin.IsPositive() || info.CostDecimals <= 0 {
			t.Errorf("%s: ordermin %s costmin %s cost decimals %d: want all positive", p, info.OrderMin, info.CostMin, info.CostDecimals)
		}
		if info.FeeVolumeCurrency != "USD" {
			t.Errorf("%s: fee volume currency %q", p, info.FeeVolumeCurrency)
		}
		switch p {
		case "USDT/USD", "USDC/USD", "EUR/USD":
			if got := pairsTiers(info.Taker); got != pairsStable {
				t.Errorf("%s taker = %s, want %s", p, got, pairsStable)
			}
			if got := pairsTiers(info.Maker); got != pairsStable {
				t.Errorf("%s maker = %s, want %s", p, got, pairsStable)
			}
		default:
			if got := pairsTiers(info.Taker); got != pairsCryptoTaker {
				t.Errorf("%s taker = %s", p, got)
			}
			if got := pairsTiers(info.Maker); got != pairsCryptoMaker {
				t.Errorf("%s maker = %s", p, got)
			}
		}
		// Every secondary name leads back to the same entry.
		if got, ok := tab.LookupV1(info.WSName); !ok || got != info {
			t.Errorf("%s: LookupV1(%q) = %v, %v", p, info.WSName, got, ok)
		}
		if got, ok := tab.LookupREST(info.AltName); !ok || got != info {
			t.Errorf("%s: LookupREST(%q) = %v, %v", p, info.AltName, got, ok)
		}
		if info.ID != "" {
			if got, ok := tab.LookupREST(info.ID); !ok || got != info {
				t.Errorf("%s: LookupREST(%q) = %v, %v", p, info.ID, got, ok)
			}
		}
	}

	for _, c := range []struct{ name, want string }{
		{"XBT/USD", "BTC/USD"}, {"XDG/EUR", "DOGE/EUR"}, {"ETH/XBT", "ETH/BTC"}, {"XBT/USDT", "BTC/USDT"},
	} {
		if got, ok := tab.LookupV1(c.name); !ok || got.Pair != feed.Pair(c.want) {
			t.Errorf("LookupV1(%s) = %v, %v; want %s", c.name, got, ok, c.want)
		}
	}
	for _, c := range []struct{ name, want string }{
		{"XXBTZUSD", "BTC/USD"}, {"XBTUSD", "BTC/USD"}, {"XETHXXBT", "ETH/BTC"}, {"USDTZUSD", "USDT/USD"},
		{"ZEURZUSD", "EUR/USD"}, {"XDGUSD", "DOGE/USD"}, {"XBTUSDT", "BTC/USDT"}, {"SOLUSD", "SOL/USD"},
	} {
		if got, ok := tab.LookupREST(c.name); !ok || got.Pair != feed.Pair(c.want) {
			t.Errorf("LookupREST(%s) = %v, %v; want %s", c.name, got, ok, c.want)
		}
	}
	for _, miss := range []string{"BTC/JPY", "XBT/USD", "btc/usd", ""} {
		if _, ok := tab.Lookup(feed.Pair(miss)); ok {
			t.Errorf("Lookup(%q) found a pair", miss)
		}
	}
	if _, ok := tab.LookupV1("BTC/USD"); ok {
		t.Error("LookupV1 accepted the v2 name BTC/USD")
	}

	// Spot values as the 2024-03 snapshot gives them.
	btc, _ := tab.Lookup("BTC/USD")
	if btc.ID != "XXBTZUSD" || btc.AltName != "XBTUSD" || btc.PriceDecimals != 1 || btc.LotDecimals != 8 ||
		btc.CostDecimals != 5 || !btc.OrderMin.Equal(pdec("0.0001")) || !btc.CostMin.Equal(pdec("0.5")) {
		t.Errorf("BTC/USD = %+v", *btc)
	}
	if got := btc.Fee(false, decimal.Zero); !got.Equal(pdec("0.40")) {
		t.Errorf("BTC/USD entry taker fee %s", got)
	}
	if got := btc.Fee(true, pdec("125000")); !got.Equal(pdec("0.12")) {
		t.Errorf("BTC/USD maker fee at $125k %s", got)
	}
	pepe, _ := tab.Lookup("PEPE/EUR")
	if pepe.PriceDecimals != 9 || pepe.LotDecimals != 5 || !pepe.OrderMin.Equal(pdec("3000000")) || !pepe.CostMin.Equal(pdec("0.45")) {
		t.Errorf("PEPE/EUR = %+v", *pepe)
	}
}

func TestDefaultPairsAreIndependent(t *testing.T) {
	a, b := DefaultPairs(), DefaultPairs()
	ia, _ := a.Lookup("BTC/USD")
	ia.Taker[0].Percent = pdec("9")
	ia.OrderMin = pdec("1")
	ib, _ := b.Lookup("BTC/USD")
	if !ib.Taker[0].Percent.Equal(pdec("0.40")) || !ib.OrderMin.Equal(pdec("0.0001")) {
		t.Errorf("changing one DefaultPairs table changed another: %+v", *ib)
	}
	// Pairs within one table do not share fee slices either.
	eth, _ := a.Lookup("ETH/USD")
	if !eth.Taker[0].Percent.Equal(pdec("0.40")) {
		t.Errorf("ETH/USD shares BTC/USD's fee schedule: %s", pairsTiers(eth.Taker))
	}
}

func TestPairsAll(t *testing.T) {
	tab := NewPairs()
	for _, p := range []feed.Pair{"ETH/USD", "ADA/EUR", "BTC/USD"} {
		if err := tab.Add(feed.PairInfo{Pair: p, Taker: []feed.FeeTier{{Volume: pdec("0"), Percent: pdec("0.4")}}}); err != nil {
			t.Fatal(err)
		}
	}
	all := tab.All()
	var names []string
	for _, p := range all {
		names = append(names, string(p.Pair))
	}
	if got, want := strings.Join(names, ","), "ADA/EUR,BTC/USD,ETH/USD"; got != want {
		t.Errorf("All() order = %s, want %s", got, want)
	}
	all[0].Taker[0].Percent = pdec("7")
	if info, _ := tab.Lookup("ADA/EUR"); !info.Taker[0].Percent.Equal(pdec("0.4")) {
		t.Error("All() shares fee slices with the table")
	}

	d := DefaultPairs().All()
	if !slices.IsSortedFunc(d, func(a, b feed.PairInfo) int { return strings.Compare(string(a.Pair), string(b.Pair)) }) {
		t.Error("DefaultPairs().All() is not sorted by v2 name")
	}
}

func TestPairsAdd(t *testing.T) {
	tab := NewPairs()
	if err := tab.Add(feed.PairInfo{Pair: "XBTUSD"}); err == nil {
		t.Error("Add accepted a pair name without /")
	}
	if err := tab.Add(feed.PairInfo{Pair: "DOGE/USD", LotDecimals: 8}); err != nil {
		t.Fatal(err)
	}
	info, ok := tab.LookupV1("XDG/USD")
	if !ok || info.Pair != "DOGE/USD" || info.AltName != "XDGUSD" || info.Base != "DOGE" || info.Quote != "USD" ||
		!info.LotStep.Equal(pdec("0.00000001")) {
		t.Fatalf("derived fields: %+v, %v", info, ok)
	}
	if _, ok := tab.LookupREST("XDGUSD"); !ok {
		t.Error("LookupREST(derived altname) failed")
	}
	// Replacing an entry drops its old secondary names.
	if err := tab.Add(feed.PairInfo{Pair: "DOGE/USD", WSName: "DOGE/USD", AltName: "DOGEUSD", ID: "XDOGEZUSD"}); err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 1 {
		t.Errorf("Len() = %d after replacing, want 1", tab.Len())
	}
	for _, old := range []string{"XDG/USD"} {
		if _, ok := tab.LookupV1(old); ok {
			t.Errorf("old v1 name %s still found", old)
		}
	}
	if _, ok := tab.LookupREST("XDGUSD"); ok {
		t.Error("old altname still found")
	}
	for _, n := range []string{"DOGEUSD", "XDOGEZUSD"} {
		if _, ok := tab.LookupREST(n); !ok {
			t.Errorf("LookupREST(%s) failed", n)
		}
	}
}

func TestParseAssetPairs2025(t *testing.T) {
	f, err := os.Open("testdata/pairs/assetpairs-2025.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := ParseAssetPairs(f)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 4 {
		t.Errorf("Len() = %d, want 4", tab.Len())
	}
	tests := []struct {
		key                           string
		pair, ws, alt                 string
		priceDec, lotDec, costDec     int32
		tick, lotStep, ordermin, cmin string
		status                        feed.PairStatus
		taker, maker                  string
	}{
		{"XXBTZUSD", "BTC/USD", "XBT/USD", "XBTUSD", 1, 8, 5, "0.1", "0.00000001", "0.0001", "0.5", feed.PairOnline, pairsCryptoTaker, pairsCryptoMaker},
		{"XDGEUR", "DOGE/EUR", "XDG/EUR", "XDGEUR", 7, 8, 9, "0.0000001", "0.00000001", "60", "0.45", feed.PairPostOnly, pairsCryptoTaker, pairsCryptoMaker},
		{"USDTZUSD", "USDT/USD", "USDT/USD", "USDTUSD", 5, 8, 8, "0.00001", "0.00000001", "10", "0.5", feed.PairOnline, pairsStable, pairsStable},
		{"XETHXXBT", "ETH/BTC", "ETH/XBT", "ETHXBT", 5, 8, 10, "0.00001", "0.00000001", "0.002", "0.00002", feed.PairOnline, "0:0.4 10000:0.35", "0:0.25 10000:0.2"},
	}
	for _, tt := range tests {
		info, ok := tab.LookupREST(tt.key)
		if !ok {
			t.Errorf("LookupREST(%s): missing", tt.key)
			continue
		}
		if byName, _ := tab.Lookup(feed.Pair(tt.pair)); byName != info {
			t.Errorf("%s: Lookup(%s) gives a different entry", tt.key, tt.pair)
		}
		if byV1, _ := tab.LookupV1(tt.ws); byV1 != info {
			t.Errorf("%s: LookupV1(%s) gives a different entry", tt.key, tt.ws)
		}
		got := []string{string(info.Pair), info.WSName, info.AltName, info.ID, info.Base + "/" + info.Quote}
		want := []string{tt.pair, tt.ws, tt.alt, tt.key, tt.pair}
		if !slices.Equal(got, want) {
			t.Errorf("%s names = %q, want %q", tt.key, got, want)
		}
		if info.PriceDecimals != tt.priceDec || info.LotDecimals != tt.lotDec || info.CostDecimals != tt.costDec {
			t.Errorf("%s decimals = %d/%d/%d, want %d/%d/%d", tt.key, info.PriceDecimals, info.LotDecimals, info.CostDecimals, tt.priceDec, tt.lotDec, tt.costDec)
		}
		gotNums := []string{info.Tick.String(), info.LotStep.String(), info.OrderMin.String(), info.CostMin.String()}
		wantNums := []string{tt.tick, tt.lotStep, tt.ordermin, tt.cmin}
		if !slices.Equal(gotNums, wantNums) {
			t.Errorf("%s tick/lot step/ordermin/costmin = %q, want %q", tt.key, gotNums, wantNums)
		}
		if info.Status != tt.status {
			t.Errorf("%s status = %q, want %q", tt.key, info.Status, tt.status)
		}
		if got := pairsTiers(info.Taker); got != tt.taker {
			t.Errorf("%s taker = %s, want %s", tt.key, got, tt.taker)
		}
		if got := pairsTiers(info.Maker); got != tt.maker {
			t.Errorf("%s maker = %s, want %s", tt.key, got, tt.maker)
		}
		if info.FeeVolumeCurrency != "USD" {
			t.Errorf("%s fee volume currency = %q, want USD", tt.key, info.FeeVolumeCurrency)
		}
	}
	// The last maker tier is written 0.0 on the wire: parsed exactly, with its exponent.
	btc, _ := tab.Lookup("BTC/USD")
	if last := btc.Maker[len(btc.Maker)-1].Percent; last.Exponent() != -1 || !last.IsZero() {
		t.Errorf("maker 0.0 parsed as %s (exponent %d)", last, last.Exponent())
	}
}

func TestParseAssetPairs2021(t *testing.T) {
	f, err := os.Open("testdata/pairs/assetpairs-2021.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := ParseAssetPairs(f)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range tab.All() {
		names = append(names, string(p.Pair))
	}
	if got, want := strings.Join(names, ","), "BTC/EUR,DOGE/USD,EUR/USD"; got != want {
		t.Errorf("pairs = %s, want %s (the .d pair without wsname skipped)", got, want)
	}
	btc, _ := tab.Lookup("BTC/EUR")
	if btc.CostDecimals != 0 || !btc.CostMin.IsZero() || btc.Status != feed.PairOnline || !btc.Tick.Equal(pdec("0.1")) ||
		!btc.OrderMin.Equal(pdec("0.0002")) || btc.Fee(false, decimal.Zero).String() != "0.26" || btc.Fee(true, pdec("50000")).String() != "0.14" {
		t.Errorf("BTC/EUR (2021) = %+v", *btc)
	}

	// Merged over the built-in table, the 2021 response replaces what it has (fees, ordermin,
	// precisions) and keeps what it lacks (cost decimals, costmin) from the defaults.
	merged := DefaultPairs()
	merged.Merge(tab)
	m, _ := merged.Lookup("BTC/EUR")
	if m.CostDecimals != 5 || !m.CostMin.Equal(pdec("0.45")) || !m.OrderMin.Equal(pdec("0.0002")) ||
		pairsTiers(m.Taker) != "0:0.26 50000:0.24 100000:0.22 250000:0.2 500000:0.18 1000000:0.16 2500000:0.14 5000000:0.12 10000000:0.1" {
		t.Errorf("merged BTC/EUR = %+v", *m)
	}
	if m.Status != feed.PairOnline {
		t.Errorf("merged status %q", m.Status)
	}
	if merged.Len() != DefaultPairs().Len() {
		t.Errorf("merge added pairs: %d", merged.Len())
	}
}

func TestParseAssetPairsErrors(t *testing.T) {
	const okPair = `"altname":"XBTUSD","wsname":"XBT/USD","pair_decimals":1,"lot_decimals":8`
	tests := []struct {
		name, in, want string
	}{
		{"kraken error", `{"error":["EQuery:Unknown asset pair"]}`, "EQuery:Unknown asset pair"},
		{"two kraken errors", `{"error":["EGeneral:Invalid arguments","EAPI:Rate limit exceeded"],"result":{}}`, "EGeneral:Invalid arguments; EAPI:Rate limit exceeded"},
		{"not json", `<html>`, "AssetPairs response"},
		{"empty", ``, "AssetPairs response"},
		{"no result", `{"error":[]}`, "no result"},
		{"fee row of three", `{"error":[],"result":{"X":{` + okPair + `,"fees":[[0,0.26,1]]}}}`, "fees[0]: want [volume, percent]"},
		{"fees not ascending", `{"error":[],"result":{"X":{` + okPair + `,"fees_maker":[[0,0.26],[0,0.2]]}}}`, "fees_maker[1]: volume 0 does not ascend"},
		{"fee text", `{"error":[],"result":{"X":{` + okPair + `,"fees":[[0,"abc"]]}}}`, "X"},
		{"negative ordermin", `{"error":[],"result":{"X":{` + okPair + `,"ordermin":"-1"}}}`, "ordermin -1 is negative"},
		{"junk costmin", `{"error":[],"result":{"X":{` + okPair + `,"costmin":"lots"}}}`, "X"},
		{"zero tick", `{"error":[],"result":{"X":{` + okPair + `,"tick_size":"0"}}}`, "tick_size is zero"},
		{"no pair_decimals", `{"error":[],"result":{"X":{"wsname":"XBT/USD","lot_decimals":8}}}`, "pair_decimals or lot_decimals missing"},
		{"huge decimals", `{"error":[],"result":{"X":{"wsname":"XBT/USD","pair_decimals":40,"lot_decimals":8}}}`, "pair_decimals 40 out of range"},
		{"fractional decimals", `{"error":[],"result":{"X":{"wsname":"XBT/USD","pair_decimals":1.5,"lot_decimals":8}}}`, "X"},
		{"bad wsname", `{"error":[],"result":{"X":{"wsname":"XBTUSD","pair_decimals":1,"lot_decimals":8}}}`, "wsname"},
		{"huge exponent", `{"error":[],"result":{"X":{` + okPair + `,"fees":[[1e-9999,0.1],[1e9999,0.2]]}}}`, "out of range"},
		{"too many digits", `{"error":[],"result":{"X":{` + okPair + `,"ordermin":"1` + strings.Repeat("0", 100) + `"}}}`, "out of range"},
		{"result not object", `{"error":[],"result":{"X":[1,2]}}`, "AssetPairs X"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := ParseAssetPairs(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ParseAssetPairs = %d pairs, nil error; want error containing %q", tab.Len(), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestParseAssetPairsExactNumbers(t *testing.T) {
	// Numbers float64 cannot hold survive untouched, in JSON numbers and strings alike.
	in := `{"error":[],"result":{"X":{"wsname":"XBT/USD","pair_decimals":1,"lot_decimals":8,
		"ordermin":"0.10000000000000000001","costmin":12345678901234567.891,
		"fees":[[0,0.1000000000000000055511151231257827],[1e2,0.3E-1]]}}}`
	tab, err := ParseAssetPairs(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := tab.Lookup("BTC/USD")
	got := []string{info.OrderMin.String(), info.CostMin.String(), pairsTiers(info.Taker)}
	want := []string{"0.10000000000000000001", "12345678901234567.891", "0:0.1000000000000000055511151231257827 100:0.03"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if info.Maker != nil {
		t.Errorf("maker schedule %v from a response without fees_maker", info.Maker)
	}
}

func TestParseAssetPairsNautilus2025(t *testing.T) {
	f, err := os.Open(pairsSharedFixture(t, "nautilus_trader/http_asset_pairs.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := ParseAssetPairs(f)
	if err != nil {
		t.Fatal(err)
	}
	info, ok := tab.LookupREST("XBTUSDT")
	if !ok || info.Pair != "BTC/USDT" || info.WSName != "XBT/USDT" {
		t.Fatalf("XBTUSDT: %+v, %v", info, ok)
	}
	if info.PriceDecimals != 1 || info.LotDecimals != 8 || info.CostDecimals != 5 || info.Tick.String() != "0.1" ||
		info.OrderMin.String() != "0.00005" || info.CostMin.String() != "0.5" || info.Status != feed.PairOnline {
		t.Errorf("XBTUSDT = %+v", *info)
	}
	// The built-in crypto schedule is the one this capture carries.
	if got := pairsTiers(info.Taker); got != pairsCryptoTaker {
		t.Errorf("taker = %s", got)
	}
	if got := pairsTiers(info.Maker); got != pairsCryptoMaker {
		t.Errorf("maker = %s", got)
	}
	def, _ := DefaultPairs().Lookup("BTC/USDT")
	for i := range def.Taker {
		if !def.Taker[i].Volume.Equal(info.Taker[i].Volume) || !def.Taker[i].Percent.Equal(info.Taker[i].Percent) ||
			!def.Maker[i].Percent.Equal(info.Maker[i].Percent) {
			t.Errorf("tier %d: built-in %v/%v, captured %v/%v", i, def.Taker[i], def.Maker[i], info.Taker[i], info.Maker[i])
		}
	}
}

func TestParseAssetPairsCryptofeed2021(t *testing.T) {
	b, err := os.ReadFile(pairsSharedFixture(t, "cryptofeed/KRAKEN.0"))
	if err != nil {
		t.Fatal(err)
	}
	// The recorder prefixes the response with "<url> -> <time>: " and appends a config line.
	line, _, _ := bytes.Cut(b, []byte("\n"))
	i := bytes.IndexByte(line, '{')
	if i < 0 {
		t.Fatal("no JSON in KRAKEN.0")
	}
	tab, err := ParseAssetPairs(bytes.NewReader(line[i:]))
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 304-11 {
		t.Errorf("Len() = %d, want 293 (304 pairs less 11 dark-pool pairs without wsname)", tab.Len())
	}
	for _, p := range tab.All() {
		if strings.Contains(string(p.Pair), "XBT") || strings.Contains(string(p.Pair), "XDG") {
			t.Errorf("%s (wsname %s): v1 asset code left in v2 name", p.Pair, p.WSName)
		}
		if p.ID == "" || p.AltName == "" || len(p.Taker) == 0 || len(p.Maker) == 0 {
			t.Errorf("%s: incomplete %+v", p.Pair, p)
		}
	}
	for _, c := range []struct{ key, pair, taker0 string }{
		{"XXBTZUSD", "BTC/USD", "0.26"}, {"XDGUSD", "DOGE/USD", "0.26"}, {"XETHXXBT", "ETH/BTC", "0.26"}, {"ZEURZUSD", "EUR/USD", "0.2"},
	} {
		info, ok := tab.LookupREST(c.key)
		if !ok || info.Pair != feed.Pair(c.pair) || info.Taker[0].Percent.String() != c.taker0 {
			t.Errorf("LookupREST(%s) = %+v, %v; want %s with entry taker %s", c.key, info, ok, c.pair, c.taker0)
		}
	}
	// The 2021 v1 names of the built-in pairs that existed then match the built-in table.
	def := DefaultPairs()
	for _, p := range def.All() {
		old, ok := tab.Lookup(p.Pair)
		if !ok {
			continue
		}
		if old.WSName != p.WSName || old.AltName != p.AltName || old.ID != p.ID {
			t.Errorf("%s: 2021 names %s %s %s, built-in %s %s %s", p.Pair, old.WSName, old.AltName, old.ID, p.WSName, p.AltName, p.ID)
		}
	}
}

// TestDefaultPairsMatchInstrumentSnapshot cross-checks the built-in table against the 2024-03
// v2 instrument snapshot it was taken from (read from ../shared: its licence forbids copying).
func TestDefaultPairsMatchInstrumentSnapshot(t *testing.T) {
	f, err := os.Open(pairsSharedFixture(t, "kraken-data-recorder/instrument_snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := json.NewDecoder(f)
	d.UseNumber()
	var snap struct {
		Data struct {
			Pairs []struct {
				Symbol         string      `json:"symbol"`
				Base           string      `json:"base"`
				Quote          string      `json:"quote"`
				Status         string      `json:"status"`
				PricePrecision int32       `json:"price_precision"`
				QtyPrecision   int32       `json:"qty_precision"`
				CostPrecision  int32       `json:"cost_precision"`
				PriceIncrement json.Number `json:"price_increment"`
				QtyIncrement   json.Number `json:"qty_increment"`
				QtyMin         json.Number `json:"qty_min"`
				CostMin        json.Number `json:"cost_min"`
			} `json:"pairs"`
		} `json:"data"`
	}
	if err := d.Decode(&snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Data.Pairs) != 683 {
		t.Fatalf("snapshot has %d pairs, want 683", len(snap.Data.Pairs))
	}
	in := &feed.Instrument{Snapshot: true}
	for _, p := range snap.Data.Pairs {
		in.Pairs = append(in.Pairs, feed.PairInfo{
			Pair: feed.Pair(p.Symbol), Base: p.Base, Quote: p.Quote, Status: feed.PairStatus(p.Status),
			PriceDecimals: p.PricePrecision, LotDecimals: p.QtyPrecision, CostDecimals: p.CostPrecision,
			Tick: pdec(string(p.PriceIncrement)), LotStep: pdec(string(p.QtyIncrement)),
			OrderMin: pdec(string(p.QtyMin)), CostMin: pdec(string(p.CostMin)),
		})
	}
	snapTab, err := PairsFromInstrument(in)
	if err != nil {
		t.Fatal(err)
	}
	if snapTab.Len() != 683 {
		t.Errorf("PairsFromInstrument kept %d pairs, want 683", snapTab.Len())
	}
	// Rows refreshed from a newer capture than the 2024-03 snapshot (see DefaultPairs).
	newerOrderMin := map[feed.Pair]bool{"BTC/USDT": true}
	for _, p := range DefaultPairs().All() {
		s, ok := snapTab.Lookup(p.Pair)
		if !ok {
			t.Errorf("%s: not in the instrument snapshot", p.Pair)
			continue
		}
		if p.Base != s.Base || p.Quote != s.Quote || p.Status != s.Status ||
			p.PriceDecimals != s.PriceDecimals || p.LotDecimals != s.LotDecimals || p.CostDecimals != s.CostDecimals ||
			!p.Tick.Equal(s.Tick) || !p.LotStep.Equal(s.LotStep) || (!p.OrderMin.Equal(s.OrderMin) && !newerOrderMin[p.Pair]) || !p.CostMin.Equal(s.CostMin) {
			t.Errorf("%s differs:\n built-in %+v\n snapshot %+v", p.Pair, p, *s)
		}
		// The v1 name derived from the v2 name is the built-in one (BTC→XBT, DOGE→XDG).
		if s.WSName != p.WSName {
			t.Errorf("%s: derived v1 name %s, built-in %s", p.Pair, s.WSName, p.WSName)
		}
	}

	// Merging the snapshot over the defaults changes no built-in value (they are the same
	// facts), keeps the fees and REST names, and adds the other pairs.
	merged := DefaultPairs()
	if err := merged.MergeInstrument(in); err != nil {
		t.Fatal(err)
	}
	if merged.Len() != 683 {
		t.Errorf("merged Len() = %d, want 683", merged.Len())
	}
	for _, p := range DefaultPairs().All() {
		m, _ := merged.Lookup(p.Pair)
		if m.ID != p.ID || m.AltName != p.AltName || pairsTiers(m.Taker) != pairsTiers(p.Taker) || pairsTiers(m.Maker) != pairsTiers(p.Maker) || m.FeeVolumeCurrency != "USD" {
			t.Errorf("%s: merge lost REST data: %+v", p.Pair, *m)
		}
	}
	if yfi, _ := merged.Lookup("YFI/USD"); yfi.PriceDecimals != 0 || yfi.WSName != "YFI/USD" {
		t.Errorf("YFI/USD = %+v", *yfi)
	}
}

func TestPairsMerge(t *testing.T) {
	base := NewPairs()
	if err := base.Add(feed.PairInfo{
		Pair: "YFI/USD", WSName: "YFI/USD", AltName: "YFIUSD", ID: "YFIUSD",
		PriceDecimals: 2, LotDecimals: 8, CostDecimals: 5, Tick: pdec("0.01"),
		OrderMin: pdec("0.001"), CostMin: pdec("0.5"), Status: feed.PairOnline,
		Taker: []feed.FeeTier{{Volume: pdec("0"), Percent: pdec("0.40")}}, FeeVolumeCurrency: "USD",
	}); err != nil {
		t.Fatal(err)
	}

	// The instrument channel says price_precision 0 (as for YFI/USD in 2024-03) and a new
	// status; it has no names, no fees, and here no cost_min.
	up := &feed.Instrument{Pairs: []feed.PairInfo{
		{Pair: "YFI/USD", Base: "YFI", Quote: "USD", PriceDecimals: 0, LotDecimals: 8, CostDecimals: 5, Tick: pdec("1"), OrderMin: pdec("0.001"), Status: feed.PairLimitOnly},
		{Pair: "DOGE/EUR", Base: "DOGE", Quote: "EUR", PriceDecimals: 7, LotDecimals: 8, CostDecimals: 9, Tick: pdec("0.0000001"), Status: feed.PairOnline},
	}}
	if err := base.MergeInstrument(up); err != nil {
		t.Fatal(err)
	}
	yfi, _ := base.Lookup("YFI/USD")
	if yfi.PriceDecimals != 0 || !yfi.Tick.Equal(pdec("1")) || yfi.Status != feed.PairLimitOnly {
		t.Errorf("instrument values not taken: %+v", *yfi)
	}
	if yfi.ID != "YFIUSD" || !yfi.CostMin.Equal(pdec("0.5")) || len(yfi.Taker) != 1 || yfi.FeeVolumeCurrency != "USD" {
		t.Errorf("fields the instrument lacks were erased: %+v", *yfi)
	}
	doge, ok := base.LookupV1("XDG/EUR")
	if !ok || doge.Pair != "DOGE/EUR" || doge.AltName != "XDGEUR" || !doge.LotStep.Equal(pdec("0.00000001")) {
		t.Errorf("new pair from instrument: %+v, %v", doge, ok)
	}

	// A REST source with real names beats a derived v1 name; the derived one no longer resolves.
	rest := NewPairs()
	if err := rest.Add(feed.PairInfo{Pair: "DOGE/EUR", WSName: "XDG/EUR", AltName: "XDGEUR", ID: "XXDGZEUR", PriceDecimals: 7, LotDecimals: 6}); err != nil {
		t.Fatal(err)
	}
	base.Merge(rest)
	if got, ok := base.LookupREST("XXDGZEUR"); !ok || got.Pair != "DOGE/EUR" {
		t.Errorf("LookupREST(XXDGZEUR) = %v, %v", got, ok)
	}
	if got, _ := base.Lookup("DOGE/EUR"); got.LotDecimals != 6 || !got.LotStep.Equal(pdec("0.000001")) {
		t.Errorf("a derived lot step did not follow lot_decimals: %+v", *got)
	}

	// A later instrument update cannot replace the REST v1 name with a derived one.
	base.Merge(rest)
	renamed := NewPairs()
	if err := renamed.Add(feed.PairInfo{Pair: "DOGE/EUR", WSName: "DOGE/EUR", AltName: "DOGEEUR", PriceDecimals: 7, LotDecimals: 6}); err != nil {
		t.Fatal(err)
	}
	base.Merge(renamed)
	if _, ok := base.LookupV1("XDG/EUR"); ok {
		t.Error("old v1 name still resolves after a source renamed the pair")
	}
	if got, ok := base.LookupV1("DOGE/EUR"); !ok || got.Pair != "DOGE/EUR" {
		t.Errorf("new v1 name: %v, %v", got, ok)
	}

	// The decoder fills WSName with a derived v1 name; it must not replace a REST one.
	odd := NewPairs()
	if err := odd.Add(feed.PairInfo{Pair: "LUNA/EUR", WSName: "LUNA2/EUR", AltName: "LUNA2EUR", ID: "XLUNAZEUR", LotDecimals: 8}); err != nil {
		t.Fatal(err)
	}
	if err := odd.MergeInstrument(&feed.Instrument{Pairs: []feed.PairInfo{
		{Pair: "LUNA/EUR", WSName: V2ToV1("LUNA/EUR"), AltName: "LUNAEUR", ID: "LUNAEUR", Base: "LUNA", Quote: "EUR", PriceDecimals: 12, LotDecimals: 8, Status: feed.PairOnline},
	}}); err != nil {
		t.Fatal(err)
	}
	if got, ok := odd.LookupV1("LUNA2/EUR"); !ok || got.AltName != "LUNA2EUR" || got.ID != "XLUNAZEUR" || got.PriceDecimals != 12 {
		t.Errorf("instrument merge replaced REST names: %+v, %v", got, ok)
	}
	if _, ok := odd.LookupV1("LUNA/EUR"); ok {
		t.Error("derived v1 name indexed over the REST one")
	}

	// Merge copies: changing the source afterwards does not reach the target.
	src, _ := rest.Lookup("DOGE/EUR")
	src.WSName = "CHANGED"
	if got, _ := base.Lookup("DOGE/EUR"); got.WSName == "CHANGED" {
		t.Error("Merge shares entries with its source")
	}
	if base.Len() != 2 {
		t.Errorf("Len() = %d, want 2", base.Len())
	}
}

// TestPairsMergeDecodedInstrument runs the documented v2 instrument snapshot through the
// decoder and merges it over the built-in table.
func TestPairsMergeDecodedInstrument(t *testing.T) {
	b, err := os.ReadFile("testdata/fixtures/docs/docs-v2-examples.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var frame json.RawMessage
	for line := range bytes.Lines(b) {
		var rec struct {
			Msg json.RawMessage `json:"msg"`
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(rec.Msg, []byte(`"channel":"instrument","type":"snapshot"`)) {
			frame = rec.Msg
			break
		}
	}
	if frame == nil {
		t.Fatal("no instrument snapshot in the docs examples")
	}
	evs, err := NewDecoder().DecodeV2(frame, time.Time{}, nil)
	if err != nil || len(evs) != 1 || evs[0].Kind != feed.KindInstrument {
		t.Fatalf("decode: %v, %+v", err, evs)
	}
	tab := DefaultPairs()
	n := tab.Len()
	if err := tab.MergeInstrument(evs[0].Instrument); err != nil {
		t.Fatal(err)
	}
	if tab.Len() != n+1 {
		t.Errorf("Len() = %d, want %d (MATIC/GBP added)", tab.Len(), n+1)
	}
	btc, _ := tab.Lookup("BTC/USD")
	if btc.ID != "XXBTZUSD" || pairsTiers(btc.Taker) != pairsCryptoTaker || btc.PriceDecimals != 1 || !btc.CostMin.Equal(pdec("0.5")) {
		t.Errorf("BTC/USD after merge: %+v", *btc)
	}
	gbp, ok := tab.LookupV1("MATIC/GBP")
	if !ok || gbp.Pair != "MATIC/GBP" || gbp.PriceDecimals != 4 || gbp.CostDecimals != 6 || gbp.LotStep.String() != "0.00000001" ||
		gbp.OrderMin.String() != "4" || gbp.CostMin.String() != "0.43" || gbp.Status != feed.PairOnline || len(gbp.Taker) != 0 {
		t.Errorf("MATIC/GBP: %+v, %v", gbp, ok)
	}
}

func TestPairsFromInstrumentErrors(t *testing.T) {
	if _, err := PairsFromInstrument(nil); err == nil {
		t.Error("nil instrument: no error")
	}
	_, err := PairsFromInstrument(&feed.Instrument{Pairs: []feed.PairInfo{{Pair: "BTC/USD"}, {Pair: "BTCUSD"}}})
	if err == nil || !strings.Contains(err.Error(), "instrument pair 1") {
		t.Errorf("bad pair name: error %v", err)
	}
}

func FuzzParseAssetPairs(f *testing.F) {
	for _, name := range []string{"testdata/pairs/assetpairs-2025.json", "testdata/pairs/assetpairs-2021.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"error":["EQuery:Unknown asset pair"]}`))
	f.Add([]byte(`{"error":[],"result":{"X":{"wsname":"A/B","pair_decimals":0,"lot_decimals":18,"fees":[[1e3,5E-1]]}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := ParseAssetPairs(bytes.NewReader(b))
		if err != nil {
			return
		}
		all := tab.All()
		if len(all) != tab.Len() {
			t.Fatalf("All() has %d pairs, Len() %d", len(all), tab.Len())
		}
		for _, p := range all {
			if _, err := feed.ParsePair(string(p.Pair)); err != nil {
				t.Fatalf("invalid pair name in table: %v", err)
			}
			if got, ok := tab.Lookup(p.Pair); !ok || got.Pair != p.Pair {
				t.Fatalf("Lookup(%s) = %v, %v", p.Pair, got, ok)
			}
			for i := 1; i < len(p.Taker); i++ {
				if p.Taker[i].Volume.Cmp(p.Taker[i-1].Volume) <= 0 {
					t.Fatalf("%s: taker tiers not ascending", p.Pair)
				}
			}
			if p.Tick.Sign() <= 0 || p.PriceDecimals < 0 || p.PriceDecimals > feed.MaxScale {
				t.Fatalf("%s: tick %s decimals %d", p.Pair, p.Tick, p.PriceDecimals)
			}
		}
	})
}
