package kraken

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// ParseAssetPairs reads a REST GET /0/public/AssetPairs response into a table. It accepts the
// current shape (with cost_decimals, costmin, tick_size, status) and older ones without them
// (2021); missing fields are left for a Merge with another source to fill, except that a
// missing tick_size is 10^-pair_decimals and a missing status is taken as online (older
// responses listed tradable pairs only).
//
// Every number, fee tiers included, is parsed from its JSON text, never through float64. A
// non-empty "error" array is returned as an error carrying Kraken's text. Pairs without a
// wsname (the old ".d" dark-pool pairs) are skipped: they cannot be traded on the WebSocket
// APIs. The v2 name is the wsname with XBT→BTC and XDG→DOGE per asset, whether or not v2
// lists the pair.
func ParseAssetPairs(r io.Reader) (*Pairs, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var resp struct {
		Error  []string                   `json:"error"`
		Result map[string]json.RawMessage `json:"result"`
	}
	if err := dec.Decode(&resp); err != nil {
		return nil, fmt.Errorf("kraken: AssetPairs response: %w", err)
	}
	if len(resp.Error) > 0 {
		return nil, fmt.Errorf("kraken: AssetPairs: %s", strings.Join(resp.Error, "; "))
	}
	if resp.Result == nil {
		return nil, errors.New("kraken: AssetPairs response has no result")
	}
	keys := make([]string, 0, len(resp.Result))
	for k := range resp.Result {
		keys = append(keys, k)
	}
	slices.Sort(keys) // duplicate names resolve the same way on every run
	t := NewPairs()
	for _, k := range keys {
		e, err := parseAssetPair(k, resp.Result[k])
		if err != nil {
			return nil, fmt.Errorf("kraken: AssetPairs %s: %w", k, err)
		}
		if e != nil {
			t.put(e)
		}
	}
	return t, nil
}

// assetPairJSON is one AssetPairs result entry. Pointers tell a missing field from a zero.
type assetPairJSON struct {
	AltName           string          `json:"altname"`
	WSName            string          `json:"wsname"`
	PairDecimals      *int32          `json:"pair_decimals"`
	LotDecimals       *int32          `json:"lot_decimals"`
	CostDecimals      *int32          `json:"cost_decimals"`
	TickSize          *json.Number    `json:"tick_size"`
	OrderMin          *json.Number    `json:"ordermin"`
	CostMin           *json.Number    `json:"costmin"`
	Status            string          `json:"status"`
	Fees              [][]json.Number `json:"fees"`
	FeesMaker         [][]json.Number `json:"fees_maker"`
	FeeVolumeCurrency string          `json:"fee_volume_currency"`
	// Spot margin: allowed leverage per side, margin call and stop levels (percent) and
	// position limits (base).
	LeverageBuy        []int        `json:"leverage_buy"`
	LeverageSell       []int        `json:"leverage_sell"`
	MarginCall         *json.Number `json:"margin_call"`
	MarginStop         *json.Number `json:"margin_stop"`
	LongPositionLimit  *json.Number `json:"long_position_limit"`
	ShortPositionLimit *json.Number `json:"short_position_limit"`
}

