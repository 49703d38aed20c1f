package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

var nan = math.NaN()

// Num is a ratio or other inexact metric. It marshals as a JSON number with at most 10
// significant digits (so that last-bit float differences do not show), and as null when it
// is undefined (NaN) or infinite.
type Num float64

// Valid reports whether the number is defined and finite.
func (n Num) Valid() bool { return !math.IsNaN(float64(n)) && !math.IsInf(float64(n), 0) }

// MarshalJSON implements json.Marshaler.
func (n Num) MarshalJSON() ([]byte, error) {
	if !n.Valid() {
		return []byte("null"), nil
	}
	return []byte(n.String()), nil
}

// UnmarshalJSON implements json.Unmarshaler (null is NaN).
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num(nan)
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	*n = Num(v)
	return err
}

// String formats the number with up to 10 significant digits; "" when undefined.
func (n Num) String() string {
	if !n.Valid() {
		return ""
	}
	v := float64(n)
	if v == 0 {
		return "0" // no "-0"
	}
	return strconv.FormatFloat(v, 'g', 10, 64)
}

// Strategy is one instance's results: the stable per-instance object of summary.json.
// Money is a decimal string in the named currency; ratios are Num (null when undefined).
type Strategy struct {
	Name            string            `json:"name"`
	Type            string            `json:"type"`
	Params          map[string]string `json:"params"`
	Pairs           []feed.Pair       `json:"pairs"`
	FillModel       string            `json:"fill_model"`
	AccountCurrency string            `json:"account_currency"`
	Start           string            `json:"start"` // RFC 3339 event time of the first event
	End             string            `json:"end"`
	// Fault is why the instance stopped early ("" when it ran to the end).
	Fault string `json:"fault,omitempty"`

	InitialBalances map[string]string `json:"initial_balances"`
	FinalBalances   map[string]string `json:"final_balances"`
	// InitialEquity and FinalEquity are "" when the account could not be valued: it held an
	// asset no trade had priced yet (a made-up 0 would read as a total loss).
	InitialEquity string `json:"initial_equity"`
	FinalEquity   string `json:"final_equity"`

	Return  Num `json:"return"`
	CAGR    Num `json:"cagr"`
	Sharpe  Num `json:"sharpe"`
	Sortino Num `json:"sortino"`
	Calmar  Num `json:"calmar"`
	// SharpePeriod and SortinoPeriod are Sharpe and Sortino per equity interval, not
	// annualised: defined on runs of any length (sweeps on short data rank by them).
	SharpePeriod  Num `json:"sharpe_per_period"`
	SortinoPeriod Num `json:"sortino_per_period"`
	// AnnualNote says why the annualised metrics are null ("" when they are reported): the
	// run is shorter than MinAnnualSpan.
	AnnualNote string `json:"annualised_note,omitempty"`
	MaxDD      Num    `json:"max_drawdown"`
	MaxDDDur   struct {
		Seconds float64 `json:"seconds"`
		Text    string  `json:"text"`
	} `json:"max_drawdown_duration"`
	BuyHold Num `json:"buy_hold_return"`

	Trades       int               `json:"trades"`
	OpenTrades   int               `json:"open_trades"`
	Fills        uint64            `json:"fills"`
	Orders       uint64            `json:"orders"`
	Rejects      uint64            `json:"rejects"`
	Canceled     uint64            `json:"canceled"`
	Expired      uint64            `json:"expired"`
	WinRate      Num               `json:"win_rate"`
	ProfitFactor Num               `json:"profit_factor"`
	Expectancy   string            `json:"expectancy"` // account currency per trip
	Exposure     Num               `json:"exposure"`
	Fees         string            `json:"fees"` // in the account currency
	FeesByAsset  map[string]string `json:"fees_by_asset"`
	Turnover     string            `json:"turnover"` // traded notional in the account currency
	TurnoverX    Num               `json:"turnover_ratio"`

	PerPair []PairSummary   `json:"per_pair"`
	Monthly []MonthlyReturn `json:"monthly_returns"`
	// Margin is the instance's spot margin activity (nil: none).
	Margin *MarginSummary `json:"margin,omitempty"`

	// EquityPoints, Periods and PeriodsPerYear say what the ratios were computed on.
	EquityPoints   int     `json:"equity_points"`
	Periods        int     `json:"return_periods"`
	PeriodsPerYear float64 `json:"periods_per_year"`

	// CI holds bootstrap confidence intervals of the headline metrics; nil unless the caller
	// computed them (backtests do; live sessions and sweep trials do not).
	CI *Intervals `json:"confidence_intervals,omitempty"`
}

