package tape

import (
	"context"
	"fmt"
	"iter"
	"slices"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/internal/batches"
)

// Decoder turns one recorded frame into events, appending them to dst. *kraken.Normalizer
// satisfies it, and replays use one: it applies the connection rules (trade ids across
// reconnects, gaps, book checksums) the live client applied, so the same frames give the
// same events. kraken.RawDecoder shows frames decoded one by one without those rules, for
// inspection. A Decoder keeps state between frames (it sees them in receive order, with
// their connection numbers) and is used from one goroutine. An error means the frame was
// skipped as malformed; the replay goes on.
type Decoder interface {
	DecodeFrame(f Frame, dst []feed.Event) ([]feed.Event, error)
}

// Filter selects events. Range applies to the frames' receive times before decoding, so a
// decoder never sees frames outside it: an order book started mid-recording begins with
// updates, not a snapshot. Pairs keeps events of those pairs plus events that have no pair
// (status, heartbeat, instrument); Kinds keeps events of those kinds. Empty lists keep all.
type Filter struct {
	Range
	Pairs []feed.Pair
	Kinds []feed.Kind
}

func (f *Filter) keep(e *feed.Event) bool {
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, e.Kind) {
		return false
	}
	if len(f.Pairs) > 0 && e.Pair != "" && !slices.Contains(f.Pairs, e.Pair) {
		return false
	}
	return true
}

// BatchSize is the largest batch Source sends.
const BatchSize = 256

// Events decodes the frames in f.Range with dec and returns the events f keeps, in order.
// Each event's Conn is the frame's connection and its API, when the decoder left it unset,
// the frame's API. A frame the decoder rejects is counted (Stats().DecodeErrors), logged and
// recorded as a warning with its file and line, and skipped: one bad frame does not end a
// replay. Errors and cancellation end the sequence as in Frames.
func (r *Reader) Events(ctx context.Context, dec Decoder, f Filter) iter.Seq2[feed.Event, error] {
	return func(yield func(feed.Event, error) bool) {
		var evs []feed.Event
		for fr, err := range r.Frames(ctx, f.Range) {
			if err != nil {
				yield(feed.Event{}, err)
				return
			}
			evs = r.decode(dec, fr, evs[:0], &f)
			for i := range evs {
				if !yield(evs[i], nil) {
					return
				}
			}
		}
	}
}

// decode appends the events f keeps from one frame to dst.
func (r *Reader) decode(dec Decoder, fr Frame, dst []feed.Event, f *Filter) []feed.Event {
	start := len(dst)
	out, err := dec.DecodeFrame(fr, dst)
	if err != nil {
		r.stats.DecodeErrors++
		file, line := r.Position()
		r.warn(Warning{File: file, Line: line, Offset: -1, Msg: fmt.Sprintf("frame not decoded: %v", err)})
		if ce := r.log.Check(zap.DebugLevel, "undecodable frame"); ce != nil {
			ce.Write(zap.ByteString("frame", fr.Raw))
		}
	}
	if len(out) < start { // a decoder that returned less than it was given: keep what was there
		return dst
	}
	n := start
	for i := start; i < len(out); i++ {
		e := &out[i]
		e.Conn = fr.Conn
		if e.API == feed.APINone {
			e.API = fr.API
		}
		if !f.keep(e) {
			continue
		}
		if n != i {
			out[n] = *e
		}
		n++
	}
	clear(out[n:])
	return out[:n]
}

// Source returns a feed.Source that replays the recording: the events of Events(ctx, dec, f)
// in batches of up to BatchSize. Run returns nil at the end of the data, ctx.Err() when
// cancelled, or the first read error; it never closes out, and every send also selects on
// ctx.Done(). Each batch is a slice the receiver owns; the Source also implements
// feed.BatchRecycler, so a receiver that knows when a batch is no longer read may hand it
// back to be refilled instead of the Source allocating a new one.
func (r *Reader) Source(dec Decoder, f Filter) feed.Source {
	return &source{r: r, dec: dec, f: f, pool: batches.New[feed.Event](BatchSize, recycled)}
}

// recycled bounds the batches a Source keeps for reuse; more are left to the garbage
// collector.
const recycled = 64

type source struct {
	r    *Reader
	dec  Decoder
	f    Filter
	pool *batches.Pool[feed.Event]
}

// Recycle implements feed.BatchRecycler. It clears the batch (so it keeps no payload alive)
// on the caller's goroutine.
func (s *source) Recycle(b []feed.Event) { s.pool.Put(b) }

func (s *source) batch() []feed.Event { return s.pool.Get() }

// Run implements feed.Source.
func (s *source) Run(ctx context.Context, out chan<- []feed.Event) error {
	send := func(b []feed.Event) error {
		select {
		case out <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r, f := s.r, &s.f
	batch := s.batch()
	for fr, err := range r.Frames(ctx, f.Range) {
		if err != nil {
			return err
		}
		batch = r.decode(s.dec, fr, batch, f)
		for len(batch) >= BatchSize {
			rest := s.batch()
			rest = append(rest, batch[BatchSize:]...)
			clear(batch[BatchSize:])
			if err := send(batch[:BatchSize:BatchSize]); err != nil {
				return err
			}
			batch = rest
		}
	}
	if len(batch) > 0 {
		return send(batch)
	}
	return nil
}
