package session

import (
	"context"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

// TapeSource replays a recorded session through st, configured as the live client was: the
// events the live engine consumed, in the same order, with the same times. observe, when
// set, sees every batch first. Run returns nil at the end of the tape.
func TapeSource(r *tape.Reader, st *kraken.Normalizer, observe func([]feed.Event)) feed.Source {
	return feed.SourceFunc(func(ctx context.Context, out chan<- []feed.Event) error {
		var batch []feed.Event
		send := func() error {
			if len(batch) == 0 {
				return nil
			}
			if observe != nil {
				observe(batch)
			}
			select {
			case out <- batch:
				batch = nil
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		for f, err := range r.Frames(ctx, tape.Range{}) {
			if err != nil {
				return err
			}
			batch = st.Frame(f, batch)
			if len(batch) >= tape.BatchSize {
				if err := send(); err != nil {
					return err
				}
			}
		}
		return send()
	})
}