// Intervals are confidence intervals of a run's headline metrics, each [low, high] (null
// ends when undefined). They say how much the metrics could differ on another draw of
// similar market data: the returns are resampled in blocks (circular block bootstrap), the
// trips' wins and losses with replacement, seeded so a run always reports the same ones.
type Intervals struct {
	Level   float64 `json:"level"`   // central coverage, e.g. 0.95
	Method  string  `json:"method"`  // how they were drawn, in words
	Samples int     `json:"samples"` // resamples
	Block   int     `json:"block"`   // block length, in return periods
	Seed    uint64  `json:"seed"`

	Return       [2]Num `json:"return"`
	SharpePeriod [2]Num `json:"sharpe_per_period"`
	Sharpe       [2]Num `json:"sharpe"` // annualised; null on runs shorter than MinAnnualSpan
	MaxDD        [2]Num `json:"max_drawdown"`
	WinRate      [2]Num `json:"win_rate"`
}

// PairSummary is one pair's share of an instance's results, in the pair's quote currency.
type PairSummary struct {
	Pair         feed.Pair `json:"pair"`
	Fills        uint64    `json:"fills"`
	Trades       int       `json:"trades"`
	OpenTrade    bool      `json:"open_trade"`
	WinRate      Num       `json:"win_rate"`
	ProfitFactor Num       `json:"profit_factor"`
	PnL          string    `json:"pnl"` // closed trips, after fees
	Fees         string    `json:"fees"`
	Volume       string    `json:"volume"`   // base
	Turnover     string    `json:"turnover"` // quote
	Position     string    `json:"position"` // net base traded since the start
	BuyHold      Num       `json:"buy_hold_return"`
}

// MonthlyReturn is the equity return of one calendar month (UTC): the last equity of the
// month against the last of the previous month (or the initial equity).
type MonthlyReturn struct {
	Month  string `json:"month"` // 2025-01
	Return Num    `json:"return"`
}

