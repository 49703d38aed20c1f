package backtest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/engine/session"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

// SessionReplay is what ReplaySession needs: the journaled live session and fresh engine
// instances built from its configuration exactly as the live session built them.
type SessionReplay struct {
	Session   *journal.SessionInfo
	Instances []engine.Instance
	// EquityInterval and Pairs as the live engine had them (nil Pairs: kraken.DefaultPairs()).
	EquityInterval time.Duration
	Pairs          *kraken.Pairs
	// Recorder, when set, also receives the replay's records; Observe sees every batch.
	Recorder record.Recorder
	Observe  func([]feed.Event)
	Log      *zap.Logger
}

// SessionReplayed is a session replay's outcome.
type SessionReplayed struct {
	Result  *engine.Result
	Records *record.Memory
	Stream  kraken.NormalizerStats
	Tape    string // the manifest replayed
}

// ReplaySession runs a live session's recording (session.FindTape) through the engine in
// backtest mode, starting every instance from the state the session started from, with a
// Normalizer configured as the live client was (session.TapeSource), and returns its
// records; session.CompareFills then checks them against the session's journal.
//
// It is a backtest of a recording, so it lives here, above the engine: engine/session holds
// the parts of a session that do not run the engine (the tapped live source, the tape
// source, the fill comparison).
func ReplaySession(ctx context.Context, in SessionReplay) (*SessionReplayed, error) {
	s := in.Session
	if s == nil {
		return nil, errors.New("backtest: session replay: no session")
	}
	if in.Log == nil {
		in.Log = zap.NewNop()
	}
	if in.Pairs == nil {
		in.Pairs = kraken.DefaultPairs()
	}
	man, err := session.FindTape(s)
	if err != nil {
		return nil, fmt.Errorf("backtest: session replay: %w", err)
	}
	r, err := tape.Open(man, tape.ReadLogger(in.Log))
	if err != nil {
		return nil, fmt.Errorf("backtest: session replay: %w", err)
	}
	for i := range in.Instances {
		ins := &in.Instances[i]
		ins.Restore = nil
		for _, st := range s.Restored {
			if st != nil && st.Name == ins.Name {
				ins.Restore = st.Apply
			}
		}
	}
	api := feed.APIV2
	if s.Feed.API == "v1" {
		api = feed.APIV1
	}
	st := kraken.NewNormalizer(kraken.NormalizerConfig{API: api, Pairs: s.Feed.Pairs, Channels: s.Feed.Channels, Depth: s.Feed.Depth, PairTable: in.Pairs, Log: in.Log})
	mem := &record.Memory{}
	res, err := engine.Run(ctx, engine.Config{
		Sources: []feed.Source{session.TapeSource(r, st, in.Observe)}, Instances: in.Instances, Pairs: in.Pairs.Lookup,
		Mode: engine.Backtest, EquityInterval: in.EquityInterval, Recorder: record.Multi(mem, in.Recorder), Log: in.Log,
	})
	if err != nil {
		return nil, fmt.Errorf("backtest: replay of session %d: %w", s.ID, err)
	}
	return &SessionReplayed{Result: res, Records: mem, Stream: st.Stats(), Tape: man}, nil
}
