package feed

import (
	"context"
	"time"

	"github.com/shopspring/decimal"
)

// Kind says which payload of an Event is set.
type Kind uint8

const (
	KindUnknown    Kind = iota
	KindTrade           // Event.Trade
	KindBook            // Event.Book: a snapshot or an update of one pair's book
	KindTicker          // Event.Ticker
	KindCandle          // Event.Candle (the exchange's OHLC channel: a candle still forming)
	KindSpread          // Event.Spread (v1 only)
	KindStatus          // Event.Status: system status and maintenance notices
	KindInstrument      // Event.Instrument: pair metadata (v2 instrument channel)
	// The control kinds are public on purpose: kraken.Client delivers the exchange's answers to
	// its subscriptions (a refused subscription is its user's business, and `watch` shows it),
	// and kraken's decoders, which anyone may run over frames, produce all four. The
	// Normalizer drops heartbeats and the pongs to its own pings, so a Source's consumer (the
	// engine, a strategy) sees only acks and errors, and may ignore them.
	KindAck       // Event.Ack: subscribe/unsubscribe acknowledgement (success or error)
	KindPong      // Event.Ack: answer to an application ping
	KindHeartbeat // no payload
	KindError     // Event.Ack: an error event not tied to a subscription
	KindGap       // Event.Gap: data the feed knows it missed
)

var kindNames = [...]string{"unknown", "trade", "book", "ticker", "candle", "spread", "status", "instrument", "ack", "pong", "heartbeat", "error", "gap"}

// String returns the kind's lower-case name as used in decode output and tapes.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// API is the Kraken WebSocket API version a message came from.
type API uint8

const (
	APINone API = iota // synthetic or imported data
	APIV1
	APIV2
)

// String returns "v1", "v2" or "".
func (a API) String() string {
	switch a {
	case APIV1:
		return "v1"
	case APIV2:
		return "v2"
	}
	return ""
}

// Event is one normalised market-data message. Exactly one payload, chosen by Kind, is set.
// Trades are inline because they are the hot path; rarer kinds are pointers.
//
// Events are immutable once sent: receivers may share them between goroutines read-only.
type Event struct {
	Seq  uint64 // position in the engine's ordered stream; 0 until the sequencer stamps it
	Kind Kind   //
	API  API    // which API version produced it
	// Conn is the connection number within the source (reconnects increment it). It is public
	// because gaps and re-sent trades are per connection, and tapes and exports record it.
	Conn uint32
	Pair Pair      // empty for pair-less kinds (status, heartbeat, instrument)
	Time time.Time // exchange time; zero when the message carries none
	Recv time.Time // local receive time

	Trade      Trade
	Book       *BookUpdate
	Ticker     *Ticker
	Candle     *Candle
	Spread     *Spread
	Status     *Status
	Instrument *Instrument
	Ack        *Ack
	Gap        *Gap
}

// Trade is one execution on the exchange. Side and OrdType are the taker's.
type Trade struct {
	Pair    Pair
	Side    Side
	OrdType OrdType
	Price   decimal.Decimal
	Qty     decimal.Decimal
	ID      uint64 // Kraken's per-pair trade id (v2, REST); 0 when the source has none (v1, CSV)
	Time    time.Time
}

// Ticker is Kraken's ticker: best bid/ask and rolling 24-hour statistics.
type Ticker struct {
	Pair      Pair
	Bid       decimal.Decimal
	BidQty    decimal.Decimal
	Ask       decimal.Decimal
	AskQty    decimal.Decimal
	Last      decimal.Decimal
	LastQty   decimal.Decimal // v1 only
	Volume    decimal.Decimal // 24 h, base
	VWAP      decimal.Decimal // 24 h
	Low       decimal.Decimal // 24 h
	High      decimal.Decimal // 24 h
	Open      decimal.Decimal // v1 only (24 h open)
	Change    decimal.Decimal // v2 only, quote
	ChangePct decimal.Decimal // v2 only, percent points
	Trades    int64           // 24 h trade count when sent
}

