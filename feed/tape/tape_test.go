package tape

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/papertrade/papertrade/feed"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChild()
		return
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		removeBenchFiles()
		os.Exit(code)
	}))
}

// testFrame returns frame i of a deterministic sequence: mostly trade-like JSON, now and
// then a v1 array, a text frame or binary bytes, recv step apart from start.
func testFrame(i int, conn uint32, start time.Time, step time.Duration) Frame {
	f := Frame{Recv: start.Add(time.Duration(i) * step), API: feed.APIV2, Conn: conn}
	switch {
	case i%97 == 13:
		f.Raw = fmt.Appendf(nil, "proxy says: frame %d\nbye", i)
	case i%89 == 7:
		f.Raw = []byte{0xff, byte(i), byte(i >> 8), 0x00}
	case i%10 == 3:
		f.API = feed.APIV1
		f.Raw = fmt.Appendf(nil, `[337,[["68500.%d","0.0104","%d.798009","b","l",""]],"trade","XBT/USD"]`, i%10, 1716813791+i)
	default:
		f.Raw = fmt.Appendf(nil, `{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":68500.%d,"qty":0.0%d,"ord_type":"limit","trade_id":%d,"timestamp":"2024-05-27T12:43:11.798009Z"}]}`, i%10, 1000+i, 70635299+i)
	}
	return f
}

func testFrames(n int, conn uint32, start time.Time, step time.Duration) []Frame {
	out := make([]Frame, n)
	for i := range out {
		out[i] = testFrame(i, conn, start, step)
	}
	return out
}

// write records frames with a fresh Writer, reusing one Raw buffer to prove Write copies.
func write(t *testing.T, dir string, frames []Frame, opts ...Option) *Writer {
	t.Helper()
	w, err := NewWriter(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 1024)
	for _, f := range frames {
		buf = append(buf[:0], f.Raw...)
		f.Raw = buf
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
		clear(buf) // the Writer must not have kept it
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w
}

// readAll reads every frame of path, copying Raw.
func readAll(t *testing.T, path string, rg Range, opts ...ReadOption) ([]Frame, *Reader) {
	t.Helper()
	r, err := Open(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	var out []Frame
	for f, err := range r.Frames(t.Context(), rg) {
		if err != nil {
			t.Fatal(err)
		}
		f.Raw = bytes.Clone(f.Raw)
		out = append(out, f)
	}
	return out, r
}

func checkFrames(t *testing.T, got, want []Frame) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d frames, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Recv.Equal(w.Recv) || g.API != w.API || g.Conn != w.Conn || !bytes.Equal(g.Raw, w.Raw) {
			t.Fatalf("frame %d:\n got %v %v %d %q\nwant %v %v %d %q", i, g.Recv, g.API, g.Conn, g.Raw, w.Recv, w.API, w.Conn, w.Raw)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	frames := testFrames(5000, 1, t0, time.Millisecond)
	w := write(t, dir, frames, WithPairs("BTC/USD"), WithChannels("trade"), WithMeta("source", "test"))

	st := w.Stats()
	if st.Frames != 5000 || st.FlushedFrames != 5000 || st.Segments != 1 || st.Bytes <= 0 || st.RawBytes <= st.Bytes {
		t.Errorf("writer stats = %+v", st)
	}
	got, r := readAll(t, dir, Range{})
	checkFrames(t, got, frames)
	if r.WarningCount() != 0 || r.TornTails() != 0 {
		t.Errorf("warnings %v, torn %d; want none", r.Warnings(), r.TornTails())
	}
	if rs := r.Stats(); rs.Frames != 5000 || rs.Lines != 5000 || rs.Segments != 1 || rs.Bytes != st.RawBytes {
		t.Errorf("reader stats = %+v, writer raw bytes %d", rs, st.RawBytes)
	}
	if got[0].Recv.Location() != time.UTC {
		t.Errorf("recv location %v, want UTC", got[0].Recv.Location())
	}

	recs := r.Recordings()
	if len(recs) != 1 {
		t.Fatalf("%d recordings, want 1", len(recs))
	}
	m := recs[0].Manifest
	wantPath := filepath.Join(dir, "seg-20261124T101500.123Z.manifest.json")
	if recs[0].ManifestPath != wantPath || w.ManifestPath() != wantPath {
		t.Errorf("manifest at %s (writer says %s), want %s", recs[0].ManifestPath, w.ManifestPath(), wantPath)
	}
	if m.Format != Format || m.Version != 1 || m.Name != "seg" || !m.Closed || m.Frames != 5000 ||
		!m.FirstRecv.Equal(t0) || !m.LastRecv.Equal(frames[4999].Recv) ||
		!slices.Equal(m.Pairs, []feed.Pair{"BTC/USD"}) || !slices.Equal(m.Channels, []string{"trade"}) || m.Meta["source"] != "test" {
		t.Errorf("manifest = %+v", m)
	}
	if len(m.Segments) != 1 {
		t.Fatalf("segments = %+v", m.Segments)
	}
	s := m.Segments[0]
	if s.Path != "2026-11-24/seg-20261124T101500.123Z-000001.jsonl.zst" || !s.Closed || s.Frames != 5000 || s.Bytes != st.Bytes || s.RawBytes != st.RawBytes {
		t.Errorf("segment = %+v", s)
	}
	if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(s.Path))); err != nil || fi.Size() != s.Bytes {
		t.Errorf("segment file: %v, size %d, manifest says %d", err, fi.Size(), s.Bytes)
	}
}

