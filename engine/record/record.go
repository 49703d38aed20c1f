package record

import (
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/strategy"
)

// DefaultEquityInterval is the event-time spacing of equity samples when a run does not set
// one; readers of records that do not know the run's interval assume it.
const DefaultEquityInterval = time.Minute

// Kind says which field of a Record is set.
type Kind uint8

const (
	KindOrder  Kind = iota + 1 // Record.Order: submitted (pending), rejected, open, filled, cancelled, expired, amended
	KindFill                   // Record.Fill
	KindEquity                 // Record.Equity: a sample of the account's equity
	KindFault                  // Record.Err: the instance stopped
	KindLag                    // Record.Err: a live instance is falling behind (reported once)
	KindMargin                 // Record.Margin: a margin fill's effect, rollover fee, settlement, margin call or liquidation
)

var kindNames = [...]string{"", "order", "fill", "equity", "fault", "lag", "margin"}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Record is one state change of one instance, in the order it happened. Seq is the sequence
// number of the event being processed (for the end-of-run records, the last one the
// instance processed) and Time its event time.
type Record struct {
	Instance string
	Kind     Kind
	Seq      uint64
	Time     time.Time
	Order    strategy.OrderUpdate
	Fill     strategy.Fill
	Equity   decimal.Decimal
	Err      error
	Margin   strategy.MarginEvent
}

// Recorder receives records. Record is called from the instance's worker goroutine: records of
// one instance arrive sequentially and in order, records of different instances
// concurrently. The Record is only valid during the call; keep a copy. Record must not block
// for long: in live mode it is on the worker's path (a journal buffers and writes from its own
// goroutine).
type Recorder interface {
	Record(r *Record)
}

// Discard is a Recorder that drops every record.
var Discard Recorder = discard{}

type discard struct{}

func (discard) Record(*Record) {}

// Multi returns a Recorder that hands every record to each of rs in turn, in the order
// given, skipping nil ones: the one fan-out from a run to its sinks (journal, collectors,
// metrics, dashboard). With no recorder left it returns Discard, with one that recorder.
// The result is as safe for concurrent use as the recorders it calls.
func Multi(rs ...Recorder) Recorder {
	var out multi
	for _, r := range rs {
		switch r := r.(type) {
		case nil:
		case multi:
			out = append(out, r...) // flatten: one loop per record, not a tree
		default:
			out = append(out, r)
		}
	}
	switch len(out) {
	case 0:
		return Discard
	case 1:
		return out[0]
	}
	return out
}

type multi []Recorder

func (m multi) Record(r *Record) {
	for _, x := range m {
		x.Record(r)
	}
}

// Memory keeps every record in memory, per instance. The zero value is ready to use. It is
// safe for concurrent use.
type Memory struct {
	mu   sync.Mutex
	recs map[string][]Record
}

// Record implements Recorder.
func (m *Memory) Record(r *Record) {
	m.mu.Lock()
	if m.recs == nil {
		m.recs = make(map[string][]Record)
	}
	m.recs[r.Instance] = append(m.recs[r.Instance], *r)
	m.mu.Unlock()
}

// Records returns a copy of one instance's records, in order.
func (m *Memory) Records(instance string) []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Record(nil), m.recs[instance]...)
}

// Deposit is a starting balance.
type Deposit struct {
	Asset  string
	Amount decimal.Decimal
}

// InstanceResult is one instance's final state, as a run returns it.
type InstanceResult struct {
	Name      string
	Events    uint64 // events delivered to the instance's account
	Orders    uint64 // orders accepted
	Rejects   uint64 // orders rejected
	Fills     uint64
	Fault     error // why the instance stopped early; nil if it ran to the end
	Balances  []strategy.Balance
	Positions []strategy.Position
	Equity    decimal.Decimal
	EquityOK  bool // false when some balance had no price to value it
	Start     time.Time
	End       time.Time
}

// Backlog is one instance's queue in a running engine: events sequenced but not yet
// processed by its worker.
type Backlog struct {
	Instance string
	Events   int
	Stopped  bool // the instance faulted or was stopped for lagging
}

// Interface guards.
var (
	_ Recorder = multi(nil)
	_ Recorder = (*Memory)(nil)
)
