package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/render"

	"github.com/papertrade/papertrade/feed"
)

// echartsJS is Apache ECharts 5.6.0 (dist/echarts.min.js of the npm package), inlined in
// every report so that it works offline; see assets/ECHARTS-NOTICE and
// assets/ECHARTS-LICENSE (Apache-2.0).
//
//go:embed assets/echarts.min.js
var echartsJS string

// minHistogramTrips is the fewest closed trips the PnL distribution is drawn for.
const minHistogramTrips = 10

// maxChartPoints bounds the points of one chart series: curves are thinned to this many
// buckets (keeping each bucket's last value, or its worst for drawdowns).
const maxChartPoints = 2500

// HTMLInput is what a report page shows.
type HTMLInput struct {
	Title   string
	Summary *Summary
	// Collectors are the instances' collectors, in the order of Summary.Strategies.
	Collectors []*Collector
	Market     *Market
	// Config is the run config as written (shown verbatim).
	Config string
}

// WriteHTML writes one self-contained HTML page: ECharts is inlined and nothing is loaded
// from the network. It shows the run settings, a metrics table per instance and per pair,
// the range of results across fill models, equity and drawdown curves, the price of every pair with the instances'
// buy and sell fills, monthly returns and the distribution of trip PnL. The bytes depend
// only on the input.
func WriteHTML(w io.Writer, in HTMLInput) (err error) {
	defer func() {
		// go-echarts panics on template errors; a report must fail, not crash the run.
		if p := recover(); p != nil {
			err = fmt.Errorf("report: rendering charts: %v", p)
		}
	}()
	s := in.Summary
	page := htmlPage{
		Title:    in.Title,
		ECharts:  template.JS(echartsJS),
		Run:      s.Run,
		Config:   in.Config,
		Bands:    Bands(s),
		Generate: "papertrade " + s.Run.Version,
	}
	if page.Title == "" {
		page.Title = "papertrade report"
	}
	for i := range s.Strategies {
		st := &s.Strategies[i]
		page.Cards = append(page.Cards, card(i, st))
		page.Rows = append(page.Rows, metricRow(st))
		for _, p := range st.PerPair {
			page.PairRows = append(page.PairRows, pairRow{
				Strategy: st.Name, Pair: string(p.Pair), Fills: p.Fills, Trades: p.Trades,
				Win: Pct(p.WinRate), PF: Fixed2(p.ProfitFactor), PnL: Money(p.PnL), Fees: Money(p.Fees),
				Volume: Qty(p.Volume), Turnover: Money(p.Turnover), Position: Qty(p.Position), BuyHold: Pct(p.BuyHold),
			})
		}
	}
	var chartsList []render.ChartSnippet
	add := func(c interface{ RenderSnippet() render.ChartSnippet }) {
		chartsList = append(chartsList, c.RenderSnippet())
	}
	if len(in.Collectors) > 0 {
		add(equityChart(s, in.Collectors))
		add(drawdownChart(s, in.Collectors))
	}
	if in.Market != nil {
		for i := range in.Market.Pairs {
			add(priceChart(i, &in.Market.Pairs[i], s, in.Collectors))
		}
	}
	for i, col := range in.Collectors {
		for _, t := range col.trips[max(0, len(col.trips)-maxTripRows):] {
			page.Trips = append(page.Trips, trip(s.Strategies[i].Name, t))
		}
	}
	if len(in.Collectors) > 0 {
		// Charts that carry no information on a short run are left out, with the reason:
		// one bar per month needs at least two months, a distribution a handful of trips.
		months := 0
		for _, st := range s.Strategies {
			months = max(months, len(st.Monthly))
		}
		if months >= 2 {
			add(monthlyChart(s))
		} else {
			page.Notes = append(page.Notes, "Monthly returns: not shown, the run spans one calendar month or less (the return is in the tables).")
		}
		trips := 0
		for _, col := range in.Collectors {
			trips += len(col.tripPnL)
		}
		if trips >= minHistogramTrips {
			add(pnlHistogram(s, in.Collectors))
		} else {
			page.Notes = append(page.Notes, fmt.Sprintf("Round-trip PnL distribution: not shown, %d closed round trip(s) (at least %d are needed; each is listed in the round-trip table).", trips, minHistogramTrips))
		}
	}
	for _, c := range chartsList {
		page.Charts = append(page.Charts, template.HTML(c.Element)+template.HTML(c.Script))
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, page); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

type htmlPage struct {
	Title    string
	ECharts  template.JS
	Run      Run
	Config   string
	Cards    []kpiCard
	Rows     []metricsRow
	PairRows []pairRow
	Trips    []tripRow
	Bands    []Band
	Charts   []template.HTML
	Notes    []string // why a chart or a metric is absent
	Generate string
}

// kpiCard is one instance's headline numbers at the top of the page.
type kpiCard struct {
	Name, Marker, Color                    string
	Return, MaxDD, Trips, Win, Fees, Final string
	Up, Down, Fault                        bool
}

// tripRow is one closed round trip in the trips table.
type tripRow struct {
	Strategy, Pair, Side, Open, Close, Held, Qty, PnL, Fees string
	Fills                                                   int
	Win, Loss                                               bool
}

type metricsRow struct {
	Name, Type, Model, Params, Period, AnnualNote             string
	Return, CAGR, MaxDD, DDDur, Sharpe, Sortino, Calmar       string
	Trades, Open, Fills, Orders, Rejects                      string
	Win, PF, Expectancy, Exposure, Fees, Turnover, BuyHold    string
	Initial, Final, Ccy, Fault, InitialBalances, FinalBalance string
}

type pairRow struct {
	Strategy, Pair                                          string
	Fills                                                   uint64
	Trades                                                  int
	Win, PF, PnL, Fees, Volume, Turnover, Position, BuyHold string
}

func metricRow(st *Strategy) metricsRow {
	params := make([]string, 0, len(st.Params))
	for _, k := range sortedKeys(st.Params) {
		params = append(params, k+"="+st.Params[k])
	}
	return metricsRow{
		Name: st.Name, Type: st.Type, Model: st.FillModel, Params: strings.Join(params, " "), AnnualNote: st.AnnualNote,
		Period: shortTime(st.Start) + " → " + shortTime(st.End),
		Return: Pct(st.Return), CAGR: na(Pct(st.CAGR), st.AnnualNote), MaxDD: Pct(st.MaxDD), DDDur: st.MaxDDDur.Text,
		Sharpe: na(Fixed2(st.Sharpe), st.AnnualNote), Sortino: na(Fixed2(st.Sortino), st.AnnualNote), Calmar: na(Fixed2(st.Calmar), st.AnnualNote),
		Trades: fmt.Sprint(st.Trades), Open: fmt.Sprint(st.OpenTrades), Fills: fmt.Sprint(st.Fills),
		Orders: fmt.Sprint(st.Orders), Rejects: fmt.Sprint(st.Rejects),
		Win: Pct(st.WinRate), PF: Fixed2(st.ProfitFactor), Expectancy: Money(st.Expectancy),
		Exposure: Pct(st.Exposure), Fees: Money(st.Fees), Turnover: Money(st.Turnover), BuyHold: Pct(st.BuyHold),
		Initial: Money(st.InitialEquity), Final: Money(st.FinalEquity), Ccy: st.AccountCurrency, Fault: st.Fault,
		InitialBalances: balances(st.InitialBalances), FinalBalance: balances(st.FinalBalances),
	}
}

// na marks an annualised metric left out of a short run ("n/a"; the note says why).
func na(v, note string) string {
	if note != "" && v == "-" {
		return "n/a"
	}
	return v
}

func card(i int, st *Strategy) kpiCard {
	c := kpiCard{
		Name: st.Name, Marker: markerGlyph[i%len(markerGlyph)], Color: palette[i%len(palette)],
		Return: Pct(st.Return), MaxDD: Pct(st.MaxDD), Trips: fmt.Sprint(st.Trades), Win: Pct(st.WinRate),
		Fees: Money(st.Fees) + " " + st.AccountCurrency, Final: Money(st.FinalEquity) + " " + st.AccountCurrency,
		Up: st.Return.Valid() && st.Return > 0, Down: st.Return.Valid() && st.Return < 0, Fault: st.Fault != "",
	}
	return c
}

func trip(name string, t Trip) tripRow {
	side := "long"
	if t.Side == feed.Sell {
		side = "short"
	}
	return tripRow{
		Strategy: name, Pair: string(t.Pair), Side: side,
		Open: t.Open.UTC().Format("2006-01-02 15:04:05"), Close: t.Close.UTC().Format("2006-01-02 15:04:05"),
		Held: Duration(t.Close.Sub(t.Open)), Qty: Qty(t.Qty.String()), PnL: Money(t.PnL.String()), Fees: Money(t.Fees.String()),
		Fills: t.Fills, Win: t.PnL.Sign() > 0, Loss: t.PnL.Sign() < 0,
	}
}

func balances(m map[string]string) string {
	var out []string
	for _, k := range sortedKeys(m) {
		out = append(out, k+" "+m[k])
	}
	return strings.Join(out, ", ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func shortTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.Format("2006-01-02 15:04:05")
}

// ---- charts --------------------------------------------------------------------------------

func baseOpts(id, title, subtitle, height string) []charts.GlobalOpts {
	return append(barOpts(id, title, subtitle, height),
		charts.WithDataZoomOpts(opts.DataZoom{Type: "inside"}, opts.DataZoom{Type: "slider"}))
}

// barOpts are the options of every chart; time charts add zooming.
func barOpts(id, title, subtitle, height string) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{ChartID: id, Width: "100%", Height: height}),
		charts.WithAnimation(false),
		charts.WithTitleOpts(opts.Title{Title: title, Subtitle: subtitle}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "30", Type: "scroll"}),
		charts.WithGridOpts(opts.Grid{Left: "70", Right: "40", Top: "70", Bottom: "70", ContainLabel: opts.Bool(true)}),
	}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// thin reduces n points to at most maxChartPoints buckets; pick chooses the kept index of
