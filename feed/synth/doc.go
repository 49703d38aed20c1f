// Package synth generates a seeded synthetic market — trades and L2 order books for several
// pairs — for the demo, the Kraken look-alike test server, synthetic recordings, tests and
// benchmarks.
//
// # Use
//
// New validates a Config (one PairConfig per pair: its feed.PairInfo, a start price, book
// depth, rates, volatility) and returns a Market. Market.Next appends the next step's
// events; Market.Source runs the market as a feed.Source, as fast as possible or paced in
// wall time. Market.Book returns a pair's current book. Verifier checks any stream against
// the guarantees below; tests of code that consumes this package can use it too.
//
// # Model (per pair)
//
//   - Fair price. A latent fair price F follows a log random walk whose per-step variance
//     is GARCH(1,1) (α 0.08, β 0.90), so calm and wild stretches alternate. Its long-run
//     level gives Volatility per year at the pair's mean step rate. F is reflected to stay
//     within StartPrice ÷/× 1000 (and above the room a full book needs).
//   - Arrivals. Steps arrive as a Hawkes process with an exponential kernel (each step
//     triggers 0.7 more on average, decaying at 5× the mean step rate), simulated exactly:
//     busy bursts and quiet gaps, with mean rate TradeRate + BookRate. A step is a taker
//     order with probability TradeRate / (TradeRate + BookRate), else a book-only change.
//   - Taker orders lean with F's move (buyers when it rises), are market orders 45% of the
//     time, else limit orders at the touch (10% of them priced 1–3 level gaps through it).
//     Sizes are log-normal (median 0.3 × LevelSize). An order takes the touch, and walks on
//     to the next levels while it has quantity and its limit allows (at most 8 levels: the
//     multi-trade sweeps). Half the time, what a limit order could not fill rests at its
//     limit as the new touch of its own side. A taker never empties a side.
//   - Book. Makers quote around F: the ideal bid is ⌊F − SpreadTicks/2⌋ ticks and the ideal
//     ask SpreadTicks above it. After the trades, quotes that F has made stale (bids at or
//     above the ideal ask, asks at or below the ideal bid) are pulled; a few random changes
//     follow (a new size for a level, mostly near the touch; a cancelled level; a new level
//     in a gap); a touch that fell behind the ideal is refilled (always when far behind or
//     empty, else 60% of the time, so spreads sometimes stay wide); each side is then cut
//     back or extended to Depth levels. Resting sizes are log-normal around LevelSize;
//     levels behind the touch are on average LevelGap ticks apart.
//
// # Guarantees
//
// Consistency. For every pair the stream starts with one snapshot (at Config.Start), then
// only updates that list changed levels (quantity 0 deletes). The book a consumer gets by
// applying them is never crossed (best bid < best ask, so the spread is at least one tick),
// and after every step holds exactly Depth levels per side (fewer only while a step is in
// progress, or if the price reaches its bounds). Every level entering or leaving the book is
// sent explicitly, so a feed.Book of depth 0 or ≥ Depth replays the market exactly; a server
// offering smaller subscription depths must re-send levels that move into view itself. A
// trade prints at the touch its taker takes — a buy at the best ask, a sell at the best bid —
// for at most that level's quantity, and is followed directly by the update that takes
// exactly its quantity off that level (or deletes it). So a sweep reads: trade, update,
// trade, update, …, then usually one update that moves and refills the book. All events of
// a step have the same time.
//
// Units. Prices are quote per base and always a positive multiple of the pair's tick;
// quantities are base and a positive multiple of its lot (at least OrderMin for new levels
// and taker orders; a partly taken level may hold less). In book levels both are feed.Fixed
// with Scale exactly PriceDecimals and LotDecimals, as Kraken's checksum at the pair's
// precision needs; trades carry decimal.New(mantissa, -decimals), so their exponents are
// the pair's decimals too. Trade IDs count from 1 per pair; OrdType is the taker's. Event
// Time is exchange time, on the microsecond, non-decreasing; Recv equals Time; API is
// APINone. Book updates carry no checksum (HasChecksum false): a server computes it with
// kraken.Checksum(book, PriceDecimals, LotDecimals).
//
// Determinism. The same Config, seed included, produces the same events, event for event.
// Each pair draws from its own PCG stream seeded from Config.Seed and the pair's name, so a
// pair's events do not depend on the other pairs or their order in the Config (only the
// interleaving of the merged stream does; ties in time go to the smaller pair name). The
// generator reads no clock (Source's pacing aside) and ranges over no map. The latent model
// uses float64 (prices and quantities leave it as exact integers of ticks and lots), but
// only IEEE-exact operations, its own exp and log, and no fused multiply-add (fmath.go), so
// a seed gives the same market on every platform and Go release (math/rand/v2's PCG is
// specified exactly; no other rand helper is used). testdata/seed5.golden pins it.
//
// Cost. A step allocates only the decimals of its trades (prices are shared between trades
// at the same level); book updates and their levels are carved from blocks that are never
// reused, so an event stays valid and immutable for as long as anyone holds it.
//
// A Market is not safe for concurrent use; the events it returns may be shared freely.
package synth