// TestSegmentIsPlainZstdJSONLines checks the format from the outside: a stock zstd decoder
// and encoding/json read a segment.
func TestSegmentIsPlainZstdJSONLines(t *testing.T) {
	dir := t.TempDir()
	frames := testFrames(300, 2, t0, time.Second)
	write(t, dir, frames)
	segs, _ := filepath.Glob(filepath.Join(dir, "*", "*"+SegmentSuffix))
	if len(segs) != 1 {
		t.Fatalf("segments %v", segs)
	}
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	dec, _ := zstd.NewReader(nil)
	defer dec.Close()
	plain, err := dec.DecodeAll(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(plain), "\n"), "\n")
	if len(lines) != len(frames) {
		t.Fatalf("%d lines, want %d", len(lines), len(frames))
	}
	for i, l := range lines {
		var v struct {
			Recv int64  `json:"recv"`
			API  string `json:"api"`
			Conn uint32 `json:"conn"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil || v.Recv != frames[i].Recv.UnixNano() || v.Conn != 2 {
			t.Fatalf("line %d %s: %+v %v", i+1, l, v, err)
		}
	}
}

func TestRotationBySize(t *testing.T) {
	dir := t.TempDir()
	frames := testFrames(3000, 1, t0, time.Millisecond)
	w, err := NewWriter(dir, WithMaxSegmentBytes(1), WithFlushInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
		if i%500 == 499 {
			// a flush emits a block: the segment now has bytes on disk and rotates at the next frame's check
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, r := readAll(t, dir, Range{})
	checkFrames(t, got, frames)
	m := r.Recordings()[0].Manifest
	if len(m.Segments) < 6 {
		t.Fatalf("%d segments, want at least 6", len(m.Segments))
	}
	var n int64
	for i, s := range m.Segments {
		if !s.Closed || s.Frames == 0 || !strings.HasSuffix(s.Path, fmt.Sprintf("-%06d.jsonl.zst", i+1)) {
			t.Errorf("segment %d = %+v", i, s)
		}
		n += s.Frames
	}
	if n != 3000 || m.Frames != 3000 || r.Stats().Segments != len(m.Segments) {
		t.Errorf("segments hold %d frames, manifest %d, reader opened %d of %d", n, m.Frames, r.Stats().Segments, len(m.Segments))
	}
}

func TestRotationByTime(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 11, 24, 23, 58, 30, 0, time.UTC)
	frames := testFrames(300, 1, start, time.Second) // 23:58:30 to 00:03:29
	write(t, dir, frames, WithMaxSegmentAge(time.Minute))
	got, r := readAll(t, dir, Range{})
	checkFrames(t, got, frames)
	var paths []string
	for _, s := range r.Recordings()[0].Manifest.Segments {
		paths = append(paths, s.Path)
	}
	want := []string{
		"2026-11-24/seg-20261124T235830.000Z-000001.jsonl.zst",
		"2026-11-24/seg-20261124T235900.000Z-000002.jsonl.zst",
		"2026-11-25/seg-20261125T000000.000Z-000003.jsonl.zst",
		"2026-11-25/seg-20261125T000100.000Z-000004.jsonl.zst",
		"2026-11-25/seg-20261125T000200.000Z-000005.jsonl.zst",
		"2026-11-25/seg-20261125T000300.000Z-000006.jsonl.zst",
	}
	if !slices.Equal(paths, want) {
		t.Errorf("segments:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
}

// TestMergeWriters records three connections with their own Writers into one directory and
// reads them back as one stream in receive order; equal receive times go to the recording
// whose manifest sorts first.
func TestMergeWriters(t *testing.T) {
	dir := t.TempDir()
	var all []Frame
	for c := uint32(1); c <= 3; c++ {
		// conn c receives at t0 + c ms + k*3 ms, plus every 50th frame at a time shared by all
		var frames []Frame
		for k := range 2000 {
			f := testFrame(k, c, t0, 0)
			f.Recv = t0.Add(time.Duration(c)*time.Millisecond + time.Duration(k)*3*time.Millisecond)
			if k%50 == 0 {
				f.Recv = t0.Add(time.Duration(k) * 3 * time.Millisecond)
			}
			frames = append(frames, f)
		}
		write(t, dir, frames, WithName(fmt.Sprintf("conn%d", c)), WithMaxSegmentAge(time.Second))
		all = append(all, frames...)
	}
	slices.SortStableFunc(all, func(a, b Frame) int { // stable: conn order breaks ties, as manifest names do
		return a.Recv.Compare(b.Recv)
	})
	got, r := readAll(t, dir, Range{})
	checkFrames(t, got, all)
	if n := len(r.Recordings()); n != 3 {
		t.Errorf("%d recordings, want 3", n)
	}
	if r.Stats().Segments < 6*3 {
		t.Errorf("opened %d segments; rotation by second should give at least 18", r.Stats().Segments)
	}
}

func TestRange(t *testing.T) {
	dir := t.TempDir()
	frames := testFrames(600, 1, t0, time.Second) // 10 minutes, one segment per minute
	write(t, dir, frames, WithMaxSegmentAge(time.Minute))
	from, to := t0.Add(150*time.Second), t0.Add(330*time.Second)
	got, r := readAll(t, dir, Range{From: from, To: to})
	checkFrames(t, got, frames[150:330])
	if n := r.Stats().Segments; n != 4 {
		t.Errorf("opened %d segments for 3 minutes of a per-minute recording, want 4", n)
	}
	got, _ = readAll(t, dir, Range{To: t0.Add(10 * time.Second)})
	checkFrames(t, got, frames[:10])
	got, _ = readAll(t, dir, Range{From: t0.Add(595 * time.Second)})
	checkFrames(t, got, frames[595:])
}

func TestOpenSingleSegmentAndManifest(t *testing.T) {
	dir := t.TempDir()
	frames := testFrames(120, 1, t0, time.Second)
	write(t, dir, frames, WithMaxSegmentAge(time.Minute))
	seg := filepath.Join(dir, "2026-11-24", "seg-20261124T101600.123Z-000002.jsonl.zst")
	got, r := readAll(t, seg, Range{})
	checkFrames(t, got, frames[60:120])
	if r.WarningCount() != 0 || r.Recordings()[0].ManifestPath == "" {
		t.Errorf("single listed segment: warnings %v, recordings %+v", r.Warnings(), r.Recordings())
	}
	got, _ = readAll(t, filepath.Join(dir, "seg-20261124T101500.123Z.manifest.json"), Range{})
	checkFrames(t, got, frames)

	// a broken manifest nearby does not stop a single segment, but does stop the directory
	if err := os.WriteFile(filepath.Join(dir, "other-20261124T101500.123Z.manifest.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, r = readAll(t, seg, Range{})
	checkFrames(t, got, frames[60:120])
	if w := r.Warnings(); len(w) != 1 || !strings.Contains(w[0].Msg, "manifest ignored") {
		t.Errorf("warnings %v", w)
	}
	if _, err := Open(dir); err == nil {
		t.Error("a directory with a broken manifest opened")
	}
}

func TestMissingManifest(t *testing.T) {
	dir := t.TempDir()
	frames := testFrames(200, 1, t0, time.Second)
	write(t, dir, frames, WithMaxSegmentAge(time.Minute))
	ms, _ := filepath.Glob(filepath.Join(dir, "*"+ManifestSuffix))
	if len(ms) != 1 {
		t.Fatal(ms)
	}
	if err := os.Remove(ms[0]); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.WarnLevel)
	got, r := readAll(t, dir, Range{}, ReadLogger(zap.New(core)))
	checkFrames(t, got, frames)
	w := r.Warnings()
	if len(w) != 1 || !strings.Contains(w[0].Msg, "no manifest lists 4 segment(s)") || !strings.Contains(w[0].File, "seg-20261124T101500.123Z-000001") {
		t.Errorf("warnings = %v", w)
	}
	if logs.FilterMessageSnippet("no manifest").Len() != 1 {
		t.Errorf("logged %v", logs.All())
	}
}

func TestWriterContract(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir, WithFlushInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Frame{API: feed.APIV2, Raw: []byte(`{}`)}); err == nil {
		t.Error("Write with a zero receive time succeeded")
	}
	if err := w.Write(Frame{Recv: t0, API: feed.APIV2, Raw: []byte(`{}`)}); err != nil {
		t.Errorf("Write after a rejected frame: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Write(Frame{Recv: t0, Raw: []byte(`{}`)}); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if err := w.Flush(); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close: %v, want ErrClosed", err)
	}
	if _, err := NewWriter(dir, WithName("a/b")); err == nil {
		t.Error("NewWriter accepted a name with a slash")
	}

	// an empty Writer leaves no files
	empty := t.TempDir()
	w, err = NewWriter(empty)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(empty); len(ents) != 0 {
		t.Errorf("empty writer left %v", ents)
	}

	// two writers with one name recording the same data collide loudly
	frames := testFrames(1, 1, t0, 0)
	write(t, dir+"/x", frames)
	w, err = NewWriter(dir + "/x")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(frames[0]); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("colliding segment: %v", err)
	}
	if err := w.Write(frames[0]); err == nil {
		t.Error("Write after an I/O error succeeded")
	}
	_ = w.Close()
}

func TestConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir, WithFlushInterval(time.Millisecond), WithMaxSegmentBytes(4096))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for c := range uint32(4) {
		wg.Go(func() {
			for _, f := range testFrames(1000, c, t0, time.Microsecond) {
				if err := w.Write(f); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			_ = w.Flush()
			_ = w.Stats()
		}
	})
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, dir, Range{})
	// each connection's frames are in order
	next := make([]int, 4)
	for _, f := range got {
		want := testFrame(next[f.Conn], f.Conn, t0, time.Microsecond)
		checkFrames(t, []Frame{f}, []Frame{want})
		next[f.Conn]++
	}
	if !slices.Equal(next, []int{1000, 1000, 1000, 1000}) {
		t.Errorf("frames per connection %v", next)
	}
}

// TestFlushInterval runs the flush goroutine on synctest's clock: frames reach the file
// within one interval without any call from the caller.
func TestFlushInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		flushes := make(chan WriterStats, 10)
		w, err := NewWriter(dir, WithFlushInterval(time.Second), WithOnFlush(func(s WriterStats) { flushes <- s }))
		if err != nil {
			t.Fatal(err)
		}
		frames := testFrames(10, 1, t0, time.Millisecond)
		for _, f := range frames {
			if err := w.Write(f); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(999 * time.Millisecond)
		synctest.Wait()
		if n := w.Stats().Flushes; n != 0 {
			t.Fatalf("%d flushes before the interval", n)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		st := <-flushes
		if st.FlushedFrames != 10 || st.Flushes != 1 {
			t.Errorf("flush stats %+v", st)
		}
		// the open segment now reads back completely, as a torn tail
		got, r := readAll(t, dir, Range{})
		checkFrames(t, got, frames)
		if r.TornTails() != 1 {
			t.Errorf("torn tails %d, want 1 (the segment is still open)", r.TornTails())
		}
		// nothing new: no flush
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if n := w.Stats().Flushes; n != 1 {
			t.Errorf("%d flushes with nothing to flush, want 1", n)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTornTail simulates a crash in-process: the files as they are while a Writer is still
// open, cut at several places.
func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir, WithFlushInterval(0), WithMaxSegmentAge(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	frames := testFrames(3000, 1, t0, 50*time.Millisecond) // 150 s: segments 1, 2 closed, 3 open
	for _, f := range frames[:2999] {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(frames[2999]); err != nil { // buffered, not flushed: lost in the "crash"
		t.Fatal(err)
	}
	crash := t.TempDir()
	copyDir(t, dir, crash)
	defer w.Close()

	open := filepath.Join(crash, "2026-11-24", "seg-20261124T101700.023Z-000003.jsonl.zst")
	got, r := readAll(t, crash, Range{})
	checkFrames(t, got, frames[:2999])
	if r.TornTails() != 1 || len(r.Warnings()) != 1 || r.Warnings()[0].File != open || !strings.Contains(r.Warnings()[0].Msg, "torn tail") {
		t.Fatalf("torn %d, warnings %v", r.TornTails(), r.Warnings())
	}

	// cut inside the last block: the frames of that block are lost, everything before reads
	fi, err := os.Stat(open)
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int64{fi.Size() - 1, fi.Size() / 2, 3, 0} {
		if err := os.Truncate(open, cut); err != nil {
			t.Fatal(err)
		}
		got, r := readAll(t, crash, Range{})
		checkFrames(t, got, frames[:len(got)])
		if len(got) < 2398 || r.TornTails() != 1 {
			t.Errorf("cut at %d: read %d frames, torn %d (warnings %v)", cut, len(got), r.TornTails(), r.Warnings())
		}
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBreakAndConcurrency stops iterations early, with background zstd decoding, and relies on
// goleak (TestMain) to prove nothing is left running.
func TestBreakAndConcurrency(t *testing.T) {
	dir := t.TempDir()
	for c := range uint32(3) {
		write(t, dir, testFrames(3000, c, t0.Add(time.Duration(c)), time.Millisecond), WithName(fmt.Sprintf("c%d", c)), WithMaxSegmentAge(time.Second))
	}
	r, err := Open(dir, ReadConcurrency(4))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range r.Frames(t.Context(), Range{}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 4000 {
			break
		}
	}
	if file, line := r.Position(); !strings.Contains(file, "c0-") || line == 0 {
		t.Errorf("position %s:%d", file, line)
	}
	got, _ := readAll(t, dir, Range{}, ReadConcurrency(2))
	if len(got) != 9000 {
		t.Errorf("read %d frames with background decoding, want 9000", len(got))
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var last error
	n = 0
	for _, err := range r.Frames(ctx, Range{}) {
		if err != nil {
			last = err
			break
		}
		if n++; n == 10 {
			cancel()
		}
	}
	if !errors.Is(last, context.Canceled) || n != 10 {
		t.Errorf("after cancel: %d frames, error %v", n, last)
	}
}
