package krakentest

import (
	"context"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// Recording is a sequence of market events to replay, in order, with their receive times
// (Event.Recv, else Event.Time) setting the pace.
type Recording struct {
	Events []feed.Event
}

// eventTime is the time a recorded event is paced by.
func eventTime(e *feed.Event) time.Time {
	if !e.Recv.IsZero() {
		return e.Recv
	}
	return e.Time
}

// loopGap separates the passes of a looping replay, in recorded time.
const loopGap = time.Second

// runReplay publishes a recording at its pace divided by the speed factor, pausing while the
// system status is not online. With loop it starts again, shifting times past the previous
// pass and letting the server renumber trades.
func (s *Server) runReplay(ctx context.Context, rec *Recording) {
	if len(rec.Events) == 0 {
		return
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	var shift time.Duration
	pass := 0
	for {
		first := eventTime(&rec.Events[0])
		start := time.Now()
		var paused time.Duration
		for i := 0; i < len(rec.Events); {
			// Batch events that share a timestamp.
			t0 := eventTime(&rec.Events[i])
			j := i + 1
			for j < len(rec.Events) && eventTime(&rec.Events[j]).Equal(t0) {
				j++
			}
			if ctx.Err() != nil {
				return
			}
			due := start.Add(paused + time.Duration(float64(t0.Sub(first))/s.cfg.speed))
			if wait := time.Until(due); wait > 0 {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
			}
			s.mu.Lock()
			for s.status != feed.SystemOnline {
				ch := s.changed
				s.mu.Unlock()
				pauseStart := time.Now()
				select {
				case <-ctx.Done():
					return
				case <-ch:
				}
				paused += time.Since(pauseStart)
				s.mu.Lock()
			}
			batch := rec.Events[i:j]
			if pass > 0 {
				batch = shifted(batch, shift)
			}
			s.publishLocked(batch, false, true)
			s.mu.Unlock()
			i = j
		}
		if !s.cfg.loop {
			s.mu.Lock()
			s.replayDone = true
			s.notifyChange()
			s.mu.Unlock()
			return
		}
		// One recorded second between passes (at the replay's speed), and a chance to stop.
		timer.Reset(time.Duration(float64(loopGap) / s.cfg.speed))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		pass++
		shift += eventTime(&rec.Events[len(rec.Events)-1]).Sub(first) + loopGap
	}
}

// shifted copies events moving their times by d and clearing trade ids (the server numbers
// them), so a looped recording keeps going forward.
func shifted(evs []feed.Event, d time.Duration) []feed.Event {
	out := make([]feed.Event, len(evs))
	copy(out, evs)
	for i := range out {
		e := &out[i]
		if !e.Time.IsZero() {
			e.Time = e.Time.Add(d)
		}
		if !e.Recv.IsZero() {
			e.Recv = e.Recv.Add(d)
		}
		if e.Kind == feed.KindTrade {
			e.Trade.ID = 0
			e.Trade.Time = e.Trade.Time.Add(d)
		}
	}
	return out
}

// WaitReplayDone blocks until a non-looping recording has been published to the end, or ctx
// ends.
func (s *Server) WaitReplayDone(ctx context.Context) error {
	for {
		s.mu.Lock()
		done, ch := s.replayDone, s.changed
		s.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ReplayDone reports whether a non-looping recording has been published to the end.
func (s *Server) ReplayDone() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replayDone
}
