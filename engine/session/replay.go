package session

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

// ReplayInput is what Replay needs: the journaled session and fresh engine instances built
// from its configuration exactly as the live session built them.
type ReplayInput struct {
	Session   *journal.SessionInfo
	Instances []engine.Instance
	// EquityInterval and Pairs as the live engine had them (nil Pairs: kraken.DefaultPairs()).
	EquityInterval time.Duration
	Pairs          *kraken.Pairs
	// Recorder, when set, also receives the replay's records; Observe sees every batch.
	Recorder engine.Recorder
	Observe  func([]feed.Event)
	Log      *zap.Logger
}

// Replayed is a replay's outcome.
type Replayed struct {
	Result  *engine.Result
	Records *engine.MemoryRecorder
	Stream  kraken.NormalizerStats
	Tape    string // the manifest replayed
}

// FindTape returns the manifest of a session's recording.
func FindTape(s *journal.SessionInfo) (string, error) {
	if s.TapeDir == "" || s.TapeName == "" {
		return "", fmt.Errorf("session %d was not recorded (live --record was off)", s.ID)
	}
	ms, err := filepath.Glob(filepath.Join(s.TapeDir, s.TapeName+"-*"+tape.ManifestSuffix))
	if err != nil {
		return "", err
	}
	if len(ms) == 0 {
		return "", fmt.Errorf("session %d: no recording named %s in %s (moved or deleted?)", s.ID, s.TapeName, s.TapeDir)
	}
	if len(ms) > 1 {
		return "", fmt.Errorf("session %d: %d recordings named %s in %s: %s", s.ID, len(ms), s.TapeName, s.TapeDir, strings.Join(ms, ", "))
	}
	return ms[0], nil
}

// Replay runs the session's recording through the engine in backtest mode, starting every
// instance from the state the session started from, and returns its records.
func Replay(ctx context.Context, in ReplayInput) (*Replayed, error) {
	s := in.Session
	if s == nil {
		return nil, errors.New("session: replay: no session")
	}
	if in.Log == nil {
		in.Log = zap.NewNop()
	}
	if in.Pairs == nil {
		in.Pairs = kraken.DefaultPairs()
	}
	man, err := FindTape(s)
	if err != nil {
		return nil, fmt.Errorf("session: replay: %w", err)
	}
	r, err := tape.Open(man, tape.ReadLogger(in.Log))
	if err != nil {
		return nil, fmt.Errorf("session: replay: %w", err)
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
	mem := &engine.MemoryRecorder{}
	rec := record.Multi(mem, in.Recorder)
	res, err := engine.Run(ctx, engine.Config{
		Sources: []feed.Source{TapeSource(r, st, in.Observe)}, Instances: in.Instances, Pairs: in.Pairs.Lookup,
		Mode: engine.Backtest, EquityInterval: in.EquityInterval, Recorder: rec, Log: in.Log,
	})
	if err != nil {
		return nil, fmt.Errorf("session: replay of session %d: %w", s.ID, err)
	}
	return &Replayed{Result: res, Records: mem, Stream: st.Stats(), Tape: man}, nil
}