// Candle is an OHLC bar. Start is the interval's beginning; the bar covers [Start, Start+Interval).
// From the exchange's ohlc channel a candle is re-sent while it forms (Closed false); candles
// built by papertrade's aggregator are delivered only once they are Closed.
type Candle struct {
	Pair     Pair
	Interval time.Duration
	Start    time.Time
	Open     decimal.Decimal
	High     decimal.Decimal
	Low      decimal.Decimal
	Close    decimal.Decimal
	VWAP     decimal.Decimal
	Volume   decimal.Decimal
	Trades   int64
	Closed   bool
}

// End returns the end of the candle's interval.
func (c *Candle) End() time.Time { return c.Start.Add(c.Interval) }

// Spread is Kraken v1's best bid/offer message.
type Spread struct {
	Pair   Pair
	Bid    decimal.Decimal
	Ask    decimal.Decimal
	BidQty decimal.Decimal
	AskQty decimal.Decimal
	Time   time.Time
}

// SystemState is the exchange-wide trading state. Only SystemOnline allows matching.
type SystemState string

const (
	SystemOnline      SystemState = "online"
	SystemMaintenance SystemState = "maintenance"
	SystemCancelOnly  SystemState = "cancel_only"
	SystemPostOnly    SystemState = "post_only"
)

// Status is a system status message (v1 systemStatus, v2 status channel).
type Status struct {
	System       SystemState
	Version      string
	ConnectionID uint64 // 0 when absent (v2 omits it during maintenance)
	// Upcoming and Emergency are the 2026 maintenance notices; nil when the message has none.
	Upcoming  []Maintenance
	Emergency []Maintenance
}

// Maintenance is one announced maintenance or emergency notice.
type Maintenance struct {
	EventID           int64
	Title             string
	Phase             string // announced, reminder_24h, approaching_30m, imminent_5m, final_warning_30s, unspecified
	RecommendedAction string // continue, reduce_activity, cancel_open_orders, stop_new_orders, disconnect_and_wait, unspecified
	OrderSubmission   string
	AffectedServices  []string
	SourceURL         string
	CancelBefore      time.Time
	ExpectedStart     time.Time
	ExpectedEnd       time.Time
	TimeToStart       time.Duration
}

// Instrument carries pair metadata from Kraken's v2 instrument channel. A snapshot lists
// every pair; an update only the ones that changed.
type Instrument struct {
	Snapshot bool
	Pairs    []PairInfo
}

// Ack is a control answer: a subscription acknowledgement (KindAck), a pong (KindPong) or an
// error event (KindError). Channel and Pair name the subscription when the API says them.
type Ack struct {
	Method    string // subscribe, unsubscribe, pong, error (v2 "method"; v1 derived from event/status)
	Channel   string // trade, book, ticker, ohlc, spread, instrument
	Pair      Pair
	Success   bool
	Error     string // Kraken's error text when !Success
	ReqID     int64
	HasReqID  bool
	Depth     int // book
	Interval  int // ohlc, minutes
	Snapshot  bool
	Warnings  []string
	ChannelID int64  // v1 (deprecated by Kraken; kept for diagnostics)
	Status    string // v1: subscribed, unsubscribed, error
	TimeIn    time.Time
	TimeOut   time.Time
}

// Gap reports data the feed knows it missed. For v2 trades FromID..ToID (inclusive) are the
// missing trade ids; for v1 and books the window From..To is all that is known.
type Gap struct {
	Channel string
	FromID  uint64
	ToID    uint64
	Missing uint64
	From    time.Time
	To      time.Time
	Reason  string
}

// Source produces events in order. Run sends batches on out until the data ends (it returns
// nil), ctx is cancelled (it returns ctx.Err()) or it fails. It never closes out: the caller
// owns the channel. Each batch is handed over: the source does not touch it after sending.
// Every send must also select on ctx.Done().
type Source interface {
	Run(ctx context.Context, out chan<- []Event) error
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, out chan<- []Event) error

// Run calls f.
func (f SourceFunc) Run(ctx context.Context, out chan<- []Event) error { return f(ctx, out) }
