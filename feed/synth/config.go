package synth

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
)

// Defaults applied by New to zero fields.
const (
	DefaultDepth       = 25  // levels per side
	DefaultTradeRate   = 5.0 // taker orders per second
	DefaultVolatility  = 0.6 // annualised volatility of the fair price (60%)
	DefaultSpreadTicks = 1   // quoted spread when the book sits at fair value
	// DefaultLevelNotional is the quote value of a median resting level when LevelSize is not
	// given. It suits fiat-quoted pairs; set LevelSize for others.
	DefaultLevelNotional = 20000
	MaxDepth             = 1000
	maxDecimals          = 16
)

// DefaultStart is the exchange time of a market's first events when Config.Start is zero.
var DefaultStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Config describes a generated market. The same Config (seed included) always produces the
// same events.
type Config struct {
	// Seed selects the market. Each pair draws from its own stream derived from Seed and the
	// pair's name, so adding or removing a pair leaves the other pairs' events unchanged
	// (only their interleaving in the merged stream changes).
	Seed uint64
	// Start is the exchange time of the initial snapshots, truncated to the microsecond.
	// Zero means DefaultStart.
	Start time.Time
	// Pairs are the pairs to generate; at least one, no duplicates.
	Pairs []PairConfig
}

// PairConfig describes one pair of the market. Zero fields take the defaults noted.
type PairConfig struct {
	// Info gives the pair's name and trading rules: PriceDecimals and LotDecimals (required;
	// every emitted number has exactly these decimals), Tick and LotStep (zero means one unit
	// of the last decimal) and OrderMin (the smallest taker order and resting level).
	Info feed.PairInfo
	// StartPrice is the initial fair price (quote per base), rounded to the tick. Required.
	StartPrice decimal.Decimal
	// Depth is the number of levels per side after every step (default DefaultDepth).
	Depth int
	// TradeRate is the mean number of taker orders per second (default DefaultTradeRate).
	// Each taker order prints one trade, or several when it sweeps levels.
	TradeRate float64
	// BookRate is the mean number of book-only steps per second (default TradeRate).
	BookRate float64
	// Volatility is the annualised volatility of the fair price (default DefaultVolatility).
	Volatility float64
	// SpreadTicks is the spread, in ticks, of a book sitting at fair value (default 1).
	SpreadTicks int64
	// LevelGap is the mean distance in ticks between levels behind the touch (default: half a
	// typical step's price move, at least 1), so a step moves only a few levels.
	LevelGap int64
	// LevelSize is the median quantity (base) of a resting level, rounded to the lot (default
	// DefaultLevelNotional worth, and at least 20 × OrderMin).
	LevelSize decimal.Decimal
}

// Fixed model constants; doc.go explains the model they belong to.
const (
	garchAlpha   = 0.08 // weight of the last squared return
	garchBeta    = 0.90 // persistence of the variance
	hawkesBranch = 0.7  // mean number of steps one step triggers
	hawkesDecay  = 5.0  // kernel decay rate, in multiples of the mean step rate
	levelSigma   = 0.8  // log-normal sigma of resting level sizes
	takerSigma   = 1.2  // log-normal sigma of taker order sizes
	takerMedian  = 0.3  // median taker size as a fraction of the median level size
	sizeCap      = 20   // largest level or taker size, in median level sizes
	maxStepSigma = 0.01 // largest allowed per-step volatility (1%)
	boundFactor  = 1000 // the fair price is kept within StartPrice ÷/× this
	maxMant      = 1e17 // largest price or quantity mantissa emitted
	maxTicks     = 1e15 // fair price in ticks must stay exactly representable as float64
	secondsPerYr = 365.25 * 24 * 3600
)

// params is a validated PairConfig in the units the model works in.
type params struct {
	info          feed.PairInfo
	pd, ld        int32
	tickMant      int64 // tick as a mantissa at pd decimals
	lotMant       int64 // lot as a mantissa at ld decimals
	minLots       int64 // OrderMin in lots (at least 1)
	maxLots       int64 // cap on level and taker sizes
	levelLogMed   float64
	takerLogMed   float64
	depth         int
	spread        int64
	gap           int64
	startTicks    int64
	minTicks      float64 // reflecting bounds of the fair price, in ticks
	maxTicksF     float64
	maxPriceTicks int64 // largest tick index a level may use
	stepVar       float64
	stepRate      float64 // mean steps per second (trades and book-only)
	pTrade        float64
}

