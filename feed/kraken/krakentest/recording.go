package krakentest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

// fixtureFrameGap paces frames that carry no receive time (a fixture line with "ts": null, a
// bare frame): they are spread 10 ms apart.
const fixtureFrameGap = 10 * time.Millisecond

// LoadRecording reads the market events of a recording for WithRecording. path may be
//   - a feed/tape recording: a directory, a manifest or a segment file;
//   - a JSON-lines file in the fixture wrapper format ({"ts":…,"dir":"in","msg":<frame>}, as in
//     the shared Kraken fixtures; "out" lines are the client's and skipped);
//   - a file of raw Kraken frames, one per line (v1 or v2).
//
// Frames become events through kraken.Normalizer, as every replay does (a trade snapshot
// re-sent after a reconnect is served once; a book is served from its verified messages),
// read by their shape (so a v1 recording serves v2 clients and the other way round), and
// only trades and books are kept. Frames without a receive time are paced 10 ms
// apart. The whole recording is held in memory.
func LoadRecording(ctx context.Context, path string) (*Recording, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		kind, err := sniff(path)
		if err != nil {
			return nil, err
		}
		if kind != "" {
			return loadLines(path, kind == "fixture")
		}
	}
	r, err := tape.Open(path)
	if err != nil {
		return nil, err
	}
	rec := &Recording{}
	dec := kraken.NewNormalizer(kraken.NormalizerConfig{})
	for ev, err := range r.Events(ctx, dec, tape.Filter{Kinds: []feed.Kind{feed.KindTrade, feed.KindBook}}) {
		if err != nil {
			return nil, fmt.Errorf("krakentest: %s: %w", path, err)
		}
		rec.Events = append(rec.Events, ev)
	}
	if len(rec.Events) == 0 {
		return nil, fmt.Errorf("krakentest: %s: no trades or books in the recording", path)
	}
	return rec, nil
}

// sniff says whether a file holds fixture wrapper lines ("fixture"), bare frames ("frames")
// or neither (""), from its first non-empty line.
func sniff(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		switch {
		case bytes.HasPrefix(line, []byte(`{"recv":`)):
			return "", nil
		case bytes.Contains(line, []byte(`"msg":`)) && bytes.Contains(line, []byte(`"dir":`)):
			return "fixture", nil
		case line[0] == '[' || bytes.HasPrefix(line, []byte(`{"channel"`)) || bytes.HasPrefix(line, []byte(`{"event"`)) || bytes.HasPrefix(line, []byte(`{"method"`)):
			return "frames", nil
		}
		return "", nil
	}
	return "", sc.Err()
}

func loadLines(path string, fixture bool) (*Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	// Lines carry no connection numbers: the file is one connection.
	dec := kraken.NewNormalizer(kraken.NormalizerConfig{})
	rec := &Recording{}
	var (
		evs  []feed.Event
		last time.Time
		n    int
		bad  int
	)
	base := time.Unix(0, 0).UTC()
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		frame, recv := line, time.Time{}
		if fixture {
			var w struct {
				TS  *string         `json:"ts"`
				Dir string          `json:"dir"`
				Msg json.RawMessage `json:"msg"`
			}
			if err := json.Unmarshal(line, &w); err != nil {
				return nil, fmt.Errorf("krakentest: %s:%d: %w", path, n, err)
			}
			if w.Dir == "out" {
				continue
			}
			frame = w.Msg
			if w.TS != nil {
				recv, _ = parseFixtureTime(*w.TS)
			}
		}
		if recv.IsZero() {
			if last.IsZero() {
				last = base
			}
			recv = last.Add(fixtureFrameGap)
		}
		last = recv
		evs, err = dec.DecodeFrame(kraken.Frame{Recv: recv, Raw: frame}, evs[:0])
		if err != nil {
			bad++
			continue
		}
		for _, ev := range evs {
			if ev.Kind == feed.KindTrade || ev.Kind == feed.KindBook {
				rec.Events = append(rec.Events, ev)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("krakentest: %s: %w", path, err)
	}
	if len(rec.Events) == 0 {
		return nil, fmt.Errorf("krakentest: %s: no trades or books in %d lines (%d did not decode)", path, n, bad)
	}
	return rec, nil
}

// parseFixtureTime reads a recorder's receive time: "seconds.fraction" or RFC 3339.
func parseFixtureTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return kraken.ParseUnixTime(s)
}