// parseAssetPair converts one entry; it returns nil, nil for a pair to skip.
func parseAssetPair(key string, raw json.RawMessage) (*pairEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var j assetPairJSON
	if err := dec.Decode(&j); err != nil {
		return nil, err
	}
	if j.WSName == "" {
		return nil, nil
	}
	if _, err := feed.ParsePair(j.WSName); err != nil {
		return nil, fmt.Errorf("wsname: %w", err)
	}
	pair := V1ToV2(j.WSName)
	var err error
	if j.PairDecimals == nil || j.LotDecimals == nil {
		return nil, errors.New("pair_decimals or lot_decimals missing")
	}
	info := feed.PairInfo{
		Pair:          pair,
		WSName:        j.WSName,
		AltName:       j.AltName,
		ID:            key,
		Base:          pair.Base(),
		Quote:         pair.Quote(),
		PriceDecimals: *j.PairDecimals,
		LotDecimals:   *j.LotDecimals,
		Status:        feed.PairStatus(j.Status),
	}
	known := pfWSName | pfAltName | pfID | pfBase | pfQuote | pfPriceDecimals | pfLotDecimals | pfTick | pfLotStep
	for _, d := range []struct {
		name string
		v    int32
	}{{"pair_decimals", info.PriceDecimals}, {"lot_decimals", info.LotDecimals}} {
		if d.v < 0 || d.v > feed.MaxScale {
			return nil, fmt.Errorf("%s %d out of range", d.name, d.v)
		}
	}
	if j.CostDecimals != nil {
		if *j.CostDecimals < 0 || *j.CostDecimals > feed.MaxScale {
			return nil, fmt.Errorf("cost_decimals %d out of range", *j.CostDecimals)
		}
		info.CostDecimals = *j.CostDecimals
		known |= pfCostDecimals
	}
	info.Tick = decimal.New(1, -info.PriceDecimals)
	if j.TickSize != nil {
		if info.Tick, err = pairsPositive("tick_size", *j.TickSize); err != nil {
			return nil, err
		}
	}
	info.LotStep = decimal.New(1, -info.LotDecimals)
	if j.OrderMin != nil {
		if info.OrderMin, err = pairsNonNegative("ordermin", *j.OrderMin); err != nil {
			return nil, err
		}
		known |= pfOrderMin
	}
	if j.CostMin != nil {
		if info.CostMin, err = pairsNonNegative("costmin", *j.CostMin); err != nil {
			return nil, err
		}
		known |= pfCostMin
	}
	if info.Status != "" {
		known |= pfStatus
	} else {
		info.Status = feed.PairOnline
	}
	if j.Fees != nil {
		if info.Taker, err = pairsFeeTiers("fees", j.Fees); err != nil {
			return nil, err
		}
		known |= pfTaker
	}
	if j.FeesMaker != nil {
		if info.Maker, err = pairsFeeTiers("fees_maker", j.FeesMaker); err != nil {
			return nil, err
		}
		known |= pfMaker
	}
	if j.FeeVolumeCurrency != "" {
		info.FeeVolumeCurrency = pairsRESTAsset(j.FeeVolumeCurrency)
		known |= pfFeeVolumeCurrency
	}
	if j.LeverageBuy != nil || j.LeverageSell != nil || j.MarginCall != nil || j.MarginStop != nil {
		info.LeverageBuy, info.LeverageSell = j.LeverageBuy, j.LeverageSell
		for _, f := range []struct {
			name string
			n    *json.Number
			dst  *decimal.Decimal
		}{{"margin_call", j.MarginCall, &info.MarginCall}, {"margin_stop", j.MarginStop, &info.MarginStop},
			{"long_position_limit", j.LongPositionLimit, &info.LongPositionLimit}, {"short_position_limit", j.ShortPositionLimit, &info.ShortPositionLimit}} {
			if f.n == nil {
				continue
			}
			if *f.dst, err = pairsNonNegative(f.name, *f.n); err != nil {
				return nil, err
			}
		}
		known |= pfMargin
	}
	return &pairEntry{info: info, known: known}, nil
}

// pairsFeeTiers parses [[volume, percent], ...] exactly and checks the volumes ascend, as
// feed.PairInfo.Fee requires.
func pairsFeeTiers(field string, rows [][]json.Number) ([]feed.FeeTier, error) {
	out := make([]feed.FeeTier, 0, len(rows))
	for i, r := range rows {
		if len(r) != 2 {
			return nil, fmt.Errorf("%s[%d]: want [volume, percent], got %d numbers", field, i, len(r))
		}
		v, err := pairsNonNegative(fmt.Sprintf("%s[%d] volume", field, i), r[0])
		if err != nil {
			return nil, err
		}
		p, err := pairsNonNegative(fmt.Sprintf("%s[%d] percent", field, i), r[1])
		if err != nil {
			return nil, err
		}
		if i > 0 && v.Cmp(out[i-1].Volume) <= 0 {
			return nil, fmt.Errorf("%s[%d]: volume %s does not ascend", field, i, v)
		}
		out = append(out, feed.FeeTier{Volume: v, Percent: p})
	}
	return out, nil
}

func pairsNonNegative(field string, n json.Number) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(string(n))
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%s %q: %w", field, n, err)
	}
	// Bounding the magnitude keeps later arithmetic cheap: decimal's Cmp of 1e-999999999
	// and 1e999999999 would build a billion-digit integer.
	if e := d.Exponent(); e < -pairsMaxExponent || e > pairsMaxExponent || d.Coefficient().BitLen() > 256 {
		return decimal.Decimal{}, fmt.Errorf("%s %.40q is out of range", field, n)
	}
	if d.IsNegative() {
		return decimal.Decimal{}, fmt.Errorf("%s %s is negative", field, n)
	}
	return d, nil
}

