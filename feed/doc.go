// Package feed is papertrade's market-data vocabulary: pairs and their trading rules, trades,
// order-book levels and updates, a maintained L2 book, tickers, candles, exchange status and
// the Event that carries any of them from a source to the engine.
//
// Units: a price is quote currency per one unit of base; a quantity is in base units; a cost
// or fee is in quote units. Money and quantities are exact: decimal.Decimal in the public API,
// and Fixed (an int64 mantissa with the number of decimals it was sent with) inside order
// books, where Kraken's checksums need the wire text at full precision.
//
// Time: Event.Time is the exchange's time for the message (zero when Kraken sends none),
// Event.Recv the local receive time. Everything downstream of a Source reads time only from
// events.
//
// Events are immutable once sent: a Source hands each batch to its receiver and never touches
// it again, and receivers share events read-only.
package feed
