package session

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
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
		// Recordings of other journals: before names carried the journal, every journal's
		// first session was "session-1". Keep the one this session wrote (its manifest says
		// which session of which config).
		ms = slices.DeleteFunc(ms, func(path string) bool {
			m, err := tape.ReadManifest(path)
			return err != nil || m.Meta["session"] != strconv.FormatInt(s.ID, 10) || m.Meta["config_sha256"] != s.ConfigHash
		})
		if len(ms) == 1 {
			return ms[0], nil
		}
	}
	if len(ms) != 1 {
		ms, _ = filepath.Glob(filepath.Join(s.TapeDir, s.TapeName+"-*"+tape.ManifestSuffix))
		return "", fmt.Errorf("session %d: %d recordings named %s in %s: %s; move the ones other journals made out of the directory", s.ID, len(ms), s.TapeName, s.TapeDir, strings.Join(ms, ", "))
	}
	return ms[0], nil
}