// each bucket [lo, hi).
func thin(n int, pick func(lo, hi int) int) []int {
	if n <= maxChartPoints {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	idx := make([]int, 0, maxChartPoints)
	for b := 0; b < maxChartPoints; b++ {
		lo, hi := b*n/maxChartPoints, (b+1)*n/maxChartPoints
		if hi > lo {
			idx = append(idx, pick(lo, hi))
		}
	}
	return idx
}

func round(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}

func lineOpts() charts.SeriesOpts {
	return charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)})
}

func equityChart(s *Summary, cs []*Collector) *charts.Line {
	c := charts.NewLine()
	c.SetGlobalOptions(append(baseOpts("equity", "Equity", "change since the start, % (instances of any size on one scale; absolute values in the tables and equity.csv)", "420px"),
		charts.WithXAxisOpts(opts.XAxis{Type: "time"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Scale: opts.Bool(true), AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}))...)
	for i, col := range cs {
		eq := col.Equity()
		var data []opts.LineData
		if len(eq) > 0 && eq[0].Equity.Sign() > 0 {
			first := eq[0].Equity.InexactFloat64()
			for _, k := range thin(len(eq), func(_, hi int) int { return hi - 1 }) {
				data = append(data, opts.LineData{Value: []any{ms(eq[k].Time), round((eq[k].Equity.InexactFloat64()/first-1)*100, 4)}})
			}
		}
		c.AddSeries(s.Strategies[i].Name, data, lineOpts())
	}
	return c
}

