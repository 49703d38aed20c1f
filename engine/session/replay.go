package session

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/feed/tape"
)

// FindTape returns the manifest of a session's recording: what backtest.ReplaySession
// replays.
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
