package dashboard

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// A margin short shows in the positions table as the pair with "short QTY @ PRICE Nx" and its
// unrealised PnL, and its fill does not move the balances as a spot sale would.
func TestHubMarginPosition(t *testing.T) {
	h := testHub()
	h.Observe([]feed.Event{trade("BTC/USD", 0, "50000")})
	f := fill("grid-btc", "BTC/USD", 1, feed.Sell, "50000", "0.1")
	f.Fill.Leverage = 3
	h.Record(f)
	h.Record(&engine.Record{Instance: "grid-btc", Kind: engine.RecordMargin, Time: f.Time, Margin: strategy.MarginEvent{
		Kind: strategy.MarginFill, Order: "OX", Pair: "BTC/USD", Side: feed.Sell, Qty: decimal.RequireFromString("0.1"),
		Price: decimal.RequireFromString("50000"), Cost: decimal.RequireFromString("5000"), Fee: decimal.RequireFromString("0.5"),
		OpenFee: decimal.RequireFromString("0.5"), Leverage: 3, Time: f.Time}})
	h.Observe([]feed.Event{trade("BTC/USD", 2, "49000")})
	g := h.message(newCursor(), true).Instances[0]
	if len(g.Positions) != 1 || g.Positions[0].Margin != "short 0.1 @ 50000.00 3x" || g.Positions[0].Unrealised != "100.0000" {
		t.Fatalf("positions %+v", g.Positions)
	}
	if len(g.Balances) != 1 || g.Balances[0].Asset != "USD" || g.Balances[0].Total != "9999" {
		t.Fatalf("balances %+v: a margin sale moves only its fees", g.Balances)
	}
}
