package ledger

import (
	"errors"
	"fmt"
	"slices"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// Snapshot is the part of a ledger that survives a restart: every asset's total balance and
// every traded pair's position with its exact cost basis and realised PnL. Reservations are
// not in it (they belong to open orders, which the simulator re-reserves when it restores
// them) and neither are last prices (the market after the restart sets them).
//
// Lists are sorted by asset and by pair, so equal ledgers give equal snapshots, byte for
// byte once encoded. Amounts are decimals and encode to JSON as strings.
type Snapshot struct {
	Currency  string             `json:"currency"`
	Balances  []BalanceSnapshot  `json:"balances"`
	Positions []PositionSnapshot `json:"positions,omitempty"`
	// Margin lists the open spot margin positions (absent when there are none, so a spot
	// account's snapshot is what it was before margin existed).
	Margin []MarginSnapshot `json:"margin,omitempty"`
	// Debts lists the assets whose negative balance a margin settlement caused (sorted);
	// only these may be negative.
	Debts []string `json:"debts,omitempty"`
}

// BalanceSnapshot is one asset's total balance.
type BalanceSnapshot struct {
	Asset string          `json:"asset"`
	Total decimal.Decimal `json:"total"`
}

// PositionSnapshot is one pair's position: Qty base bought through the pair and not sold,
// Basis the quote paid for it (fees excluded), Realised the PnL realised so far (after fees).
type PositionSnapshot struct {
	Pair     feed.Pair       `json:"pair"`
	Qty      decimal.Decimal `json:"qty"`
	Basis    decimal.Decimal `json:"basis"`
	Realised decimal.Decimal `json:"realised"`
}

// Snapshot returns the ledger's balances and positions (see Snapshot). Assets whose total is
// zero are kept: an asset the account has touched stays listed after a restart.
func (l *Ledger) Snapshot() Snapshot {
	s := Snapshot{Currency: l.ccy, Balances: make([]BalanceSnapshot, 0, len(l.assets))}
	for _, a := range l.assets {
		s.Balances = append(s.Balances, BalanceSnapshot{Asset: a, Total: l.bal[a].total})
	}
	for _, pr := range l.pairs {
		if p := l.pos[pr]; p.traded {
			s.Positions = append(s.Positions, PositionSnapshot{Pair: pr, Qty: p.qty, Basis: p.basis, Realised: p.realised})
		}
	}
	s.Margin = l.marginSnapshot()
	for _, a := range l.assets {
		if l.debt[a] && l.bal[a].total.Sign() < 0 {
			s.Debts = append(s.Debts, a)
		}
	}
	return s
}

// Restore replaces the ledger's balances and positions with s. It is meant for a ledger that
// holds no reservation yet (a new account being resumed from its journal): it fails, and
// changes nothing, if any order holds a reservation, if s names an asset or a pair twice, or
// if a balance, position quantity or basis is negative. Last prices already marked are kept.
// The account currency stays the ledger's own; a snapshot taken in another currency is
// refused, since equity would silently change meaning.
func (l *Ledger) Restore(s Snapshot) error {
	if len(l.res) > 0 {
		return errors.New("ledger: restore: orders already hold reservations")
	}
	if s.Currency != "" && s.Currency != l.ccy {
		return fmt.Errorf("ledger: restore: snapshot is in %s, the account in %s", s.Currency, l.ccy)
	}
	seenA := make(map[string]bool, len(s.Balances))
	for _, b := range s.Balances {
		switch {
		case b.Asset == "":
			return errors.New("ledger: restore: balance with an empty asset")
		case seenA[b.Asset]:
			return fmt.Errorf("ledger: restore: asset %s listed twice", b.Asset)
		case b.Total.Sign() < 0 && !slices.Contains(s.Debts, b.Asset):
			return fmt.Errorf("ledger: restore: %s balance %s is negative", b.Asset, b.Total)
		}
		seenA[b.Asset] = true
	}
	seenP := make(map[feed.Pair]bool, len(s.Positions))
	for _, p := range s.Positions {
		switch {
		case p.Pair == "":
			return errors.New("ledger: restore: position with an empty pair")
		case seenP[p.Pair]:
			return fmt.Errorf("ledger: restore: pair %s listed twice", p.Pair)
		case p.Qty.Sign() < 0 || p.Basis.Sign() < 0:
			return fmt.Errorf("ledger: restore: %s position %s (basis %s) is negative", p.Pair, p.Qty, p.Basis)
		}
		seenP[p.Pair] = true
	}
	if err := checkMarginSnapshot(s.Margin); err != nil {
		return err
	}
	for _, a := range l.assets {
		b := l.bal[a]
		b.total, b.reserved = decimal.Zero, decimal.Zero
	}
	for _, b := range s.Balances {
		l.account(b.Asset).total = b.Total
	}
	for _, pr := range l.pairs {
		p := l.pos[pr]
		p.qty, p.basis, p.realised, p.traded = decimal.Zero, decimal.Zero, decimal.Zero, false
	}
	for _, ps := range s.Positions {
		p := l.position(ps.Pair)
		p.qty, p.basis, p.realised, p.traded = ps.Qty, ps.Basis, ps.Realised, true
	}
	l.restoreMargin(s.Margin)
	l.debt = nil
	for _, a := range s.Debts {
		l.noteDebt(a)
	}
	return nil
}
