// Package batches is the pool of event batches a replaying feed.Source reuses when its
// receiver hands them back (feed.BatchRecycler): a tape replay and a replay of decoded events
// from the cache share it.
package batches

// Pool keeps up to a fixed number of handed-back batches of one capacity. Put may be called
// from any goroutine and never blocks; Get is for the source's own goroutine. It is generic
// so that it sits below every layer (it never imports feed).
type Pool[T any] struct {
	size int
	free chan []T // batches handed back, cleared, length 0
	made int      // batches allocated (Get's goroutine only)
}

// New returns a pool of batches of capacity size that keeps up to keep of them.
func New[T any](size, keep int) *Pool[T] {
	return &Pool[T]{size: size, free: make(chan []T, keep)}
}

// Put takes a batch back: it clears it (so it keeps no payload alive) on the caller's
// goroutine and keeps it if there is room; smaller batches are left to the collector.
func (p *Pool[T]) Put(b []T) {
	if cap(b) < p.size {
		return
	}
	b = b[:cap(b)]
	clear(b)
	select {
	case p.free <- b[:0]:
	default:
	}
}

// Get returns an empty batch: one handed back, or a new one.
func (p *Pool[T]) Get() []T {
	select {
	case b := <-p.free:
		return b
	default:
		p.made++
		return make([]T, 0, p.size)
	}
}

// Made is how many batches Get allocated.
func (p *Pool[T]) Made() int { return p.made }