func drawdownChart(s *Summary, cs []*Collector) *charts.Line {
	c := charts.NewLine()
	c.SetGlobalOptions(append(baseOpts("drawdown", "Drawdown", "% below the running peak", "320px"),
		charts.WithXAxisOpts(opts.XAxis{Type: "time"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}))...)
	for i, col := range cs {
		eq := col.Equity()
		dd := make([]float64, len(eq))
		peak := math.Inf(-1)
		for j, p := range eq {
			v := p.Equity.InexactFloat64()
			peak = max(peak, v)
			if peak > 0 {
				dd[j] = (v/peak - 1) * 100
			}
		}
		var data []opts.LineData
		for _, k := range thin(len(eq), func(lo, hi int) int {
			w := lo
			for j := lo; j < hi; j++ {
				if dd[j] < dd[w] {
					w = j
				}
			}
			return w
		}) {
			data = append(data, opts.LineData{Value: []any{ms(eq[k].Time), round(dd[k], 4)}})
		}
		c.AddSeries(s.Strategies[i].Name, data, lineOpts(), charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.15)}))
	}
	return c
}

func priceChart(i int, p *PairPrices, s *Summary, cs []*Collector) *charts.Line {
	c := charts.NewLine()
	c.SetGlobalOptions(append(baseOpts(fmt.Sprintf("price_%d", i), string(p.Pair)+" price", "last trade price with the instances' fills: green buy, red sell, one marker shape per instance", "420px"),
		charts.WithXAxisOpts(opts.XAxis{Type: "time"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Scale: opts.Bool(true)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}))...)
	var data []opts.LineData
	for _, k := range thin(len(p.Points), func(_, hi int) int { return hi - 1 }) {
		data = append(data, opts.LineData{Value: []any{ms(p.Points[k].Time), p.Points[k].Price.InexactFloat64()}})
	}
	c.AddSeries(string(p.Pair), data, lineOpts(), charts.WithItemStyleOpts(opts.ItemStyle{Color: "#5470c6"}),
		charts.WithLineStyleOpts(opts.LineStyle{Width: 1}))
	if len(p.Points) <= maxCandles {
		// Few enough buckets to read as candles: each is one sampling bucket's open, close,
		// low and high, drawn on the same time axis as the line and the fills.
		k := charts.NewKLine()
		var kd []opts.KlineData
		for _, pt := range p.Points {
			if pt.Open.IsZero() {
				continue // a point from before candles were kept
			}
			kd = append(kd, opts.KlineData{Value: []any{ms(pt.Time), pt.Open.InexactFloat64(), pt.Price.InexactFloat64(), pt.Low.InexactFloat64(), pt.High.InexactFloat64()}})
		}
		k.AddSeries(string(p.Pair)+" candles", kd, charts.WithItemStyleOpts(opts.ItemStyle{Color: "#2e9e44", Color0: "#d9412b", BorderColor: "#2e9e44", BorderColor0: "#d9412b"}))
		c.Overlap(k)
	}
	for j, col := range cs {
		for _, side := range []feed.Side{feed.Buy, feed.Sell} {
			rot, color := 0, "#2e9e44"
			if side == feed.Sell {
				rot, color = 180, "#d9412b"
			}
			// Each instance has its own marker shape (the legend and the KPI cards show it),
			// green for buys and red for sells; markers are thinned to maxPriceMarkers per
			// series so that a busy instance does not cover the price line.
			var sel []Marker
			for _, m := range col.markers {
				if m.Pair == p.Pair && m.Side == side {
					sel = append(sel, m)
				}
			}
			if len(sel) == 0 {
				continue
			}
			shape := markerShapes[j%len(markerShapes)]
			var pts []opts.ScatterData
			for _, k := range thinTo(len(sel), maxPriceMarkers) {
				m := sel[k]
				r := 0
				if shape == "triangle" {
					r = rot
				}
				pts = append(pts, opts.ScatterData{Value: []any{ms(m.Time), m.Price.InexactFloat64()}, Symbol: shape, SymbolSize: 8, SymbolRotate: r})
			}
			sc := charts.NewScatter()
			sc.AddSeries(fmt.Sprintf("%s %s %s", markerGlyph[j%len(markerGlyph)], s.Strategies[j].Name, side), pts,
				charts.WithItemStyleOpts(opts.ItemStyle{Color: color, BorderColor: palette[j%len(palette)], BorderWidth: 1.5, Opacity: opts.Float(0.85)}))
			c.Overlap(sc)
		}
	}
	return c
}

