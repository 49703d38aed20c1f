package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/shopspring/decimal"
)

// Pct formats a ratio as a percentage with two decimals ("12.34%"), "-" when undefined.
func Pct(n Num) string {
	if !n.Valid() {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", float64(n)*100)
}

// Fixed2 formats a number with two decimals, "-" when undefined.
func Fixed2(n Num) string {
	if !n.Valid() {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(n))
}

// Money formats a decimal string with two decimals.
func Money(s string) string {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return s
	}
	return d.StringFixed(2)
}

// WriteTable writes the terminal summary: one row per instance with its key metrics, then,
// when instances ran under several fill models, the range of each headline metric across them per base instance.
func WriteTable(w io.Writer, s *Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "strategy\tmodel\treturn\tmax dd\tsharpe\tsortino\ttrades\twin\tPF\tfees\tfinal equity\tB&H\t")
	for i := range s.Strategies {
		st := &s.Strategies[i]
		name := st.Name
		if st.Fault != "" {
			name += " (stopped)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s %s\t%s\t\n",
			name, st.FillModel, Pct(st.Return), Pct(st.MaxDD), Fixed2(st.Sharpe), Fixed2(st.Sortino),
			st.Trades, Pct(st.WinRate), Fixed2(st.ProfitFactor), Money(st.Fees),
			Money(st.FinalEquity), st.AccountCurrency, Pct(st.BuyHold))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	bands := Bands(s)
	if len(bands) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Range across fill models (how much of each result the fill assumptions alone explain; a range, not a ranking of the models):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "strategy	models	")
	for _, m := range bands[0].Metrics {
		fmt.Fprintf(tw, "%s	", m.Name)
	}
	fmt.Fprintln(tw)
	for _, b := range bands {
		fmt.Fprintf(tw, "%s	%s	", b.Name, strings.Join(b.Models, ","))
		for _, m := range b.Metrics {
			fmt.Fprintf(tw, "%s .. %s	", m.Min, m.Max)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
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
	// Metrics are the ranges of the headline metrics (return, max drawdown, Sharpe, trades,
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
		return MetricRange{Name: name, Min: lo.StringFixed(2), Max: hi.StringFixed(2)}
	}
	return []MetricRange{
		num("return", func(s *Strategy) Num { return s.Return }, Pct),
		num("max dd", func(s *Strategy) Num { return s.MaxDD }, Pct),
		num("sharpe", func(s *Strategy) Num { return s.Sharpe }, Fixed2),
		num("trades", func(s *Strategy) Num { return Num(s.Trades) }, func(n Num) string { return fmt.Sprint(int(n)) }),
		dec("fees", func(s *Strategy) string { return s.Fees }),
		dec("final equity", func(s *Strategy) string { return s.FinalEquity }),
	}
}