// Summary builds the instance's results from what the collector saw, the engine's final
// state of the instance and the replayed market (nil: no buy-and-hold benchmark).
//
// Definitions (all documented in the README):
//   - initial equity is the first equity sample; final equity the engine's final valuation
//     (or the last sample when some asset could not be valued);
//   - return = final / initial − 1; CAGR over the time between the first and last samples;
//   - Sharpe and Sortino on the returns of the equity resampled every EquityInterval,
//     annualised by PeriodsPerYear(EquityInterval) (365.25-day years);
//   - max drawdown on every sample; its duration is the longest time below a previous peak;
//   - trips (see Trip); win rate, profit factor and expectancy count the trips of pairs
//     quoted in the account currency; exposure is the share of the instance's time with a
//     trip open; fees and turnover count fills of pairs quoted in the account currency (all
//     fees are also listed by asset);
//   - buy-and-hold is the mean of the instance's pairs' first-to-last trade price returns.
func (c *Collector) Summary(res record.InstanceResult, m *Market) Strategy {
	in := c.in
	s := Strategy{
		Name: in.Name, Type: in.Type, Params: map[string]string(in.Params.Clone()), Pairs: in.Pairs,
		FillModel: in.FillModel, AccountCurrency: in.AccountCurrency,
		InitialBalances: map[string]string{}, FinalBalances: map[string]string{},
		FeesByAsset: map[string]string{}, PerPair: []PairSummary{}, Monthly: []MonthlyReturn{},
	}
	if s.Params == nil {
		s.Params = map[string]string{}
	}
	if s.Pairs == nil {
		s.Pairs = []feed.Pair{}
	}
	start, end := res.Start, res.End
	if start.IsZero() {
		start, end = c.first, c.last
	}
	s.Start, s.End = formatTime(start), formatTime(end)
	if res.Fault != nil {
		s.Fault = res.Fault.Error()
	} else if c.faultMsg != "" {
		s.Fault = c.faultMsg
	}
	for _, d := range in.InitialBalances {
		s.InitialBalances[d.Asset] = d.Amount.String()
	}
	for _, b := range res.Balances {
		if b.Total.Sign() != 0 || s.InitialBalances[b.Asset] != "" {
			s.FinalBalances[b.Asset] = b.Total.String()
		}
	}

	eq := c.equity
	var initial, final decimal.Decimal
	if len(eq) > 0 {
		initial, final = eq[0].Equity, eq[len(eq)-1].Equity
		s.InitialEquity, s.FinalEquity = initial.String(), final.String()
	}
	if res.EquityOK {
		final = res.Equity
		s.FinalEquity = final.String()
	}
	s.Return, s.CAGR, s.Sharpe, s.Sortino, s.Calmar, s.MaxDD = Num(nan), Num(nan), Num(nan), Num(nan), Num(nan), Num(nan)
	s.SharpePeriod, s.SortinoPeriod = Num(nan), Num(nan)
	if initial.Sign() > 0 && s.FinalEquity != "" {
		s.Return = Num(final.Div(initial).InexactFloat64() - 1)
	}
	s.EquityPoints = len(eq)
	if len(eq) > 0 {
		span := eq[len(eq)-1].Time.Sub(eq[0].Time)
		dd := MaxDrawdown(eq)
		s.MaxDD = Num(dd.Max)
		s.MaxDDDur.Seconds = dd.Duration.Seconds()
		s.MaxDDDur.Text = dd.Duration.Round(time.Second).String()
		iv := in.EquityInterval
		if iv <= 0 {
			iv = record.DefaultEquityInterval
		}
		rets := Returns(Resample(eq, iv))
		s.Periods = len(rets)
		s.PeriodsPerYear = PeriodsPerYear(iv)
		s.SharpePeriod = Num(Sharpe(rets, 1))
		s.SortinoPeriod = Num(Sortino(rets, 1))
		if span >= MinAnnualSpan {
			s.CAGR = Num(CAGR(initial.InexactFloat64(), final.InexactFloat64(), span))
			s.Calmar = Num(Calmar(float64(s.CAGR), dd.Max))
			s.Sharpe = Num(Sharpe(rets, s.PeriodsPerYear))
			s.Sortino = Num(Sortino(rets, s.PeriodsPerYear))
		} else {
			s.AnnualNote = AnnualNote(span)
		}
		s.Monthly = monthly(eq, initial)
	}

	s.Trades = c.stats.Trades
	s.Fills, s.Rejects = c.fills, c.rejects
	s.Canceled, s.Expired = c.statuses[strategy.StatusCanceled], c.statuses[strategy.StatusExpired]
	s.Orders = c.statuses[strategy.StatusClosed] + s.Canceled + s.Expired + uint64(len(c.live))
	s.WinRate = Num(c.stats.WinRate())
	s.ProfitFactor = Num(c.stats.ProfitFactor())
	s.Expectancy = c.stats.Expectancy().String()
	exposed := c.exposed
	if c.openTrips > 0 && end.After(c.exposedFrom) {
		exposed += end.Sub(c.exposedFrom)
	}
	s.Exposure = Num(nan)
	if span := end.Sub(start); span > 0 {
		s.Exposure = Num(float64(exposed) / float64(span))
	}
	s.Fees = c.fees[in.AccountCurrency].String()
	s.Margin = c.marginSummary()
	for _, a := range sortedAssets(c.fees) {
		s.FeesByAsset[a] = c.fees[a].String()
	}
	s.Turnover = c.turnover.String()
	s.TurnoverX = Num(nan)
	if initial.Sign() > 0 {
		s.TurnoverX = Num(c.turnover.Div(initial).InexactFloat64())
	}

	var bh float64
	nbh := 0
	for _, a := range c.pairs {
		ps := PairSummary{
			Pair: a.book.pair, Fills: a.fills, Trades: a.stats.Trades, OpenTrade: a.book.open,
			WinRate: Num(a.stats.WinRate()), ProfitFactor: Num(a.stats.ProfitFactor()),
			PnL: a.stats.Net.String(), Fees: a.fees.String(), Volume: a.volume.String(),
			Turnover: a.turnover.String(), Position: a.book.pos.String(), BuyHold: Num(nan),
		}
		if a.book.open {
			s.OpenTrades++
		}
		if p := m.Pair(a.book.pair); p != nil {
			ps.BuyHold = Num(p.BuyHold())
			if ps.BuyHold.Valid() {
				bh += float64(ps.BuyHold)
				nbh++
			}
		}
		s.PerPair = append(s.PerPair, ps)
	}
	s.BuyHold = Num(nan)
	if nbh > 0 {
		s.BuyHold = Num(bh / float64(nbh))
	}
	return s
}

