package tape

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
)

func v2Trade(id uint64, recv time.Time, conn uint32) Frame {
	return Frame{Recv: recv, API: feed.APIV2, Conn: conn, Raw: fmt.Appendf(nil,
		`{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":68500.1,"qty":0.01,"ord_type":"limit","trade_id":%d,"timestamp":"2024-05-27T12:43:11.798009Z"}]}`, id)}
}

// TestSummarize: counts, a trade id gap, a silence, a reconnect and an undecodable frame are
// all reported, in the JSON form's fields and in the text.
func TestSummarize(t *testing.T) {
	t0 := time.Date(2024, 5, 27, 12, 0, 0, 0, time.UTC)
	frames := []Frame{
		v2Trade(100, t0, 1),
		v2Trade(101, t0.Add(time.Second), 1),
		v2Trade(105, t0.Add(20*time.Second), 1), // 19 s of silence, ids 102-104 missing
		{Recv: t0.Add(21 * time.Second), API: feed.APIV2, Conn: 1, Raw: []byte(`{"channel":"trade","type":"update","data":[{"symbol":`)},
		v2Trade(106, t0.Add(30*time.Second), 2), // a new connection
	}
	dir := t.TempDir()
	write(t, dir, frames)
	s, err := Summarize(context.Background(), dir, SummaryOptions{Gap: 10 * time.Second, MaxList: 10})
	if err != nil {
		t.Fatal(err)
	}
	if s.Frames != 5 || s.FramesByAPI["v2"] != 5 || len(s.Conns) != 2 || s.Conns[0].Frames != 4 || s.Conns[1].Frames != 1 {
		t.Errorf("frames %d %v, connections %+v; want 5 v2 frames on conns 1 (4) and 2 (1)", s.Frames, s.FramesByAPI, s.Conns)
	}
	if s.DecodeErrors != 1 || s.WarningCount != 1 || len(s.Warnings) != 1 {
		t.Errorf("decode errors %d, warnings %d %q; want 1 and 1", s.DecodeErrors, s.WarningCount, s.Warnings)
	}
	if len(s.TradeIDs) != 1 || s.TradeIDs[0] != (TradeIDs{Pair: "BTC/USD", First: 100, Last: 106, Missing: 3}) {
		t.Errorf("trade ids %+v; want BTC/USD 100 → 106, 3 missing", s.TradeIDs)
	}
	if s.IDGapCount != 1 || s.IDGaps[0].After != 101 || s.IDGaps[0].Next != 105 {
		t.Errorf("id gaps %d %+v; want one, 101 → 105", s.IDGapCount, s.IDGaps)
	}
	if s.TimeGapCount != 2 || s.TimeGaps[0].What != "silence" || !strings.HasPrefix(s.TimeGaps[1].What, "new connection") {
		t.Errorf("time gaps %d %+v; want a silence and a new connection", s.TimeGapCount, s.TimeGaps)
	}
	if len(s.Events) != 1 || s.Events[0].Counts["trade"] != 4 {
		t.Errorf("events %+v; want 4 BTC/USD trades", s.Events)
	}
	if !s.First.Equal(t0) || !s.Last.Equal(t0.Add(30*time.Second)) || len(s.Recordings) != 1 || !s.Recordings[0].Closed {
		t.Errorf("range %s → %s, recordings %+v", s.First, s.Last, s.Recordings)
	}

	var b bytes.Buffer
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"frames: 5 (v2 5)",
		"connection 2 (v2): 1 frames",
		"trade ids BTC/USD: 100 → 106, 3 missing, 0 repeated",
		"trade id gap BTC/USD: 3 missing between 101 and 105",
		"gaps: 2 (silence over 10s, reconnects)",
		"frames not decoded: 1",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}

// A write error is returned, not lost.
func TestSummaryWriteTextError(t *testing.T) {
	s := &Summary{Frames: 1, FramesByAPI: map[string]int64{"v2": 1}}
	if err := s.WriteText(failWriter{}); err == nil {
		t.Error("WriteText to a failing writer returned nil")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

// TestSummarizeCrashedRecording: a recorder killed mid-segment leaves that segment "open" in
// the manifest with 0 frames; Summarize counts it from the file (issue 15 item 13: tape info
// showed the open segment as 0 frames).
func TestSummarizeCrashedRecording(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir, WithFlushInterval(0), WithMaxSegmentAge(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	frames := testFrames(3000, 1, t0, 50*time.Millisecond) // segments 1, 2 closed, 3 open
	for _, f := range frames[:2999] {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	crash := t.TempDir()
	copyDir(t, dir, crash)
	defer w.Close()

	s, err := Summarize(context.Background(), crash, SummaryOptions{MaxList: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Recordings) != 1 || len(s.Recordings[0].Segments) != 3 {
		t.Fatalf("recordings %+v", s.Recordings)
	}
	segs := s.Recordings[0].Segments
	var total int64
	for _, seg := range segs {
		total += seg.Frames
	}
	open := segs[2]
	if open.Closed || open.Frames == 0 || total != 2999 || !open.LastRecv.Equal(frames[2998].Recv) || open.Bytes == 0 || open.RawBytes == 0 {
		t.Errorf("open segment %+v, %d frames in all segments; want them counted from the file (2999 in all, last %v)", open, total, frames[2998].Recv)
	}
	var b bytes.Buffer
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d frames", open.Frames); !strings.Contains(b.String(), want) || !strings.Contains(b.String(), "counted from the file") {
		t.Errorf("text lacks %q and 'counted from the file':\n%s", want, b.String())
	}
}

// TestSummarizeSeveralRecordings: connections are a recording's own (every recorder numbers
// from 1), so a second recording's conn 1 is not the first's conn 1 coming back after a
// silence (issue 15 item 14: tape info over a directory of several recordings reported
// false silences).
func TestSummarizeSeveralRecordings(t *testing.T) {
	t0 := time.Date(2024, 5, 27, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	// Recording a: conn 1 for 60 s, then a reconnect (conn 2) for 120 s, a frame a second.
	var a []Frame
	for i := range 180 {
		conn := uint32(1)
		if i >= 60 {
			conn = 2
		}
		a = append(a, v2Trade(uint64(1000+i), t0.Add(time.Duration(i)*time.Second), conn))
	}
	write(t, dir, a, WithName("a"))
	// Recording b, another recorder started at +100 s on its own conn 1.
	var b []Frame
	for i := range 60 {
		b = append(b, Frame{Recv: t0.Add(time.Duration(100+i) * time.Second), API: feed.APIV2, Conn: 1, Raw: []byte(`{"channel":"heartbeat"}`)})
	}
	write(t, dir, b, WithName("b"))
	s, err := Summarize(context.Background(), dir, SummaryOptions{Gap: 10 * time.Second, MaxList: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range s.TimeGaps {
		if g.What == "silence" {
			t.Errorf("false silence %+v: recording a had a frame every second", g)
		}
	}
	if s.TimeGapCount != 1 || !strings.Contains(s.TimeGaps[0].What, "new connection") {
		t.Errorf("gaps %+v; want only a's reconnect at 60 s", s.TimeGaps)
	}
}
