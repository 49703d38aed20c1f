package engine

import (
	"sync"
	"time"

	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// RecordKind says which field of a Record is set.
type RecordKind uint8

const (
	RecordOrder  RecordKind = iota + 1 // Record.Order: submitted (pending), rejected, open, filled, cancelled, expired, amended
	RecordFill                         // Record.Fill
	RecordEquity                       // Record.Equity: a sample of the account's equity
	RecordFault                        // Record.Err: the instance stopped
	RecordLag                          // Record.Err: a live instance is falling behind (reported once)
)

var recordKindNames = [...]string{"", "order", "fill", "equity", "fault", "lag"}

// String returns the kind's name.
func (k RecordKind) String() string {
	if int(k) < len(recordKindNames) {
		return recordKindNames[k]
	}
	return "unknown"
}

// Record is one state change of one instance, in the order it happened. Seq is the sequence
// number of the event being processed (0 for the end-of-run records) and Time its event time.
type Record struct {
	Instance string
	Kind     RecordKind
	Seq      uint64
	Time     time.Time
	Order    strategy.OrderUpdate
	Fill     strategy.Fill
	Equity   decimal.Decimal
	Err      error
}

// Recorder receives records. Record is called from the instance's worker goroutine: records of
// one instance arrive sequentially and in order, records of different instances
// concurrently. The Record is only valid during the call; keep a copy. Record must not block
// for long: in live mode it is on the worker's path (a journal buffers and writes from its own
// goroutine).
type Recorder interface {
	Record(r *Record)
}

type discard struct{}

func (discard) Record(*Record) {}

// MemoryRecorder keeps every record in memory, per instance. It is safe for concurrent use.
type MemoryRecorder struct {
	mu   sync.Mutex
	recs map[string][]Record
}

// Record implements Recorder.
func (m *MemoryRecorder) Record(r *Record) {
	m.mu.Lock()
	if m.recs == nil {
		m.recs = make(map[string][]Record)
	}
	m.recs[r.Instance] = append(m.recs[r.Instance], *r)
	m.mu.Unlock()
}

// Records returns a copy of one instance's records, in order.
func (m *MemoryRecorder) Records(instance string) []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Record(nil), m.recs[instance]...)
}
