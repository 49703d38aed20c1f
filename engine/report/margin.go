package report

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/strategy"
)

// MarginSummary is an instance's Kraken spot margin activity; Strategy.Margin is nil for an
// instance that never traded on margin. Fees are in the account currency (pairs quoted in
// it); opening fees are also inside the fills' fees, rollover fees are not fills and are
// added to Strategy.Fees here.
type MarginSummary struct {
	Fills        uint64 `json:"fills"`
	Settlements  uint64 `json:"settlements"`
	Rollovers    uint64 `json:"rollovers"`
	OpeningFees  string `json:"opening_fees"`
	RolloverFees string `json:"rollover_fees"`
	MarginCalls  uint64 `json:"margin_calls"`
	Liquidations uint64 `json:"liquidations"`
	// LowestLevel is the lowest margin level (percent) seen at a call or liquidation; empty
	// when there was none.
	LowestLevel string `json:"lowest_margin_level,omitempty"`
}

type marginAcc struct {
	any                       bool
	fills, settles, rolls     uint64
	calls, liqs               uint64
	openFees, rollFees, level decimal.Decimal
	hasLevel                  bool
}

// margin consumes a margin record.
func (c *Collector) margin(m *strategy.MarginEvent) {
	a := &c.marg
	a.any = true
	inCcy := m.Pair != "" && m.Pair.Quote() == c.in.AccountCurrency
	switch m.Kind {
	case strategy.MarginFill:
		a.fills++
		if inCcy {
			a.openFees = a.openFees.Add(m.OpenFee)
		}
	case strategy.MarginRollover:
		a.rolls++
		if q := m.Pair.Quote(); q != "" {
			c.fees[q] = c.fees[q].Add(m.Fee) // fees paid include rollovers
		}
		if inCcy {
			a.rollFees = a.rollFees.Add(m.Fee)
		}
	case strategy.MarginSettle:
		a.settles++
	case strategy.MarginCall, strategy.MarginLiquidation:
		if m.Kind == strategy.MarginCall {
			a.calls++
		} else {
			a.liqs++
		}
		if !a.hasLevel || m.Level.LessThan(a.level) {
			a.level, a.hasLevel = m.Level, true
		}
	}
}

// marginSummary is the instance's margin summary, nil without margin activity.
func (c *Collector) marginSummary() *MarginSummary {
	a := &c.marg
	if !a.any {
		return nil
	}
	s := &MarginSummary{Fills: a.fills, Settlements: a.settles, Rollovers: a.rolls, MarginCalls: a.calls, Liquidations: a.liqs,
		OpeningFees: a.openFees.String(), RolloverFees: a.rollFees.String()}
	if a.hasLevel {
		s.LowestLevel = a.level.StringFixed(2)
	}
	return s
}

// marginNote is the terminal table's note for an instance that traded on margin.
func marginNote(st *Strategy) string {
	m := st.Margin
	if m == nil {
		return ""
	}
	n := fmt.Sprintf("%s margin: %d fills, opening fees %s, rollover fees %s (%d), %d settled, %d margin calls, %d liquidations",
		st.Name, m.Fills, Money(m.OpeningFees), Money(m.RolloverFees), m.Rollovers, m.Settlements, m.MarginCalls, m.Liquidations)
	if m.LowestLevel != "" {
		n += ", lowest level " + m.LowestLevel + "%"
	}
	return n
}