// maxCandles is the most sampling buckets drawn as candlesticks; longer runs show the line.
const maxCandles = 300

// maxPriceMarkers bounds the markers of one instance, side and pair on a price chart.
const maxPriceMarkers = 400

// markerShapes (ECharts symbols) and markerGlyph (their look-alikes in text) tell the
// instances apart on price charts; colour says buy or sell.
var (
	markerShapes = []string{"triangle", "circle", "rect", "diamond", "pin", "roundRect", "arrow"}
	markerGlyph  = []string{"▲", "●", "■", "◆", "⬤", "▢", "➤"}
)

// thinTo picks at most n evenly spread indexes of [0, total).
func thinTo(total, n int) []int {
	out := make([]int, 0, min(total, n))
	if total <= n {
		for i := range total {
			out = append(out, i)
		}
		return out
	}
	for k := range n {
		out = append(out, k*total/n)
	}
	return out
}

// palette outlines each instance's markers in its own colour.
var palette = []string{"#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"}

func monthlyChart(s *Summary) *charts.Bar {
	var months []string
	for _, st := range s.Strategies {
		for _, m := range st.Monthly {
			if !slices.Contains(months, m.Month) {
				months = append(months, m.Month)
			}
		}
	}
	slices.Sort(months)
	c := charts.NewBar()
	c.SetGlobalOptions(append(barOpts("monthly", "Monthly returns", "% per calendar month (UTC)", "320px"),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}))...)
	c.SetXAxis(months)
	for _, st := range s.Strategies {
		data := make([]opts.BarData, len(months))
		for _, m := range st.Monthly {
			k := slices.Index(months, m.Month)
			if m.Return.Valid() {
				data[k] = opts.BarData{Value: round(float64(m.Return)*100, 4)}
			}
		}
		c.AddSeries(st.Name, data)
	}
	return c
}

