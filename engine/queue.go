package engine

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/papertrade/papertrade/feed"
)

// inbox is one worker's queue of shared, read-only event batches. The dispatcher pushes and
// never blocks in live mode (a lagging worker's backlog grows, is reported, and past the hard
// limit the worker is stopped); in backtest mode it waits for room, so nothing is ever skipped.
// The shape follows nats-server's ipqueue: a locked slice plus a one-slot wake-up channel,
// which costs one lock and one non-blocking send per batch instead of a channel send per event.
type inbox struct {
	mu      sync.Mutex
	batches []item
	events  int  // events queued
	closed  bool // no more pushes; the worker drains and exits

	ready chan struct{} // 1 slot: wakes the worker
	room  chan struct{} // 1 slot: wakes a dispatcher waiting for room
}

// item is one queued batch; ref, when set, is released once the worker has processed it.
type item struct {
	b   []feed.Event
	ref *batchRef
}

// batchRef counts the holders of one batch the run's source lent it (feed.BatchRecycler):
// the dispatcher while it hands the batch out, plus each inbox it was pushed to until that
// worker has processed it. The last release hands the batch back to the source. A holder
// that never releases (a worker that stopped early) only means the batch is not reused.
type batchRef struct {
	n   atomic.Int32
	b   []feed.Event
	rec feed.BatchRecycler
}

func newBatchRef(b []feed.Event, rec feed.BatchRecycler) *batchRef {
	r := &batchRef{b: b, rec: rec}
	r.n.Store(1)
	return r
}

func (r *batchRef) hold() { r.n.Add(1) }

func (r *batchRef) release() {
	if r.n.Add(-1) == 0 {
		r.rec.Recycle(r.b)
	}
}

func newInbox() *inbox {
	return &inbox{ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

// push appends a batch and returns the number of events now queued. ref, when not nil, is
// held for the worker, which releases it after processing the batch.
func (q *inbox) push(b []feed.Event, ref *batchRef) int {
	if ref != nil {
		ref.hold()
	}
	q.mu.Lock()
	q.batches = append(q.batches, item{b: b, ref: ref})
	q.events += len(b)
	n := q.events
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return n
}

// close tells the worker that no more batches come; it drains what is queued and exits.
func (q *inbox) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// take moves every queued batch into dst (reusing its storage) and reports whether the inbox
// is closed. The worker calls it after each wake-up.
func (q *inbox) take(dst []item) ([]item, bool) {
	q.mu.Lock()
	dst = append(dst[:0], q.batches...)
	clear(q.batches)
	q.batches = q.batches[:0]
	q.events = 0
	closed := q.closed
	q.mu.Unlock()
	select {
	case q.room <- struct{}{}:
	default:
	}
	return dst, closed
}

// queued returns the number of events waiting.
func (q *inbox) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.events
}

// waitRoom blocks until fewer than limit events are queued, or ctx or done ends. It is the
// backtest's lossless back-pressure. done is closed when the worker exits, so a dispatcher
// never waits on a worker that is gone.
func (q *inbox) waitRoom(ctx context.Context, limit int, done <-chan struct{}) error {
	for q.queued() >= limit {
		select {
		case <-q.room:
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
