package dashboard

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
)

// message is one server-sent event: the whole state (Full) or what changed since the page's
// cursor. Instances, gaps and health are always complete (they are small); series and fills
// are incremental.
type message struct {
	Full      bool               `json:"full"`
	Title     string             `json:"title"`
	Mode      string             `json:"mode"`
	Started   string             `json:"started"`
	Now       string             `json:"now"` // event time reached
	Events    uint64             `json:"events"`
	Pairs     []string           `json:"pairs"`
	Instances []instView         `json:"instances"`
	Equity    map[string][]point `json:"equity"`
	Prices    map[string][]point `json:"prices"`
	// ResetEquity and ResetPrices name the series whose points replace what the page holds
	// (its first message, or the series re-bucketed); the others' points extend it.
	ResetEquity []string `json:"reset_equity,omitempty"`
	ResetPrices []string `json:"reset_prices,omitempty"`
	// Buckets is each price series' bucket width in seconds (fill markers are placed on
	// their bucket's candle).
	Buckets map[string]int64 `json:"buckets"`
	Fills   []fillRow        `json:"fills"`
	Gaps    []gapRow         `json:"gaps"`
	Health  *Health          `json:"health,omitempty"`
}

type instView struct {
	Name      string     `json:"name"`
	Type      string     `json:"type"`
	Currency  string     `json:"currency"`
	Pairs     []string   `json:"pairs"`
	Equity    string     `json:"equity"`
	Return    string     `json:"return"` // since the first equity sample of this session, percent
	Fills     uint64     `json:"fills"`
	Orders    uint64     `json:"orders"`
	Rejects   uint64     `json:"rejects"`
	Status    string     `json:"status"`
	Positions []posView  `json:"positions"`
	Balances  []balView  `json:"balances"`
	Open      []orderRow `json:"open"`
}

type posView struct {
	Pair       string `json:"pair"`
	Qty        string `json:"qty"`
	AvgEntry   string `json:"avg_entry"`
	Realised   string `json:"realised"`
	Unrealised string `json:"unrealised"`
	// Margin describes a spot margin position on the pair ("short 0.05 @ 50000.00 3x"), with
	// its unrealised PnL in Unrealised; empty when there is none.
	Margin string `json:"margin,omitempty"`
}

type balView struct {
	Asset string `json:"asset"`
	Total string `json:"total"`
}

// cursor is what one page has already received.
type cursor struct {
	equity map[string]seriesCursor
	prices map[feed.Pair]seriesCursor
	fills  int
}

func newCursor() *cursor {
	return &cursor{equity: map[string]seriesCursor{}, prices: map[feed.Pair]seriesCursor{}}
}

// message builds the next message for the page at c and advances c.
func (h *Hub) message(c *cursor, full bool) *message {
	h.mu.Lock()
	health := h.health
	m := &message{Full: full, Title: h.title, Mode: h.mode, Started: h.started.UTC().Format(time.RFC3339), Events: h.events,
		Equity: map[string][]point{}, Prices: map[string][]point{}, Buckets: map[string]int64{}}
	if !h.now.IsZero() {
		m.Now = h.now.UTC().Format("2006-01-02 15:04:05 MST")
	}
	for _, p := range h.pairs {
		m.Pairs = append(m.Pairs, string(p))
		if full {
			c.prices[p] = seriesCursor{}
		}
		s := h.prices[p]
		pts, reset, next := s.since(c.prices[p])
		c.prices[p] = next
		m.Buckets[string(p)] = s.width()
		if len(pts) > 0 {
			m.Prices[string(p)] = pts
			if reset {
				m.ResetPrices = append(m.ResetPrices, string(p))
			}
		}
	}
	for _, name := range h.order {
		st := h.inst[name]
		m.Instances = append(m.Instances, st.view())
		if full {
			c.equity[name] = seriesCursor{}
		}
		pts, reset, next := st.equity.since(c.equity[name])
		c.equity[name] = next
		if len(pts) > 0 {
			m.Equity[name] = pts
			if reset {
				m.ResetEquity = append(m.ResetEquity, name)
			}
		}
	}
	from := c.fills - h.fillBase
	if from < 0 {
		from = 0
	}
	if full && len(h.fills)-from > tableRows {
		from = len(h.fills) - tableRows
	}
	m.Fills = append([]fillRow(nil), h.fills[from:]...)
	c.fills = h.fillBase + len(h.fills)
	m.Gaps = append([]gapRow(nil), h.gaps...)
	h.mu.Unlock()
	if health != nil {
		hv := health()
		hv.LastMessageAgeMS = -1
		if !hv.LastMessage.IsZero() {
			hv.LastMessageAgeMS = time.Since(hv.LastMessage).Milliseconds()
		}
		m.Health = &hv
	}
	return m
}

func (st *instState) view() instView {
	v := instView{Name: st.info.Name, Type: st.info.Type, Currency: st.info.Currency, Fills: st.fills, Orders: st.orders,
		Rejects: st.rejects, Status: "running"}
	for _, p := range st.info.Pairs {
		v.Pairs = append(v.Pairs, string(p))
	}
	switch {
	case st.fault != "":
		v.Status = "stopped: " + st.fault
	case st.lag != "":
		v.Status = "lagging: " + st.lag
	}
	if st.hasLast {
		v.Equity = st.last.StringFixed(2)
		if st.first.Sign() > 0 {
			v.Return = st.last.Div(st.first).Sub(decimal.NewFromInt(1)).Shift(2).StringFixed(3)
		}
	}
	for _, p := range st.led.Positions() {
		pv := posView{Pair: string(p.Pair), Qty: p.Qty.String(), AvgEntry: p.AvgEntry.StringFixed(2),
			Realised: p.RealizedPnL.StringFixed(4), Unrealised: p.UnrealizedPnL.StringFixed(4)}
		if m := p.Margin; m.Open() {
			dir := "long"
			if m.Side == feed.Sell {
				dir = "short"
			}
			pv.Margin = fmt.Sprintf("%s %s @ %s %dx", dir, m.Qty, m.AvgPrice.StringFixed(2), m.Leverage)
			pv.Unrealised = p.UnrealizedPnL.Add(m.UnrealizedPnL).StringFixed(4)
		}
		v.Positions = append(v.Positions, pv)
	}
	for _, b := range st.led.Balances() {
		v.Balances = append(v.Balances, balView{Asset: b.Asset, Total: b.Total.String()})
	}
	for _, id := range st.openIDs {
		v.Open = append(v.Open, *st.open[id])
	}
	return v
}