func pnlHistogram(s *Summary, cs []*Collector) *charts.Bar {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, col := range cs {
		for _, v := range col.tripPnL {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	const bins = 30
	c := charts.NewBar()
	c.SetGlobalOptions(append(barOpts("pnl", "Trip PnL distribution", "closed round trips per PnL bin (quote currency, after fees)", "320px"),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "trips"}))...)
	if math.IsInf(lo, 0) {
		c.SetXAxis([]string{"no closed trips"})
		return c
	}
	if hi == lo {
		hi = lo + 1
	}
	width := (hi - lo) / bins
	labels := make([]string, bins)
	for b := range labels {
		labels[b] = fmt.Sprintf("%.2f", lo+(float64(b)+0.5)*width)
	}
	c.SetXAxis(labels)
	for i, col := range cs {
		counts := make([]int, bins)
		for _, v := range col.tripPnL {
			b := int((v - lo) / width)
			counts[min(max(b, 0), bins-1)]++
		}
		data := make([]opts.BarData, bins)
		for b, n := range counts {
			data[b] = opts.BarData{Value: n}
		}
		c.AddSeries(s.Strategies[i].Name, data)
	}
	return c
}

// name lets a long instance name wrap before its "@model" (and after '-' as browsers do)
// rather than widen every table.
func name(s string) template.HTML {
	base, model, ok := strings.Cut(s, "@")
	if !ok {
		return template.HTML(template.HTMLEscapeString(s))
	}
	return template.HTML(template.HTMLEscapeString(base) + "<wbr>@" + template.HTMLEscapeString(model))
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"pct": Pct, "name": name, "join": func(s []string) string { return strings.Join(s, ", ") }}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{{.Generate}}">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 6px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
th { background: #f5f6f8; font-weight: 600; } td.l, th.l { text-align: left; }
.wrap { overflow-x: auto; } .muted { color: #777; } .fault { color: #b3261e; }
pre { background: #f7f7f9; padding: 10px; overflow-x: auto; font-size: 12px; }
.container { margin: 18px 0; } .item { width: 100%; }
td.l, th.l { white-space: normal; max-width: 260px; overflow-wrap: break-word; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 14px 0; }
.card { border: 1px solid #e3e5e8; border-radius: 8px; padding: 10px 14px; min-width: 220px; max-width: 300px; flex: 1 1 220px; }
.card .name { font-weight: 600; overflow-wrap: anywhere; } .card .big { font-size: 26px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .kv { display: grid; grid-template-columns: auto auto; gap: 2px 12px; font-size: 13px; color: #444; } .card .kv span:nth-child(even) { text-align: right; font-variant-numeric: tabular-nums; }
.up { color: #2e7d32; } .down { color: #c62828; } tr.win td.pnl { color: #2e7d32; } tr.loss td.pnl { color: #c62828; }
.notes { color: #555; font-size: 13px; } .settings td.l { max-width: none; overflow-wrap: anywhere; }
</style>
<script>{{.ECharts}}</script>
</head>
<body>
<h1>{{.Title}}</h1>
<div class="muted">{{.Generate}} · mode {{.Run.Mode}} · seed {{.Run.Seed}} · {{.Run.Events}} events, {{.Run.Trades}} trades{{if .Run.FirstTime}} · {{.Run.FirstTime}} → {{.Run.LastTime}}{{end}}</div>

<div class="cards">
{{range .Cards}}<div class="card"><div class="name"><span style="color:{{.Color}}">{{.Marker}}</span> {{name .Name}}{{if .Fault}} <span class="fault">stopped</span>{{end}}</div>
<div class="big {{if .Up}}up{{else if .Down}}down{{end}}">{{.Return}}</div>
<div class="kv"><span>max drawdown</span><span>{{.MaxDD}}</span><span>round trips</span><span>{{.Trips}}</span><span>win rate</span><span>{{.Win}}</span><span>fees</span><span>{{.Fees}}</span><span>final equity</span><span>{{.Final}}</span></div></div>
{{end}}</div>

<h2>Strategies</h2>
{{if .Rows}}{{with (index .Rows 0)}}{{if .AnnualNote}}<p class="notes">n/a: {{.AnnualNote}}.</p>{{end}}{{end}}{{end}}
<div class="wrap"><table>
<tr><th class="l">instance</th><th class="l">model</th><th>return</th><th>CAGR</th><th>max DD</th><th>DD duration</th><th>Sharpe</th><th>Sortino</th><th>Calmar</th><th>B&amp;H</th><th>initial equity</th><th>final equity</th></tr>
{{range .Rows}}<tr><td class="l">{{name .Name}}{{if .Fault}} <span class="fault" title="{{.Fault}}">stopped</span>{{end}}</td><td class="l">{{.Model}}</td><td>{{.Return}}</td><td>{{.CAGR}}</td><td>{{.MaxDD}}</td><td>{{.DDDur}}</td><td>{{.Sharpe}}</td><td>{{.Sortino}}</td><td>{{.Calmar}}</td><td>{{.BuyHold}}</td><td>{{.Initial}} {{.Ccy}}</td><td>{{.Final}} {{.Ccy}}</td></tr>
{{end}}</table></div>
<div class="wrap"><table>
<tr><th class="l">instance</th><th>trips</th><th>open</th><th>fills</th><th>orders</th><th>rejects</th><th>win rate</th><th>profit factor</th><th>expectancy</th><th>exposure</th><th>fees</th><th>turnover</th></tr>
{{range .Rows}}<tr><td class="l">{{name .Name}}</td><td>{{.Trades}}</td><td>{{.Open}}</td><td>{{.Fills}}</td><td>{{.Orders}}</td><td>{{.Rejects}}</td><td>{{.Win}}</td><td>{{.PF}}</td><td>{{.Expectancy}} {{.Ccy}}</td><td>{{.Exposure}}</td><td>{{.Fees}} {{.Ccy}}</td><td>{{.Turnover}} {{.Ccy}}</td></tr>
{{end}}</table></div>
<div class="wrap"><table>
<tr><th class="l">instance</th><th class="l">type</th><th class="l">parameters</th><th class="l">period (event time, UTC)</th><th class="l">initial balances</th><th class="l">final balances</th></tr>
{{range .Rows}}<tr><td class="l">{{name .Name}}</td><td class="l">{{.Type}}</td><td class="l">{{.Params}}</td><td class="l">{{.Period}}</td><td class="l">{{.InitialBalances}}</td><td class="l">{{.FinalBalance}}</td></tr>
{{end}}</table></div>
{{if .Bands}}
<h2>Range across fill models</h2>
<p>How much of each result the fill assumptions alone explain: the lowest and highest value of each metric over the fill models the instance ran under. A range, not a ranking: with resting orders or partial fills a more adverse model can end better.</p>
<div class="wrap"><table><tr><th class="l">instance</th><th class="l">models</th>{{range (index .Bands 0).Metrics}}<th>{{.Name}}</th>{{end}}</tr>
{{range .Bands}}<tr><td class="l">{{.Name}}</td><td class="l">{{join .Models}}</td>{{range .Metrics}}<td>{{.Min}} … {{.Max}}</td>{{end}}</tr>
{{end}}</table></div>
{{end}}
<h2>Per pair</h2>
<div class="wrap"><table>
<tr><th class="l">instance</th><th class="l">pair</th><th>fills</th><th>trips</th><th>win</th><th>PF</th><th>PnL (quote)</th><th>fees</th><th>volume</th><th>turnover</th><th>net position</th><th>B&amp;H</th></tr>
{{range .PairRows}}<tr><td class="l">{{name .Strategy}}</td><td class="l">{{.Pair}}</td><td>{{.Fills}}</td><td>{{.Trades}}</td><td>{{.Win}}</td><td>{{.PF}}</td><td>{{.PnL}}</td><td>{{.Fees}}</td><td>{{.Volume}}</td><td>{{.Turnover}}</td><td>{{.Position}}</td><td>{{.BuyHold}}</td></tr>
{{end}}</table></div>

<h2>Round trips</h2>
{{if .Trips}}<p class="notes">The last {{len .Trips}} closed round trips (at most 50 per instance), oldest first; PnL in the pair's quote currency, after fees.</p>
<div class="wrap"><table>
<tr><th class="l">instance</th><th class="l">pair</th><th class="l">side</th><th class="l">opened (UTC)</th><th class="l">closed</th><th>held</th><th>qty</th><th>fills</th><th>fees</th><th>PnL</th></tr>
{{range .Trips}}<tr class="{{if .Win}}win{{else if .Loss}}loss{{end}}"><td class="l">{{name .Strategy}}</td><td class="l">{{.Pair}}</td><td class="l">{{.Side}}</td><td class="l">{{.Open}}</td><td class="l">{{.Close}}</td><td>{{.Held}}</td><td>{{.Qty}}</td><td>{{.Fills}}</td><td>{{.Fees}}</td><td class="pnl">{{.PnL}}</td></tr>
{{end}}</table></div>
{{else}}<p class="notes">No round trip closed.</p>{{end}}

<h2>Charts</h2>
{{range .Notes}}<p class="notes">{{.}}</p>
{{end}}{{range .Charts}}{{.}}
{{end}}
<h2>Run settings</h2>
<table class="settings">
<tr><th class="l">version</th><td class="l">{{.Run.Version}}</td></tr>
<tr><th class="l">seed</th><td class="l">{{.Run.Seed}}</td></tr>
<tr><th class="l">fill models</th><td class="l">{{range $i, $m := .Run.FillModels}}{{if $i}}, {{end}}{{$m}}{{end}}</td></tr>
{{if .Run.Config}}<tr><th class="l">config</th><td class="l">{{.Run.Config}} <span class="muted">sha256 {{.Run.ConfigHash}}</span></td></tr>{{end}}
{{if .Run.From}}<tr><th class="l">from</th><td class="l">{{.Run.From}}</td></tr>{{end}}
{{if .Run.To}}<tr><th class="l">to</th><td class="l">{{.Run.To}}</td></tr>{{end}}
{{range .Run.Data}}<tr><th class="l">data</th><td class="l">{{.Path}} <span class="muted">{{.Bytes}} bytes, sha256 {{.SHA256}}</span></td></tr>
{{end}}{{if .Run.Manifest}}<tr><th class="l">manifest</th><td class="l muted">sha256 {{.Run.Manifest}}</td></tr>{{end}}
</table>
{{if .Config}}<pre>{{.Config}}</pre>{{end}}
</body>
</html>
`))
