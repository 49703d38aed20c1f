package config

// ExampleYAML is a complete, commented run config (`papertrade backtest --example-config`
// prints it). It runs as-is on a tape made by `papertrade tape synth` with its default pairs
// (BTC/USD and ETH/USD): `papertrade tape synth --out tape && papertrade backtest -c run.yaml
// --data tape --out results`.
const ExampleYAML = `# papertrade run config. Every key is checked: a typo is an error with its line.
# Shared by "papertrade backtest", "papertrade sweep" and "papertrade live"; each reads the
# parts it needs and ignores the rest (live ignores data and sweep, backtests ignore live).

seed: 42                 # drives latency jitter and order ids; same seed + data = same results
equity_interval: 1m      # event-time spacing of equity samples (equity.csv, Sharpe, drawdown)

# The simulated Kraken exchange, shared by every instance below.
latency: 50ms            # submit/cancel/amend reach the exchange this much later (0 = none)
jitter: 20ms             # plus a seeded random [0, jitter]
fill_model: default      # default | optimistic | pessimistic
# fill_models: [pessimistic, default, optimistic]   # run every instance under each (the report shows each metric's range across them)
slippage_bps: 2          # next-trade fills move this many basis points against you
fees:
  volume_30d: 0          # picks the Kraken fee tier (0 = entry tier: 0.25% maker, 0.40% taker)
  # maker: 0.16          # or override the schedule, in percent (give both maker and taker)
  # taker: 0.26
# Margin fees of leveraged orders (shorts), percent of the amount Kraken lends, by the asset
# lent; assets left out use Kraken's published rates (USD 0.025%, BTC 0.01%, others 0.02%).
# margin:
#   opening: {USD: 0.025, BTC: 0.01}   # charged when a position opens
#   rollover: {USD: 0.025}             # every 4 hours it stays open (default: the opening rate)

# The market data a backtest or sweep replays (--data, --from and --to override it).
data:
  path: tape             # a tape directory or segment file, relative to this file
  # from: 2025-01-01T00:00:00Z
  # to: 2025-01-02

# Strategy instances. Each has its own simulated account. "papertrade strategies" lists the
# registered types and their parameters; parameters left out take their defaults.
strategies:
  - name: sma-btc
    type: smacross       # market orders on SMA crossovers of 1-minute candles
    pairs: [BTC/USD]
    balances: {USD: "10000"}
    params: {fast: 5, slow: 20, interval: 1m, size: "0.01"}

  - name: bands-eth
    type: bollinger      # resting limit orders at the Bollinger bands
    pairs: [ETH/USD]
    balances: {USD: "10000"}
    params: {period: 20, k: 1.5, interval: 1m, size: "0.2"}

  - name: grid-btc
    type: grid           # post-only market maker: maker fees, queue position
    pairs: [BTC/USD]
    balances: {USD: "10000", BTC: "0.05"}
    account_currency: USD
    params: {levels: 3, spacing: 10, size: "0.002", recenter: 1m}

  - name: breakout-eth
    type: breakout       # Donchian breakout with a stop-loss at the exchange
    pairs: [ETH/USD]
    balances: {USD: "10000"}
    params: {period: 20, interval: 1m, size: "0.2", stop: 1, take: 2}

# Only "papertrade live" reads this section.
live:
  api: v2                # v2 (default) or v1
  channels: [trade, book]
  book_depth: 10
  # record_dir: recordings   # also record the raw feed, replayable with backtest
  # db: papertrade.db        # the session journal

# Only "papertrade sweep" reads this section.
sweep:
  strategy: sma-btc      # the instance whose parameters are searched
  method: grid           # grid (every combination) or random (trials draws)
  metric: sharpe         # ranking: return, cagr, sharpe, sortino, calmar, max_drawdown, ...
  params:
    fast: "5:15:5"       # min:max:step, or a list of values
    slow: [20, 30, 40]
  # walk_forward: {train: 30d, test: 7d}
`
