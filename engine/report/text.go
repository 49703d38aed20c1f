package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/shopspring/decimal"
)

// MaxNumberWidth is the widest number any table or report prints: 15 characters. Wider
// values (a profit factor over a near-zero loss, an exotic balance) switch to three
// significant digits in scientific notation, so one absurd value cannot push a table off
// the screen or hide its neighbours.
const MaxNumberWidth = 15

// Pct formats a ratio as a percentage with two decimals ("12.34%"), "-" when undefined.
func Pct(n Num) string {
	if !n.Valid() {
		return "-"
	}
	v := float64(n) * 100
	s := fmt.Sprintf("%.2f%%", v)
	switch {
	case len(s) > MaxNumberWidth:
		s = strconv.FormatFloat(v, 'g', 3, 64) + "%"
	case v != 0 && math.Abs(v) < 0.005:
		// Not "-0.00%": a loss too small for two decimals still shows its sign and size.
		s = strconv.FormatFloat(v, 'g', 2, 64) + "%"
		if strings.Contains(s, "e") {
			s = fmt.Sprintf("%.6f%%", v)
		}
	}
	return s
}

// Fixed2 formats a number with two decimals, "-" when undefined.
func Fixed2(n Num) string {
	if !n.Valid() {
		return "-"
	}
	s := fmt.Sprintf("%.2f", float64(n))
	if len(s) > MaxNumberWidth {
		s = strconv.FormatFloat(float64(n), 'g', 3, 64)
	}
	return s
}

// Money formats a decimal string with two decimals; "n/a" when there is no value (an
// account that could not be valued).
func Money(s string) string {
	if s == "" {
		return "n/a"
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return s
	}
	out := d.StringFixed(2)
	if len(out) > MaxNumberWidth {
		out = strconv.FormatFloat(d.InexactFloat64(), 'g', 3, 64)
	}
	return out
}

// Qty formats a decimal quantity as it is (exact), or in scientific notation with three
// significant digits when that is wider than MaxNumberWidth.
func Qty(s string) string {
	d, err := decimal.NewFromString(s)
	if err != nil || len(s) <= MaxNumberWidth {
		return s
	}
	t := d.String()
	if len(t) > MaxNumberWidth {
		// Trim decimals first: 0.000123456789012 → 0.0001234568 reads better than 1.23e-04.
		for places := int32(10); places >= 0 && len(t) > MaxNumberWidth; places -= 2 {
			t = d.Round(places).String()
		}
		if len(t) > MaxNumberWidth {
			t = strconv.FormatFloat(d.InexactFloat64(), 'g', 3, 64)
		}
	}
	return t
}

// TableWidth is the terminal width WriteTable keeps to for instance names up to 20
// characters and ordinary numbers (returns to ±999%, equity below 10^9): 100 columns.
const TableWidth = 100

// nameWidth is the longest instance name the table prints whole.
const nameWidth = 20

// WriteTable writes the terminal summary: one row per instance with its key metrics, then,
// when instances ran under several fill models, the range of the headline metrics across
// them per base instance. It keeps to TableWidth columns: names longer than 20 characters
// are shortened with "…", the account currency is named once in the header when all
// instances share it, and win rate, Sortino, CAGR and Calmar are left to summary.json and
// the HTML report. "trips" counts closed round trips (a position opened and closed), "fills" the
// fills that made them, "rej" the orders the simulated exchange rejected.
func WriteTable(w io.Writer, s *Summary) error {
	ccy := ""
	for i, st := range s.Strategies {
		if i == 0 {
			ccy = st.AccountCurrency
		} else if st.AccountCurrency != ccy {
			ccy = ""
		}
	}
	eqHead := "equity"
	if ccy != "" {
		eqHead = "equity " + ccy
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	names := make([]string, len(s.Strategies))
	for i, st := range s.Strategies {
		names[i] = shorten(st.Name, nameWidth)
		if st.Fault != "" {
			names[i] = shorten(st.Name, nameWidth-1) + "!"
		}
	}
	pad := leftAligned(append([]string{"strategy"}, names...))
	fmt.Fprintf(tw, "%s\treturn\tmax dd\tsharpe\ttrips\tfills\trej\tfees\t%s\tB&H\t\n", pad[0], eqHead)
	var notes []string
	for i := range s.Strategies {
		st := &s.Strategies[i]
		name := pad[i+1]
		if st.Fault != "" {
			notes = append(notes, fmt.Sprintf("! %s stopped: %s", st.Name, st.Fault))
		}
		if n := marginNote(st); n != "" {
			notes = append(notes, n)
		}
		eq := Money(st.FinalEquity)
		if ccy == "" {
			eq += " " + st.AccountCurrency
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t\n",
			name, Pct(st.Return), Pct(st.MaxDD), Fixed2(st.Sharpe), st.Trades, st.Fills, st.Rejects,
			Money(st.Fees), eq, Pct(st.BuyHold))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Strategies) > 0 && s.Strategies[0].AnnualNote != "" {
		notes = append(notes, "sharpe -: "+s.Strategies[0].AnnualNote)
	}
	for _, n := range notes {
		fmt.Fprintln(w, wrap(n, TableWidth))
	}
	bands := Bands(s)
	if len(bands) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, wrap("Range across fill models, lowest..highest (how much of each result the fill assumptions alone explain; a range, not a ranking of the models):", TableWidth))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	bnames := make([]string, 0, len(bands)+1)
	bnames = append(bnames, "strategy")
	for _, b := range bands {
		bnames = append(bnames, shorten(b.Name, nameWidth))
	}
	bnames = leftAligned(bnames)
	fmt.Fprintf(tw, "%s\t", bnames[0])
	keep := func(name string) bool { return !strings.HasPrefix(name, "sharpe") && name != "fees" } // to fit 100 columns; the HTML report has them
	for _, m := range bands[0].Metrics {
		if keep(m.Name) {
			fmt.Fprintf(tw, "%s\t", m.Name)
		}
	}
	fmt.Fprintln(tw, "models\t")
	for i, b := range bands {
		fmt.Fprintf(tw, "%s\t", bnames[i+1])
		for _, m := range b.Metrics {
			if keep(m.Name) {
				fmt.Fprintf(tw, "%s..%s\t", m.Min, m.Max)
			}
		}
		fmt.Fprintf(tw, "%d\t\n", len(b.Models))
	}
	return tw.Flush()
}

