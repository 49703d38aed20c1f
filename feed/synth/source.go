package synth

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// BatchSize is the largest batch a Source sends.
const BatchSize = 256

// Source returns a feed.Source that runs the market: it sends the market's events in
// batches of at most BatchSize until limit trades have been generated (limit ≤ 0: until ctx
// is cancelled). The step that prints the limit-th trade is cut short so that exactly limit
// trades are sent, and its book updates are still sent, so the last book is consistent.
//
// speed 0 sends as fast as the receiver takes the events. speed > 0 paces them in wall
// time: an event Δ after the first event of the run is sent Δ/speed after the run began
// (1 is real time, 10 ten times faster). Only this adapter reads the wall clock.
//
// Run advances the Market, so a Market must not be used elsewhere while a Source runs it; a
// second Run continues where the first stopped. Run returns nil when the limit is reached,
// ctx.Err() when cancelled. It never closes out.
func (m *Market) Source(limit int, speed float64) feed.Source {
	return feed.SourceFunc(func(ctx context.Context, out chan<- []feed.Event) error {
		return m.run(ctx, out, limit, speed)
	})
}

func (m *Market) run(ctx context.Context, out chan<- []feed.Event, limit int, speed float64) error {
	if !(speed >= 0) || math.IsInf(speed, 0) {
		return fmt.Errorf("synth: speed %v must be a finite number ≥ 0", speed)
	}
	left := math.MaxInt
	if limit > 0 {
		left = limit
	}
	var (
		batch     = make([]feed.Event, 0, BatchSize)
		step      []feed.Event
		timer     *time.Timer
		wallStart time.Time
		simStart  time.Time
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	send := func() error {
		if len(batch) == 0 {
			return nil
		}
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
		batch = make([]feed.Event, 0, BatchSize)
		return nil
	}
	for left > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		var n int
		step, n = m.next(step[:0], left)
		left -= n
		if speed > 0 {
			t := step[0].Time
			if wallStart.IsZero() {
				wallStart, simStart = time.Now(), t
			}
			due := wallStart.Add(time.Duration(float64(t.Sub(simStart)) / speed))
			if wait := time.Until(due); wait > 0 {
				// Hand over what is due before sleeping until the next step is.
				if err := send(); err != nil {
					return err
				}
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				select {
				case <-timer.C:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		if len(batch)+len(step) > BatchSize {
			if err := send(); err != nil {
				return err
			}
		}
		batch = append(batch, step...)
		if len(batch) == BatchSize {
			if err := send(); err != nil {
				return err
			}
		}
	}
	return send()
}
