package kraken

import (
	"fmt"
	"slices"
	"strings"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// Pairs is a table of pair metadata (feed.PairInfo) with lookups by every name Kraken uses for
// a pair: the v2 name (BTC/USD, canonical), the v1 WebSocket name (XBT/USD, REST wsname), the
// REST altname (XBTUSD) and the REST AssetPairs key (XXBTZUSD).
//
// A table is built from one or more sources — the built-in values (DefaultPairs), a REST
// AssetPairs response (ParseAssetPairs), the v2 instrument channel (PairsFromInstrument) — and
// combined with Merge, where the later source wins for every field it actually carries. The
// table remembers which fields each source carried, so that a source that lacks a field (the
// 2021 AssetPairs has no cost_decimals; the instrument channel has no fee schedule) never
// erases it, while a field that is legitimately zero (YFI/USD has price_precision 0) still
// overrides.
//
// The zero value is not usable; use NewPairs. A Pairs is safe for concurrent reads (Lookup*,
// All, Len) once no goroutine modifies it; Add, Merge and MergeInstrument need exclusive use.
type Pairs struct {
	entries []*pairEntry // insertion order; All sorts
	byPair  map[feed.Pair]*pairEntry
	byV1    map[string]*pairEntry
	byREST  map[string]*pairEntry // altname and AssetPairs key
}

// pairEntry is one pair and the set of its fields some source actually provided (as opposed
// to left zero or derived from another field).
type pairEntry struct {
	info  feed.PairInfo
	known pairFields
}

// pairFields is a bit set of feed.PairInfo fields. Pair is always known.
type pairFields uint32

const (
	pfWSName pairFields = 1 << iota
	pfAltName
	pfID
	pfBase
	pfQuote
	pfPriceDecimals
	pfLotDecimals
	pfCostDecimals
	pfTick
	pfLotStep
	pfOrderMin
	pfCostMin
	pfStatus
	pfTaker
	pfMaker
	pfFeeVolumeCurrency
	pfMargin // leverage_buy/sell, margin_call/stop, position limits (AssetPairs only)

	pfAll = pfMargin<<1 - 1
)

// NewPairs returns an empty table.
func NewPairs() *Pairs {
	return &Pairs{
		byPair: make(map[feed.Pair]*pairEntry),
		byV1:   make(map[string]*pairEntry),
		byREST: make(map[string]*pairEntry),
	}
}

// Len returns the number of pairs in the table.
func (t *Pairs) Len() int { return len(t.entries) }

// Lookup finds a pair by its v2 name (BTC/USD). The returned PairInfo belongs to the table:
// read it, do not modify it; it reflects later Merges.
func (t *Pairs) Lookup(p feed.Pair) (*feed.PairInfo, bool) {
	e, ok := t.byPair[p]
	if !ok {
		return nil, false
	}
	return &e.info, true
}

// LookupV1 finds a pair by its v1 WebSocket name (XBT/USD, XDG/EUR), as sent in v1 frames and
// REST wsname. For a pair whose v1 name no source gave, the name derived from the v2 name
// (BTC→XBT, DOGE→XDG) is used.
func (t *Pairs) LookupV1(wsname string) (*feed.PairInfo, bool) {
	e, ok := t.byV1[wsname]
	if !ok {
		return nil, false
	}
	return &e.info, true
}

// LookupREST finds a pair by its REST altname (XBTUSD) or its AssetPairs key (XXBTZUSD).
func (t *Pairs) LookupREST(name string) (*feed.PairInfo, bool) {
	e, ok := t.byREST[name]
	if !ok {
		return nil, false
	}
	return &e.info, true
}

// All returns a copy of every pair, sorted by v2 name. The copies (fee schedules included)
// are the caller's.
func (t *Pairs) All() []feed.PairInfo {
	out := make([]feed.PairInfo, len(t.entries))
	for i, e := range t.entries {
		out[i] = e.info
		out[i].Taker = slices.Clone(e.info.Taker)
		out[i].Maker = slices.Clone(e.info.Maker)
	}
	slices.SortFunc(out, func(a, b feed.PairInfo) int { return strings.Compare(string(a.Pair), string(b.Pair)) })
	return out
}

// Add puts info into the table, replacing any entry with the same v2 name. Every field of info
// counts as provided, except that an empty WSName, AltName, Base or Quote is derived from the
// v2 name and a zero LotStep from LotDecimals. It fails only when info.Pair is not BASE/QUOTE.
func (t *Pairs) Add(info feed.PairInfo) error {
	e, err := newPairEntry(info, pfAll)
	if err != nil {
		return err
	}
	t.put(e)
	return nil
}

// newPairEntry checks info.Pair and fills derivable empty fields. Fields in known that are
// filled by derivation are removed from the set: a derived value only fills gaps in a merge.
func newPairEntry(info feed.PairInfo, known pairFields) (*pairEntry, error) {
	if _, err := feed.ParsePair(string(info.Pair)); err != nil {
		return nil, fmt.Errorf("kraken: pair table: %w", err)
	}
	info.Taker = slices.Clone(info.Taker)
	info.Maker = slices.Clone(info.Maker)
	if info.Base == "" {
		info.Base = info.Pair.Base()
	}
	if info.Quote == "" {
		info.Quote = info.Pair.Quote()
	}
	if info.WSName == "" {
		info.WSName = V2ToV1(info.Pair)
		known &^= pfWSName
	}
	if info.AltName == "" {
		info.AltName = strings.ReplaceAll(info.WSName, "/", "")
		known &^= pfAltName
	}
	if info.ID == "" {
		known &^= pfID
	}
	if info.LotStep.IsZero() && known&pfLotDecimals != 0 {
		info.LotStep = decimal.New(1, -info.LotDecimals)
		known &^= pfLotStep
	}
	return &pairEntry{info: info, known: known}, nil
}

// Merge overlays o onto t: pairs new to t are added; for pairs in both, each field o's source
// provided replaces t's, and a field neither provided (a derived v1 name) is taken from o only
// when t has none. o is not modified and shares nothing with t afterwards. Pairs are merged in
// o's v2-name order so that name clashes resolve the same way on every run.
func (t *Pairs) Merge(o *Pairs) {
	src := slices.Clone(o.entries)
	slices.SortFunc(src, func(a, b *pairEntry) int { return strings.Compare(string(a.info.Pair), string(b.info.Pair)) })
	for _, oe := range src {
		e, ok := t.byPair[oe.info.Pair]
		if !ok {
			ne := &pairEntry{info: oe.info, known: oe.known}
			ne.info.Taker = slices.Clone(oe.info.Taker)
			ne.info.Maker = slices.Clone(oe.info.Maker)
			t.insert(ne)
			continue
		}
		t.unindex(e)
		e.overlay(oe)
		t.index(e)
	}
}

// MergeInstrument merges the pairs of a v2 instrument message (snapshot or update) into t;
// see PairsFromInstrument for what the channel provides.
func (t *Pairs) MergeInstrument(in *feed.Instrument) error {
	o, err := PairsFromInstrument(in)
	if err != nil {
		return err
	}
	t.Merge(o)
	return nil
}

// overlay applies o's fields to e following Merge's rule.
func (e *pairEntry) overlay(o *pairEntry) {
	take := func(bit pairFields, has bool, set func()) {
		switch {
		case o.known&bit != 0:
			set()
			e.known |= bit
		case e.known&bit == 0 && has:
			set()
		}
	}
	d, s := &e.info, &o.info
	take(pfWSName, s.WSName != "", func() { d.WSName = s.WSName })
	take(pfAltName, s.AltName != "", func() { d.AltName = s.AltName })
	take(pfID, s.ID != "", func() { d.ID = s.ID })
	take(pfBase, s.Base != "", func() { d.Base = s.Base })
	take(pfQuote, s.Quote != "", func() { d.Quote = s.Quote })
	take(pfPriceDecimals, false, func() { d.PriceDecimals = s.PriceDecimals })
	take(pfLotDecimals, false, func() { d.LotDecimals = s.LotDecimals })
	take(pfCostDecimals, false, func() { d.CostDecimals = s.CostDecimals })
	take(pfTick, !s.Tick.IsZero(), func() { d.Tick = s.Tick })
	take(pfLotStep, !s.LotStep.IsZero(), func() { d.LotStep = s.LotStep })
	take(pfOrderMin, !s.OrderMin.IsZero(), func() { d.OrderMin = s.OrderMin })
	take(pfCostMin, !s.CostMin.IsZero(), func() { d.CostMin = s.CostMin })
	take(pfStatus, s.Status != "", func() { d.Status = s.Status })
	take(pfTaker, len(s.Taker) > 0, func() { d.Taker = slices.Clone(s.Taker) })
	take(pfMaker, len(s.Maker) > 0, func() { d.Maker = slices.Clone(s.Maker) })
	take(pfFeeVolumeCurrency, s.FeeVolumeCurrency != "", func() { d.FeeVolumeCurrency = s.FeeVolumeCurrency })
	take(pfMargin, len(s.LeverageBuy)+len(s.LeverageSell) > 0 || !s.MarginStop.IsZero(), func() {
		d.LeverageBuy, d.LeverageSell = slices.Clone(s.LeverageBuy), slices.Clone(s.LeverageSell)
		d.MarginCall, d.MarginStop = s.MarginCall, s.MarginStop
		d.LongPositionLimit, d.ShortPositionLimit = s.LongPositionLimit, s.ShortPositionLimit
	})
	// A LotStep derived from the old lot_decimals must follow a new lot_decimals.
	if e.known&pfLotStep == 0 && o.known&pfLotDecimals != 0 {
		d.LotStep = decimal.New(1, -d.LotDecimals)
	}
}

// put adds e, or replaces the entry with the same v2 name (keeping its place).
func (t *Pairs) put(e *pairEntry) {
	if old, ok := t.byPair[e.info.Pair]; ok {
		t.unindex(old)
		*old = *e
		t.index(old)
		return
	}
	t.insert(e)
}

func (t *Pairs) insert(e *pairEntry) {
	t.entries = append(t.entries, e)
	t.byPair[e.info.Pair] = e
	t.index(e)
}

// index registers e's secondary names. A name already used by another pair is taken over:
// the later source wins.
func (t *Pairs) index(e *pairEntry) {
	if e.info.WSName != "" {
		t.byV1[e.info.WSName] = e
	}
	if e.info.AltName != "" {
		t.byREST[e.info.AltName] = e
	}
	if e.info.ID != "" {
		t.byREST[e.info.ID] = e
	}
}

// unindex removes e's secondary names, leaving names that now point to another pair alone.
func (t *Pairs) unindex(e *pairEntry) {
	if t.byV1[e.info.WSName] == e {
		delete(t.byV1, e.info.WSName)
	}
	if t.byREST[e.info.AltName] == e {
		delete(t.byREST, e.info.AltName)
	}
	if t.byREST[e.info.ID] == e {
		delete(t.byREST, e.info.ID)
	}
}