// leftAligned pads names to one width so that a right-aligning tabwriter shows them
// left-aligned.
func leftAligned(names []string) []string {
	w := 0
	for _, n := range names {
		w = max(w, len([]rune(n)))
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + strings.Repeat(" ", w-len([]rune(n)))
	}
	return out
}

// shorten cuts s to n runes, marking the cut with "…". A name@model keeps its model (the
// instances of one name differ only there) when the model leaves room for a base.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		base, model := []rune(s[:i]), []rune(s[i:])
		if keep := n - 1 - len(model); keep >= 4 {
			return string(base[:min(keep, len(base))]) + "…" + string(model)
		}
	}
	return string(r[:n-1]) + "…"
}

// wrap breaks text at spaces into lines of at most width runes (a longer word stays whole).
func wrap(text string, width int) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(text) {
		n := len([]rune(word))
		if i > 0 {
			if line+1+n > width {
				b.WriteString("\n  ")
				line = 2
			} else {
				b.WriteByte(' ')
				line++
			}
		}
		b.WriteString(word)
		line += n
	}
	return b.String()
}

// Band is the range of one instance's results across the fill models it ran under. It says how
// much of a result depends on fill assumptions; it does not order the models (with resting
// orders or partial fills, a more adverse model can end with a better result).
type Band struct {
	Name    string         // the instance name without "@model"
	Models  []string       // the models it ran under, in order of appearance
	ByModel map[string]Num // return per model
	Min     Num            // lowest return
	Max     Num            // highest return
	// Metrics are the ranges of the headline metrics (return, max drawdown, per-period Sharpe, trades,
	// fees, final equity), each formatted as in the summary table.
	Metrics []MetricRange
}

// MetricRange is one metric's lowest and highest value across fill models, formatted.
type MetricRange struct {
	Name     string
	Min, Max string
}

// Bands groups instances named "name@model" by name; only names that ran under more than
// one model are listed, in order of first appearance.
func Bands(s *Summary) []Band {
	var out []Band
	var members [][]*Strategy
	for i := range s.Strategies {
		st := &s.Strategies[i]
		base, _, ok := strings.Cut(st.Name, "@")
		if !ok {
			continue
		}
		j := slices.IndexFunc(out, func(b Band) bool { return b.Name == base })
		if j < 0 {
			out = append(out, Band{Name: base, ByModel: map[string]Num{}, Min: Num(math.Inf(1)), Max: Num(math.Inf(-1))})
			members = append(members, nil)
			j = len(out) - 1
		}
		b := &out[j]
		b.Models = append(b.Models, st.FillModel)
		members[j] = append(members[j], st)
		b.ByModel[st.FillModel] = st.Return
		if st.Return.Valid() {
			b.Min = min(b.Min, st.Return)
			b.Max = max(b.Max, st.Return)
		}
	}
	for j := range out {
		out[j].Metrics = metricRanges(members[j])
	}
	return slices.DeleteFunc(out, func(b Band) bool { return len(b.ByModel) < 2 })
}

// metricRanges computes the headline metrics' ranges over one instance's model runs.
func metricRanges(sts []*Strategy) []MetricRange {
	num := func(name string, get func(*Strategy) Num, format func(Num) string) MetricRange {
		lo, hi := Num(math.Inf(1)), Num(math.Inf(-1))
		for _, st := range sts {
			if v := get(st); v.Valid() {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		if lo > hi {
			return MetricRange{Name: name, Min: "-", Max: "-"}
		}
		return MetricRange{Name: name, Min: format(lo), Max: format(hi)}
	}
	dec := func(name string, get func(*Strategy) string) MetricRange {
		var lo, hi decimal.Decimal
		n := 0
		for _, st := range sts {
			d, err := decimal.NewFromString(get(st))
			if err != nil {
				continue
			}
			if n == 0 || d.LessThan(lo) {
				lo = d
			}
			if n == 0 || d.GreaterThan(hi) {
				hi = d
			}
			n++
		}
		if n == 0 {
			return MetricRange{Name: name, Min: "-", Max: "-"}
		}
		return MetricRange{Name: name, Min: Money(lo.String()), Max: Money(hi.String())}
	}
	return []MetricRange{
		num("return", func(s *Strategy) Num { return s.Return }, Pct),
		num("max dd", func(s *Strategy) Num { return s.MaxDD }, Pct),
		num("sharpe/period", func(s *Strategy) Num { return s.SharpePeriod }, func(n Num) string { return strconv.FormatFloat(float64(n), 'g', 4, 64) }),
		num("trades", func(s *Strategy) Num { return Num(s.Trades) }, func(n Num) string { return fmt.Sprint(int(n)) }),
		dec("fees", func(s *Strategy) string { return s.Fees }),
		dec("final equity", func(s *Strategy) string { return s.FinalEquity }),
	}
}
