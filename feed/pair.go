package feed

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Pair is a trading pair in Kraken's v2 spelling, "BASE/QUOTE" (BTC/USD, DOGE/EUR). It is the
// only spelling used inside papertrade; v1 names (XBT/USD) are mapped at the edge.
type Pair string

// ParsePair checks that s has the BASE/QUOTE form and returns it as a Pair. It does not
// check that the pair exists; a pair table does that.
func ParsePair(s string) (Pair, error) {
	i := strings.IndexByte(s, '/')
	if i <= 0 || i == len(s)-1 || strings.IndexByte(s[i+1:], '/') >= 0 || strings.ContainsAny(s, " \t\r\n") {
		return "", fmt.Errorf("feed: pair %q is not of the form BASE/QUOTE", s)
	}
	return Pair(s), nil
}

// Base returns the base asset ("BTC" for BTC/USD).
func (p Pair) Base() string {
	if i := strings.IndexByte(string(p), '/'); i >= 0 {
		return string(p[:i])
	}
	return string(p)
}

// Quote returns the quote asset ("USD" for BTC/USD).
func (p Pair) Quote() string {
	if i := strings.IndexByte(string(p), '/'); i >= 0 {
		return string(p[i+1:])
	}
	return ""
}

// String returns the pair's v2 name.
func (p Pair) String() string { return string(p) }

// PairStatus is a pair's trading status on the exchange. Only PairOnline allows matching.
type PairStatus string

const (
	PairOnline      PairStatus = "online"
	PairCancelOnly  PairStatus = "cancel_only"
	PairPostOnly    PairStatus = "post_only"
	PairLimitOnly   PairStatus = "limit_only"
	PairReduceOnly  PairStatus = "reduce_only"
	PairMaintenance PairStatus = "maintenance"
	PairDelisted    PairStatus = "delisted"
	PairWIP         PairStatus = "work_in_progress"
)

// FeeTier is one step of a maker or taker fee schedule: from Volume (30-day volume in the
// pair's fee volume currency) upwards, the fee is Percent of the cost (0.40 means 0.40%).
type FeeTier struct {
	Volume  decimal.Decimal
	Percent decimal.Decimal
}

// PairInfo is everything the simulator and strategies need to trade a pair like Kraken does:
// names on each API, precisions, minimums, status and fee schedules.
type PairInfo struct {
	Pair    Pair   // v2 name, canonical: BTC/USD
	WSName  string // v1 WebSocket name (REST wsname): XBT/USD
	AltName string // REST altname: XBTUSD
	ID      string // REST AssetPairs key: XXBTZUSD (may be empty)
	Base    string // v2 base asset: BTC
	Quote   string // v2 quote asset: USD

	PriceDecimals int32 // pair_decimals / price_precision
	LotDecimals   int32 // lot_decimals / qty_precision
	CostDecimals  int32 // cost_decimals / cost_precision

	Tick     decimal.Decimal // price increment (tick_size / price_increment)
	LotStep  decimal.Decimal // quantity increment (qty_increment; 10^-LotDecimals when not given)
	OrderMin decimal.Decimal // minimum order size in base (ordermin / qty_min)
	CostMin  decimal.Decimal // minimum order cost in quote (costmin / cost_min); zero when unknown

	Status PairStatus

	// Taker and Maker are Kraken's fee schedules, ascending by Volume. Stablecoin and FX
	// pairs have a flat schedule where maker = taker.
	Taker, Maker      []FeeTier
	FeeVolumeCurrency string

	// Margin (Kraken spot margin), from AssetPairs: the leverage levels an order may ask for
	// on each side (leverage_buy, leverage_sell; empty: no margin on that side), the margin
	// levels in percent at which Kraken calls (margin_call, 80 on most pairs) and liquidates
	// (margin_stop, 40), and the largest position in base per side (long_position_limit,
	// short_position_limit; zero: no limit known).
	LeverageBuy, LeverageSell             []int
	MarginCall, MarginStop                decimal.Decimal
	LongPositionLimit, ShortPositionLimit decimal.Decimal
}

// Marginable reports whether an order on side may use leverage lev (an entry of
// LeverageBuy for a buy, LeverageSell for a sell).
func (p *PairInfo) Marginable(side Side, lev int) bool {
	levels := p.LeverageSell
	if side == Buy {
		levels = p.LeverageBuy
	}
	for _, l := range levels {
		if l == lev {
			return true
		}
	}
	return false
}

// Fee returns the maker or taker fee percentage for a 30-day volume, picking the highest
// tier whose threshold the volume reaches. It returns zero when the schedule is empty.
func (p *PairInfo) Fee(maker bool, volume decimal.Decimal) decimal.Decimal {
	tiers := p.Taker
	if maker {
		tiers = p.Maker
	}
	pct := decimal.Zero
	for _, t := range tiers {
		if volume.Cmp(t.Volume) < 0 {
			break
		}
		pct = t.Percent
	}
	return pct
}