// AnnualNote says why a run of this span has no annualised metrics.
func AnnualNote(span time.Duration) string {
	return fmt.Sprintf("CAGR, Sharpe, Sortino and Calmar are annualised and need at least %s of equity; this run has %s (per-period Sharpe and Sortino are in summary.json)",
		Duration(MinAnnualSpan), Duration(span))
}

// Duration formats a span for people: "4h48m", "3d 2h", "45s".
func Duration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		days := d / (24 * time.Hour)
		if h := (d % (24 * time.Hour)) / time.Hour; h > 0 {
			return fmt.Sprintf("%dd %dh", days, h)
		}
		return fmt.Sprintf("%dd", days)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, (d%time.Hour)/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", d/time.Minute, (d%time.Minute)/time.Second)
	default:
		return d.Round(time.Millisecond).String()
	}
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// monthly splits the equity curve into calendar months (UTC).
func monthly(eq []EquityPoint, initial decimal.Decimal) []MonthlyReturn {
	out := []MonthlyReturn{}
	prev := initial
	for i := 0; i < len(eq); {
		y, mo, _ := eq[i].Time.UTC().Date()
		j := i
		for j+1 < len(eq) {
			y2, m2, _ := eq[j+1].Time.UTC().Date()
			if y2 != y || m2 != mo {
				break
			}
			j++
		}
		last := eq[j].Equity
		r := Num(nan)
		if prev.Sign() > 0 {
			r = Num(last.Div(prev).InexactFloat64() - 1)
		}
		out = append(out, MonthlyReturn{Month: time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC).Format("2006-01"), Return: r})
		prev = last
		i = j + 1
	}
	return out
}

// Run describes a whole run in summary.json.
type Run struct {
	Version    string     `json:"version"`
	Mode       string     `json:"mode"` // backtest, sweep-trial, live
	Config     string     `json:"config,omitempty"`
	ConfigHash string     `json:"config_sha256,omitempty"`
	Seed       uint64     `json:"seed"`
	Data       []DataFile `json:"data,omitempty"`
	From       string     `json:"from,omitempty"`
	To         string     `json:"to,omitempty"`
	FillModels []string   `json:"fill_models"`
	// Manifest is the SHA-256 of manifest.json: equal manifests mean equal inputs.
	Manifest  string `json:"manifest_sha256,omitempty"`
	Events    uint64 `json:"events"`
	Trades    uint64 `json:"trades"`
	FirstTime string `json:"first_event,omitempty"`
	LastTime  string `json:"last_event,omitempty"`
	// WallSeconds is the only wall-clock field; golden comparisons mask it.
	WallSeconds float64 `json:"wall_seconds"`
}

// DataFile is one input file and its hash.
type DataFile struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Summary is summary.json.
type Summary struct {
	Run        Run        `json:"run"`
	Strategies []Strategy `json:"strategies"`
}

// JSON encodes the summary as indented JSON with a final newline. The bytes depend only on
// the summary's content (maps are written in key order).
func (s *Summary) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
