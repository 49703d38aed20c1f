// Package ledger keeps one simulated account's books: balances per asset (total and the part
// reserved by open orders), positions per pair with their cost basis and realised PnL, the
// last price of every pair for unrealised PnL, and equity in the account currency.
//
// The simulator (engine/sim) is the only writer: it reserves funds when an order is accepted,
// applies fills with Trade, resizes a reservation as the order fills and releases it when
// the order ends. Everything is exact decimal arithmetic; nothing is float.
//
// # Units
//
// Balances are in their asset. A fill moves Qty of the base asset and Cost (price × quantity,
// already rounded by the simulator) of the quote asset; the fee is charged in the quote asset,
// or in the base asset when the order asked for it (Kraken's fcib: a buy receives Qty − fee,
// a sell delivers Qty + fee). Either way the account loses exactly the fee, so assets are
// conserved: what leaves the account is the fill's counter-asset and the fee.
// Realised and unrealised PnL are in the pair's quote currency; equity is in the account
// currency.
//
// # Margin
//
// Kraken spot margin positions (MarginTrade, Rollover, Settle; see margin.go) are kept per
// pair beside the spot positions: opening one moves no balance, closing it realises its PnL
// in quote, fees are charged from the quote balance. Equity adds their unrealised PnL;
// MarginAccount reports used and free margin and the margin level.
//
// # Invariants (Check verifies them; tests call it after every step)
//
//   - no balance total is negative, except in an asset a margin settlement took below zero
//     (a debt to the venue, which Kraken's liquidations exist to avoid);
//   - 0 ≤ reserved ≤ total for every asset;
//   - each asset's reserved amount equals the sum of the reservations held for it, and no
//     reservation is negative;
//   - no position quantity is negative (spot: a position is what was bought through the pair
//     and not yet sold);
//   - an open margin position has a side, a positive quantity, a non-negative cost and a
//     leverage; a closed one holds nothing.
//
// Trade refuses (and changes nothing) when a fill would break the first two: a buy whose cost
// plus fee exceeds the order's reservation plus the free quote balance, or a sell of more base
// than the order's reservation plus the free base balance.
//
// # PnL conventions
//
// Buying adds the fill's cost to the position's cost basis and subtracts its fee from realised
// PnL; AvgEntry is cost basis / quantity (fees excluded). Selling realises proceeds minus the
// cost basis of the quantity sold (pro rata) minus the fee. Selling more than the position
// holds (e.g. base that was deposited, not bought) realises only the fee on the excess and
// leaves the position at zero: deposited inventory has no cost basis in this ledger. A fee
// charged in base is valued at the fill price in realised PnL; on a buy the position holds
// Qty − fee at the fill price, on a sell the fee's base leaves the position at its cost basis. Equity,
// which is computed from balances, is unaffected by these conventions.
//
// # Determinism
//
// Every list a Ledger returns (balances, positions) is sorted by name; no map iteration order
// reaches an output. Equity converts through pairs in sorted order (see Equity).
//
// A Ledger is not safe for concurrent use: it belongs to one engine worker.
package ledger
