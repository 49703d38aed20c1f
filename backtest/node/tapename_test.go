package node_test

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/papertrade/papertrade/backtest/node"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/session"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/tape"
)

func TestTapeName(t *testing.T) {
	t0 := time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		db   string
		n    int64
		want string // pattern
	}{
		{"paper.db", 1, `^paper-[0-9a-f]{6}-session-1$`},
		{"/tmp/x/my journal.sqlite", 12, `^my_journal-[0-9a-f]{6}-session-12$`},
		{"a-b.db", 2, `^a_b-[0-9a-f]{6}-session-2$`}, // no dash in the base: "-session-" parses back
		{"..", 1, `^journal-[0-9a-f]{6}-session-1$`},
		{"0123456789012345678901234567890123456789.db", 1, `^012345678901234567890123-[0-9a-f]{6}-session-1$`},
	} {
		if got := node.TapeName(tc.db, tc.n, t0); !regexp.MustCompile(tc.want).MatchString(got) {
			t.Errorf("TapeName(%q, %d) = %q, want %s", tc.db, tc.n, got, tc.want)
		}
	}
	// Same base name, other directory; same journal begun again: other names.
	a := node.TapeName("a/paper.db", 1, t0)
	for _, other := range []string{node.TapeName("b/paper.db", 1, t0), node.TapeName("a/paper.db", 1, t0.Add(time.Nanosecond))} {
		if other == a {
			t.Errorf("%s named twice", a)
		}
	}
}

// Two journals recording into one directory (issue 18 item 11: live's error about another
// config's journal recommends a new --db) each find their own session 1 to replay; before, both
// recordings were named session-1 and the replay command failed with "2 recordings named
// session-1".
func TestTwoJournalsOneRecordDir(t *testing.T) {
	c, reg, srv := setup(t)
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec")
	manifests := map[string]string{}
	for _, db := range []string{"a.db", "b.db"} {
		cfg := node.Config{Mode: "live", Title: "test", Run: c, Registry: reg, URL: srv.URLv2(), DB: filepath.Join(dir, db),
			RecordDir: rec, Version: "test"}
		runFrames(t, cfg, 200)
		r, err := journal.OpenReader(cfg.DB)
		if err != nil {
			t.Fatal(err)
		}
		s, ok, err := r.Session(context.Background(), 1)
		r.Close()
		if err != nil || !ok {
			t.Fatalf("%s: session 1: %v %v", db, ok, err)
		}
		m, err := session.FindTape(s)
		if err != nil {
			t.Fatalf("%s: %v", db, err)
		}
		man, err := tape.ReadManifest(m)
		if err != nil || man.Meta["journal"] != cfg.DB {
			t.Fatalf("%s: recording %s of journal %q (%v)", db, m, man.Meta["journal"], err)
		}
		manifests[m] = db
	}
	if len(manifests) != 2 {
		t.Fatalf("both journals replay %v", manifests)
	}
}

// Journals written before the names carried the journal all named their first recording
// session-1: FindTape picks the one whose manifest names the session and its config.
func TestFindTapeOfLegacyNames(t *testing.T) {
	dir := t.TempDir()
	write := func(hash string, at time.Time) string {
		w, err := tape.NewWriter(dir, tape.WithName("session-1"), tape.WithMeta("session", "1"), tape.WithMeta("config_sha256", hash))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(tape.Frame{Recv: at, API: feed.APIV2, Raw: []byte(`{"channel":"heartbeat"}`)}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return w.ManifestPath()
	}
	t0 := time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)
	ma := write("aaaa", t0)
	mb := write("bbbb", t0.Add(time.Hour))
	for _, tc := range []struct{ hash, want string }{{"aaaa", ma}, {"bbbb", mb}} {
		got, err := session.FindTape(&journal.SessionInfo{ID: 1, ConfigHash: tc.hash, TapeDir: dir, TapeName: "session-1"})
		if err != nil || got != tc.want {
			t.Errorf("config %s: %s %v, want %s", tc.hash, got, err, tc.want)
		}
	}
	if _, err := session.FindTape(&journal.SessionInfo{ID: 1, ConfigHash: "cccc", TapeDir: dir, TapeName: "session-1"}); err == nil {
		t.Error("a session of a third config found a recording")
	}
}