// ErrConfig is wrapped by every error New returns for a bad Config.
var ErrConfig = errors.New("synth: invalid config")

func validate(cfg *Config) ([]params, time.Time, error) {
	start := cfg.Start
	if start.IsZero() {
		start = DefaultStart
	}
	start = start.Truncate(time.Microsecond)
	if len(cfg.Pairs) == 0 {
		return nil, start, fmt.Errorf("%w: no pairs", ErrConfig)
	}
	ps := make([]params, len(cfg.Pairs))
	seen := make(map[feed.Pair]int, len(cfg.Pairs))
	for i := range cfg.Pairs {
		pc := &cfg.Pairs[i]
		if j, dup := seen[pc.Info.Pair]; dup {
			return nil, start, fmt.Errorf("%w: pair %q listed twice (entries %d and %d)", ErrConfig, pc.Info.Pair, j, i)
		}
		seen[pc.Info.Pair] = i
		p, err := pc.params()
		if err != nil {
			return nil, start, fmt.Errorf("%w: pairs[%d] %q: %w", ErrConfig, i, pc.Info.Pair, err)
		}
		ps[i] = p
	}
	return ps, start, nil
}

func (pc *PairConfig) params() (params, error) {
	var p params
	in := pc.Info
	if _, err := feed.ParsePair(string(in.Pair)); err != nil {
		return p, err
	}
	if in.PriceDecimals < 0 || in.PriceDecimals > maxDecimals {
		return p, fmt.Errorf("price decimals %d outside 0..%d", in.PriceDecimals, maxDecimals)
	}
	if in.LotDecimals < 0 || in.LotDecimals > maxDecimals {
		return p, fmt.Errorf("lot decimals %d outside 0..%d", in.LotDecimals, maxDecimals)
	}
	p.info, p.pd, p.ld = in, in.PriceDecimals, in.LotDecimals
	var err error
	if p.tickMant, err = stepMant("tick", in.Tick, p.pd); err != nil {
		return p, err
	}
	if p.lotMant, err = stepMant("lot step", in.LotStep, p.ld); err != nil {
		return p, err
	}
	if in.OrderMin.Sign() < 0 {
		return p, fmt.Errorf("negative ordermin %s", in.OrderMin)
	}
	p.minLots = max(1, ceilDiv(in.OrderMin.Shift(p.ld), p.lotMant))

	if pc.StartPrice.Sign() <= 0 {
		return p, fmt.Errorf("start price %s must be positive", pc.StartPrice)
	}
	st := pc.StartPrice.Shift(p.pd).Div(decimal.NewFromInt(p.tickMant)).Round(0)
	if st.Cmp(decimal.NewFromInt(int64(maxTicks))) > 0 || st.Mul(decimal.NewFromInt(p.tickMant)).Cmp(decimal.NewFromInt(int64(maxMant/boundFactor))) > 0 {
		return p, fmt.Errorf("start price %s too large for %d price decimals", pc.StartPrice, p.pd)
	}
	p.startTicks = st.IntPart()

	p.depth = pc.Depth
	if p.depth == 0 {
		p.depth = DefaultDepth
	}
	if p.depth < 1 || p.depth > MaxDepth {
		return p, fmt.Errorf("depth %d outside 1..%d", pc.Depth, MaxDepth)
	}
	tr := pc.TradeRate
	if tr == 0 {
		tr = DefaultTradeRate
	}
	if !(tr > 0 && tr <= 1e6) { // also rejects NaN
		return p, fmt.Errorf("trade rate %v outside (0, 1e6] per second", pc.TradeRate)
	}
	br := pc.BookRate
	if br == 0 {
		br = tr
	}
	if !(br > 0 && br <= 1e6) {
		return p, fmt.Errorf("book rate %v outside (0, 1e6] per second", pc.BookRate)
	}
	p.stepRate = tr + br
	p.pTrade = tr / p.stepRate
	vol := pc.Volatility
	if vol == 0 {
		vol = DefaultVolatility
	}
	if !(vol > 0 && vol <= 10) {
		return p, fmt.Errorf("volatility %v outside (0, 10]", pc.Volatility)
	}
	p.stepVar = vol * vol / (secondsPerYr * p.stepRate)
	if math.Sqrt(p.stepVar) > maxStepSigma {
		return p, fmt.Errorf("volatility %v at %v steps/s moves the price %.2g%% per step; raise the rates or lower the volatility", vol, p.stepRate, 100*math.Sqrt(p.stepVar))
	}
	p.spread = pc.SpreadTicks
	if p.spread == 0 {
		p.spread = DefaultSpreadTicks
	}
	if p.spread < 1 || p.spread > 1e6 {
		return p, fmt.Errorf("spread %d ticks outside 1..1e6", pc.SpreadTicks)
	}
	p.gap = pc.LevelGap
	if p.gap == 0 {
		p.gap = max(1, int64(math.Round(float64(p.startTicks)*math.Sqrt(p.stepVar)/2)))
	}
	if p.gap < 1 || p.gap > 1e9 {
		return p, fmt.Errorf("level gap %d ticks outside 1..1e9", pc.LevelGap)
	}

	// The fair price must leave room for a full book below it (bids stay above zero) and
	// keep every mantissa well inside int64.
	room := float64(p.spread) + float64(4*float64(p.depth+2)*float64(p.gap)) // float64(): no fused multiply-add
	if float64(p.startTicks) < 4*room {
		return p, fmt.Errorf("start price %s is %d ticks; a book of %d levels %d ticks apart needs at least %.0f",
			pc.StartPrice, p.startTicks, p.depth, p.gap, 4*room)
	}
	p.minTicks = max(room, float64(p.startTicks)/boundFactor)
	p.maxTicksF = min(float64(p.startTicks)*boundFactor, maxTicks, maxMant/float64(p.tickMant)/2)
	p.maxPriceTicks = int64(maxMant / float64(p.tickMant))

	lotValue := float64(p.lotMant) * math.Pow10(-int(p.ld))
	var med float64
	if pc.LevelSize.IsZero() {
		price := float64(p.startTicks*p.tickMant) * math.Pow10(-int(p.pd))
		med = math.Round(DefaultLevelNotional / price / lotValue)
		med = max(med, 20*float64(p.minLots), 10)
	} else {
		if pc.LevelSize.Sign() < 0 {
			return p, fmt.Errorf("negative level size %s", pc.LevelSize)
		}
		l := pc.LevelSize.Shift(p.ld).Div(decimal.NewFromInt(p.lotMant)).Round(0)
		if l.Cmp(decimal.NewFromInt(int64(maxMant))) > 0 {
			return p, fmt.Errorf("level size %s too large", pc.LevelSize)
		}
		med = float64(l.IntPart())
		if med < float64(p.minLots) {
			return p, fmt.Errorf("level size %s is below ordermin %s", pc.LevelSize, in.OrderMin)
		}
	}
	maxL := sizeCap * med
	if maxL*float64(p.lotMant) > maxMant {
		return p, fmt.Errorf("level size %v lots too large for %d lot decimals", med, p.ld)
	}
	p.maxLots = int64(maxL)
	p.levelLogMed = flog(med)
	p.takerLogMed = flog(takerMedian * med)
	return p, nil
}

// stepMant returns step as a mantissa at dec decimals; zero means one unit of the last decimal.
func stepMant(what string, step decimal.Decimal, dec int32) (int64, error) {
	if step.IsZero() {
		return 1, nil
	}
	m := step.Shift(dec)
	if step.Sign() < 0 || !m.IsInteger() || m.Cmp(decimal.NewFromInt(1e12)) > 0 {
		return 0, fmt.Errorf("%s %s is not a positive multiple of 1e-%d (at most 1e12 of them)", what, step, dec)
	}
	return m.IntPart(), nil
}

// ceilDiv returns ⌈d / n⌉ for d ≥ 0, n > 0, saturating at 1e17.
func ceilDiv(d decimal.Decimal, n int64) int64 {
	q := d.Div(decimal.NewFromInt(n)).Ceil()
	if q.Cmp(decimal.NewFromInt(int64(maxMant))) > 0 {
		return int64(maxMant)
	}
	return q.IntPart()
}