// pairsMaxExponent bounds the decimal exponent of AssetPairs numbers; real ones stay within
// ±12 (prices to 12 decimals, volumes to 10^7).
const pairsMaxExponent = 40

func pairsPositive(field string, n json.Number) (decimal.Decimal, error) {
	d, err := pairsNonNegative(field, n)
	if err == nil && d.IsZero() {
		err = fmt.Errorf("%s is zero", field)
	}
	return d, err
}

// pairsRESTAsset maps a REST asset id to its v2 code: the legacy X/Z-prefixed ids (XXBT,
// ZUSD, XXDG) lose their prefix and then XBT→BTC, XDG→DOGE; newer ids are already v2 codes.
func pairsRESTAsset(id string) string {
	switch id {
	case "ZUSD", "ZEUR", "ZGBP", "ZCAD", "ZJPY", "ZAUD",
		"XXBT", "XETH", "XLTC", "XXRP", "XXLM", "XETC", "XXMR", "XZEC", "XREP", "XMLN", "XXDG":
		id = id[1:]
	}
	return AssetV1ToV2(id)
}

// PairsFromInstrument builds a table from a v2 instrument message (snapshot or update). The
// channel provides the v2 name, base, quote, the three precisions, price and quantity
// increments, qty_min, cost_min and status; those fields (the decimal ones when non-zero)
// count as provided and override older sources in a Merge. The channel carries no v1 or REST
// names: whatever WSName/AltName/ID the PairInfos hold (the decoder derives WSName from the v2
// name, BTC→XBT, DOGE→XDG) only fills gaps, so a REST wsname is never replaced by a guess. A
// pair listed twice keeps its last entry.
func PairsFromInstrument(in *feed.Instrument) (*Pairs, error) {
	if in == nil {
		return nil, errors.New("kraken: nil instrument message")
	}
	t := NewPairs()
	for i := range in.Pairs {
		p := &in.Pairs[i]
		known := pfPriceDecimals | pfLotDecimals | pfCostDecimals
		for _, f := range []struct {
			bit pairFields
			set bool
		}{
			{pfBase, p.Base != ""}, {pfQuote, p.Quote != ""},
			{pfTick, !p.Tick.IsZero()}, {pfLotStep, !p.LotStep.IsZero()},
			{pfOrderMin, !p.OrderMin.IsZero()}, {pfCostMin, !p.CostMin.IsZero()},
			{pfStatus, p.Status != ""},
			{pfTaker, len(p.Taker) > 0}, {pfMaker, len(p.Maker) > 0},
			{pfFeeVolumeCurrency, p.FeeVolumeCurrency != ""},
		} {
			if f.set {
				known |= f.bit
			}
		}
		e, err := newPairEntry(*p, known)
		if err != nil {
			return nil, fmt.Errorf("kraken: instrument pair %d: %w", i, err)
		}
		t.put(e)
	}
	return t, nil
}

// LoadPairs reads a saved pair-metadata response — a REST AssetPairs response or a v2
// instrument message (snapshot or update, as the channel sends it) — and merges it over the
// built-in table (DefaultPairs): the saved values win for every pair they list, pairs new to
// the built-in table are added, and the built-in rows fill what the saved source lacks (v1
// and REST names, fee schedules for an instrument message). This is how `serve` and `live`
// take a current table (--pairs-file) instead of the built-in snapshot.
func LoadPairs(r io.Reader) (*Pairs, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 256<<20))
	if err != nil {
		return nil, err
	}
	var probe struct {
		Channel string          `json:"channel"`
		Result  json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("kraken: pair metadata: %w (want a REST AssetPairs response or a v2 instrument message)", err)
	}
	var saved *Pairs
	switch {
	case probe.Channel == "instrument":
		evs, err := NewDecoder().DecodeV2(raw, time.Time{}, nil)
		if err != nil {
			return nil, fmt.Errorf("kraken: instrument message: %w", err)
		}
		saved = NewPairs()
		for i := range evs {
			if evs[i].Instrument != nil {
				if err := saved.MergeInstrument(evs[i].Instrument); err != nil {
					return nil, err
				}
			}
		}
		if saved.Len() == 0 {
			return nil, errors.New("kraken: instrument message lists no pairs")
		}
	case probe.Result != nil:
		if saved, err = ParseAssetPairs(bytes.NewReader(raw)); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New(`kraken: pair metadata: neither a REST AssetPairs response ({"error":[],"result":{...}}) nor a v2 instrument message ({"channel":"instrument",...})`)
	}
	t := DefaultPairs()
	t.Merge(saved)
	return t, nil
}
