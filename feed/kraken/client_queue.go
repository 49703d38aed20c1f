package kraken

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// maxBatch bounds the events of one delivered batch, so a consumer that catches up gets
// several moderate batches rather than one huge one.
const maxBatch = 1024

// eventQueue is the bounded hand-off between a connection's reader and the goroutine that
// delivers to the consumer. The reader appends to the open tail batch; the deliverer takes
// whole batches from the head, which then belong to the consumer.
type eventQueue struct {
	limit int

	mu      sync.Mutex
	batches [][]feed.Event
	pending int
	ready   chan struct{} // capacity 1: a batch is waiting
	space   chan struct{} // capacity 1: a batch was taken
}

func newEventQueue(limit int) *eventQueue {
	return &eventQueue{limit: limit, ready: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

// push copies evs into the queue. When the queue is full it waits up to wait for the
// consumer, then fails with ErrOverflow; the reader is never blocked for longer.
func (q *eventQueue) push(ctx context.Context, evs []feed.Event, wait time.Duration) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		q.mu.Lock()
		if q.pending == 0 || q.pending+len(evs) <= q.limit {
			for len(evs) > 0 {
				n := len(q.batches)
				if n == 0 || len(q.batches[n-1]) >= maxBatch {
					q.batches = append(q.batches, make([]feed.Event, 0, min(maxBatch, max(len(evs), 64))))
					n++
				}
				tail := &q.batches[n-1]
				k := min(len(evs), maxBatch-len(*tail))
				*tail = append(*tail, evs[:k]...)
				evs = evs[k:]
				q.pending += k
			}
			q.mu.Unlock()
			signal(q.ready)
			return nil
		}
		pending := q.pending
		q.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(wait)
		}
		select {
		case <-q.space:
		case <-timer.C:
			return fmt.Errorf("%w: %d events waiting for more than %v", ErrOverflow, pending, wait)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// pop takes the oldest batch, waiting for one.
func (q *eventQueue) pop(ctx context.Context) ([]feed.Event, error) {
	for {
		q.mu.Lock()
		if len(q.batches) > 0 {
			b := q.batches[0]
			q.batches[0] = nil
			q.batches = q.batches[1:]
			q.pending -= len(b)
			q.mu.Unlock()
			signal(q.space)
			return b, nil
		}
		q.mu.Unlock()
		select {
		case <-q.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
