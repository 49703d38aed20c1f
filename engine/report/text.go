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
// when instances ran under several fill models, the PnL band per base instance.
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
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PnL band\tpessimistic\tdefault\toptimistic\trange\t")
	for _, b := range bands {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s .. %s\t\n", b.Name, Pct(b.ByModel["pessimistic"]), Pct(b.ByModel["default"]), Pct(b.ByModel["optimistic"]), Pct(b.Min), Pct(b.Max))
	}
	return tw.Flush()
}

// Band is the range of one instance's return across the fill models it ran under.
type Band struct {
	Name     string // the instance name without "@model"
	ByModel  map[string]Num
	Min, Max Num
}

// Bands groups instances named "name@model" by name; only names that ran under more than
// one model are listed, in order of first appearance.
func Bands(s *Summary) []Band {
	var out []Band
	for i := range s.Strategies {
		st := &s.Strategies[i]
		base, _, ok := strings.Cut(st.Name, "@")
		if !ok {
			continue
		}
		j := slices.IndexFunc(out, func(b Band) bool { return b.Name == base })
		if j < 0 {
			out = append(out, Band{Name: base, ByModel: map[string]Num{}, Min: Num(math.Inf(1)), Max: Num(math.Inf(-1))})
			j = len(out) - 1
		}
		b := &out[j]
		b.ByModel[st.FillModel] = st.Return
		if st.Return.Valid() {
			b.Min = min(b.Min, st.Return)
			b.Max = max(b.Max, st.Return)
		}
	}
	return slices.DeleteFunc(out, func(b Band) bool { return len(b.ByModel) < 2 })
}
