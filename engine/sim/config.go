package sim

import (
	"fmt"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// FillModel selects how resting limit orders fill from trades, and how hard takers are
// treated. Reports run the same data under Optimistic and Pessimistic to show the band of
// PnL the fill assumptions alone can explain.
type FillModel uint8

const (
	// Conservative is the default: resting limits fill only from trades strictly through
	// their price, or at their price once the queue ahead has traded; fills are capped by
	// the printed quantity.
	Conservative FillModel = iota
	// Optimistic fills a resting limit completely as soon as a trade touches its price.
	Optimistic
	// Pessimistic fills a resting limit only from trades strictly through its price, for at
	// most PessimisticFraction of the printed quantity, sees only that fraction of each book
	// level when taking, and doubles the next-trade slippage.
	Pessimistic
)

var modelNames = [...]string{"default", "optimistic", "pessimistic"}

// String returns the model's name as recorded in fill provenance: "default", "optimistic"
// or "pessimistic".
func (m FillModel) String() string {
	if int(m) < len(modelNames) {
		return modelNames[m]
	}
	return fmt.Sprintf("fillmodel(%d)", uint8(m))
}

// ParseFillModel accepts the names String returns ("conservative" is accepted for default).
func ParseFillModel(s string) (FillModel, error) {
	switch s {
	case "", "default", "conservative":
		return Conservative, nil
	case "optimistic":
		return Optimistic, nil
	case "pessimistic":
		return Pessimistic, nil
	}
	return 0, fmt.Errorf("sim: unknown fill model %q (want default, optimistic or pessimistic)", s)
}

// DefaultMarketProtectionPct is the market price protection threshold used when
// Config.MarketProtectionPct is zero. Kraken protects market orders by default (the "nompp"
// flag turns it off) but does not publish the threshold in its API documentation; 1% is an
// assumption, chosen on the cautious side, and is configurable.
var DefaultMarketProtectionPct = decimal.NewFromInt(1)

// DefaultPessimisticSlippageBps is the pessimistic model's extra slippage when
// Config.PessimisticSlippageBps is zero.
var DefaultPessimisticSlippageBps = decimal.NewFromInt(5)

// DefaultLatency is the submit/amend/cancel latency used when Config.Latency is zero.
const DefaultLatency = 50 * time.Millisecond

// Config configures an Exchange. The zero value is usable: 50 ms latency without jitter,
// seed 0, the conservative fill model, no slippage, the entry fee tier.
type Config struct {
	// Latency is how long a submit, amend or cancel takes to reach the exchange. Zero means
	// DefaultLatency; a negative value means none (the request still takes effect only from
	// the next event or Advance, never on the event being processed).
	Latency time.Duration
	// Jitter adds a uniformly drawn [0, Jitter] to each request's latency, from the seeded
	// source. Requests still reach the exchange in the order they were made.
	Jitter time.Duration
	// Seed drives every random draw (jitter) and the order ids.
	Seed uint64
	// Model is the fill model.
	Model FillModel
	// SlippageBps is the adverse slippage, in basis points of the trade price, applied to
	// fills made at the next trade's price when no book is known (market orders, marketable
	// limits, triggered stops). The result is rounded to the tick, adversely. Zero means none.
	SlippageBps decimal.Decimal
	// PessimisticFraction is the share of a printed trade (and of a book level) the
	// pessimistic model lets this account fill. Zero means 0.5.
	PessimisticFraction decimal.Decimal
	// FeeVolume is the account's 30-day volume in the pair's fee volume currency; it picks
	// the tier of the pair's maker/taker schedule. Zero is the entry tier. With
	// RollingFeeVolume it is the volume traded elsewhere, added to the simulated one.
	FeeVolume decimal.Decimal
	// RollingFeeVolume makes the fee tier follow the account's own simulated volume: the
	// cost of every fill in the last 30 days of event time, in the fee volume currency (USD:
	// a quote in another currency is converted at the last price of a QUOTE/USD or USD/QUOTE
	// pair this account has seen; a fill that cannot be converted is not counted), plus
	// FeeVolume. Like Kraken it is re-evaluated at every fill: a fill pays the tier of the
	// volume before it. Stablecoin and FX pairs, which Kraken leaves out of the volume, are
	// counted here. Off by default: the tier stays the one FeeVolume picks.
	RollingFeeVolume bool
	// FeeOverride replaces the pair schedules with MakerFee and TakerFee (percent: 0.25 is
	// 0.25%).
	FeeOverride        bool
	MakerFee, TakerFee decimal.Decimal
	// BookDepth is the depth of the book subscription feeding this exchange; levels beyond it
	// are dropped after every update, as Kraken's checksum requires. Zero infers it from each
	// snapshot: the smallest of Kraken's depths (10, 25, 100, 500, 1000) that holds it.
	BookDepth int
	// MarketProtectionPct is the market price protection threshold, in percent of the price a
	// market-priced order found on arrival (best opposite quote, else ticker, else last trade):
	// such an order does not fill beyond it, and what is left is cancelled. Zero means
	// DefaultMarketProtectionPct; NoMarketProtection turns it off for every order
	// (strategy.Order.NoMPP for one).
	MarketProtectionPct decimal.Decimal
	NoMarketProtection  bool
	// PessimisticSlippageBps is added to SlippageBps (doubled) under the pessimistic model, on
	// every taker fill, book walks included. Zero means DefaultPessimisticSlippageBps.
	PessimisticSlippageBps decimal.Decimal
	// StrictLot rejects quantities with more decimals than the pair's lot_decimals with
	// "EGeneral:Invalid arguments:volume" instead of truncating them.
	StrictLot bool
	// MarginRates sets the margin fee, in percent of the amount lent, charged on opening a
	// margin position and every 4 hours it stays open, by the asset Kraken lends (quote for
	// a long, base for a short). Assets not named use Kraken's published rate where known
	// (USD 0.025%, BTC 0.01%) and DefaultMarginRatePct otherwise. Only looked up, never
	// ranged over.
	MarginRates map[string]decimal.Decimal
	// RolloverRates sets the rollover fee (percent of the amount lent, per 4 hours) where it
	// differs from the opening rate; assets not named roll over at their MarginRates rate.
	// Only looked up, never ranged over.
	RolloverRates map[string]decimal.Decimal
	// Log receives debug logs about bad input; nil means zap.NewNop().
	Log *zap.Logger
}

var (
	half        = decimal.New(5, -1)
	reserveRoom = decimal.New(101, -2) // market buys reserve 1% above the reference price
)

// DefaultTakerTiers and DefaultMakerTiers are Kraken's spot crypto schedule (PROTOCOL.md §7),
// used for pairs whose PairInfo carries no schedule.
var (
	DefaultTakerTiers = tiers("0:0.40", "10000:0.35", "50000:0.24", "100000:0.22", "250000:0.20", "500000:0.18", "1000000:0.16", "2500000:0.14", "5000000:0.12", "10000000:0.10")
	DefaultMakerTiers = tiers("0:0.25", "10000:0.20", "50000:0.14", "100000:0.12", "250000:0.10", "500000:0.08", "1000000:0.06", "2500000:0.04", "5000000:0.02", "10000000:0.00")
)

func tiers(spec ...string) []feed.FeeTier {
	out := make([]feed.FeeTier, len(spec))
	for i, s := range spec {
		var v, p string
		for j := range s {
			if s[j] == ':' {
				v, p = s[:j], s[j+1:]
			}
		}
		out[i] = feed.FeeTier{Volume: decimal.RequireFromString(v), Percent: decimal.RequireFromString(p)}
	}
	return out
}

// feePercents returns the maker and taker fee percentages for a pair under cfg.
func (cfg *Config) feePercents(info *feed.PairInfo) (maker, taker decimal.Decimal) {
	return cfg.feePercentsAt(info, cfg.FeeVolume)
}

// feePercentsAt returns the maker and taker fee percentages for a pair at a 30-day volume.
func (cfg *Config) feePercentsAt(info *feed.PairInfo, volume decimal.Decimal) (maker, taker decimal.Decimal) {
	if cfg.FeeOverride {
		return cfg.MakerFee, cfg.TakerFee
	}
	p := *info
	if len(p.Taker) == 0 {
		p.Taker = DefaultTakerTiers
	}
	if len(p.Maker) == 0 {
		p.Maker = DefaultMakerTiers
	}
	return p.Fee(true, volume), p.Fee(false, volume)
}

// Fee returns the fee on a fill of the given cost at pct percent: cost × pct / 100 rounded
// half-up (half away from zero) to decimals, the precision of the fee currency (the pair's
// cost_decimals for a fee in quote, lot_decimals for a fee in base, where cost is the
// quantity). Kraken does not document its fee rounding; it books ledger amounts rounded to
// the nearest unit of the asset's precision, and half-up at that precision is the closest
// rule that is stated and tested here. Kraken charges at least one unit of that precision:
// a fee that rounds to zero at a positive rate is one unit (a 1e-8 BTC fill at 50,000 USD
// pays 0.00001 USD, not 0).
func Fee(cost, pct decimal.Decimal, decimals int32) decimal.Decimal {
	if pct.Sign() <= 0 || cost.Sign() <= 0 {
		return decimal.Zero
	}
	f := cost.Mul(pct).Shift(-2).Round(decimals)
	if f.Sign() == 0 {
		return decimal.New(1, -decimals)
	}
	return f
}

// maxFee is the largest fee a reservation must cover: rounded up, never down (so never
// below the one-unit minimum).
func maxFee(cost, pct decimal.Decimal, decimals int32) decimal.Decimal {
	if pct.Sign() <= 0 || cost.Sign() <= 0 {
		return decimal.Zero
	}
	return cost.Mul(pct).Shift(-2).RoundCeil(decimals)
}
