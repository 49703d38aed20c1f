package tape

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.uber.org/zap"
)

// Reader defaults.
const (
	DefaultMaxLine   = 64 << 20  // longest line (frame plus envelope) a Reader accepts
	DefaultMaxWindow = 128 << 20 // largest zstd window a Reader accepts
	maxWarnings      = 1000      // Warnings keeps the first ones; the counts stay exact
	initialBuf       = 256 << 10
)

type readerConfig struct {
	log         *zap.Logger
	maxLine     int
	maxWindow   uint64
	concurrency int
}

// ReadOption configures a Reader.
type ReadOption func(*readerConfig)

// ReadLogger sets the logger for warnings (default zap.NewNop()).
func ReadLogger(l *zap.Logger) ReadOption { return func(c *readerConfig) { c.log = l } }

// ReadMaxLine sets the longest line accepted, in bytes (default DefaultMaxLine). A longer line
// is an error naming its file and line.
func ReadMaxLine(n int) ReadOption { return func(c *readerConfig) { c.maxLine = n } }

// ReadMaxWindow sets the largest zstd window accepted (default DefaultMaxWindow): it bounds
// the memory a hostile or foreign segment can make the reader allocate.
func ReadMaxWindow(n uint64) ReadOption { return func(c *readerConfig) { c.maxWindow = n } }

// ReadConcurrency sets how many zstd blocks each open segment decodes ahead in background
// goroutines (default 1: decoding happens in the reading goroutine). Values above 1 overlap
// decompression with parsing on machines with spare cores; the goroutines stop when the
// iteration ends.
func ReadConcurrency(n int) ReadOption { return func(c *readerConfig) { c.concurrency = n } }

// Range selects frames by receive time: From <= Recv < To. A zero bound is open.
type Range struct {
	From, To time.Time
}

func (rg Range) bounds() (int64, int64) {
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !rg.From.IsZero() {
		from = rg.From.UnixNano()
	}
	if !rg.To.IsZero() {
		to = rg.To.UnixNano()
	}
	return from, to
}

// ReadStats counts what the latest iteration read.
type ReadStats struct {
	Frames       int64 // frames delivered
	Lines        int64 // lines parsed, including frames outside the Range
	Bytes        int64 // decompressed bytes consumed
	Segments     int   // segment files opened
	TornTails    int   // segments that ended without being closed cleanly
	DecodeErrors int64 // frames the event decoder rejected (Events and Source)
}

// Recording is one recording found by Open: its manifest, or one synthesised from the
// segments' file names when the manifest is missing.
type Recording struct {
	ManifestPath string // "" when the segments had no manifest
	Manifest     Manifest
}

// Reader reads a recording, or several recorded side by side, as one stream of frames in
// receive order. Open finds the files; each call of Frames, Events or Source reads them anew.
//
// Frames of one recording come in the order they were written (segment after segment);
// different recordings, such as one per connection, are merged by receive time, ties going
// to the recording whose manifest path sorts first.
//
// A Reader runs one iteration at a time and is not safe for concurrent use; Warnings, Stats
// and Position describe the latest iteration.
type Reader struct {
	path string
	cfg  readerConfig
	log  *zap.Logger
	recs []*recording

	openWarnings []Warning
	warnings     []Warning
	warnCount    int
	stats        ReadStats
	curFile      string
	curLine      int64
	curRec       int
}

type segState uint8

const (
	stateUnknown segState = iota // no manifest says
	stateOpen                    // the manifest lists it as not closed: it may end torn
	stateClosed                  // the manifest says it was finished and synced
)

type segRef struct {
	path     string
	state    segState
	first    int64 // FirstRecv in unix ns when the manifest has it
	last     int64
	hasRange bool // first and last are exact (closed segment)
}

type recording struct {
	manifestPath string
	info         Manifest
	segs         []segRef
	lb           int64 // no frame of the recording is expected before this receive time
}

// Open finds the recordings at path: a directory (searched recursively for manifests and
// segments), a manifest file, or a single segment file. Segments no manifest lists are read
// anyway, grouped by writer name, with a warning. It fails for a path without any tape
// (ErrNoData), an unreadable or malformed manifest, or a manifest of a newer format version.
func Open(path string, opts ...ReadOption) (*Reader, error) {
	cfg := readerConfig{maxLine: DefaultMaxLine, maxWindow: DefaultMaxWindow, concurrency: 1}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.log == nil {
		cfg.log = zap.NewNop()
	}
	if cfg.concurrency < 1 {
		cfg.concurrency = 1
	}
	r := &Reader{path: path, cfg: cfg, log: cfg.log.Named("tape")}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tape: %w", err)
	}
	var manifests, segments []string
	switch {
	case st.IsDir():
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			switch name := d.Name(); {
			case strings.HasSuffix(name, ManifestSuffix):
				manifests = append(manifests, p)
			case strings.HasSuffix(name, SegmentSuffix):
				segments = append(segments, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("tape: %w", err)
		}
		if len(manifests) == 0 && len(segments) == 0 {
			return nil, fmt.Errorf("tape: %s: %w (no *%s or *%s files)", path, ErrNoData, ManifestSuffix, SegmentSuffix)
		}
	case strings.HasSuffix(path, ManifestSuffix):
		manifests = []string{path}
	default:
		// A single segment: borrow what its manifest (if any, in the usual places) says.
		segments = []string{path}
		for _, d := range []string{filepath.Dir(path), filepath.Dir(filepath.Dir(path))} {
			ms, _ := filepath.Glob(filepath.Join(d, "*"+ManifestSuffix))
			manifests = append(manifests, ms...)
		}
	}
	slices.Sort(manifests)
	slices.Sort(segments)
	listed := make(map[string]bool)
	single := st.Mode().IsRegular() && !strings.HasSuffix(path, ManifestSuffix)
	for _, mp := range manifests {
		m, err := ReadManifest(mp)
		if err != nil && single {
			// only borrowing: a neighbour's broken manifest must not stop reading this segment
			r.openWarnings = append(r.openWarnings, Warning{File: mp, Msg: fmt.Sprintf("manifest ignored: %v", err)})
			continue
		}
		if err != nil {
			return nil, err
		}
		rec := &recording{manifestPath: mp, info: *m, lb: math.MinInt64}
		base := filepath.Dir(mp)
		for _, s := range m.Segments {
			ref := segRef{path: filepath.Join(base, filepath.FromSlash(s.Path)), state: stateOpen}
			if !s.FirstRecv.IsZero() {
				ref.first = s.FirstRecv.UnixNano()
			}
			if s.Closed {
				ref.state = stateClosed
				ref.last = s.LastRecv.UnixNano()
				ref.hasRange = !s.FirstRecv.IsZero() && !s.LastRecv.IsZero()
			}
			listed[filepath.Clean(ref.path)] = true
			rec.segs = append(rec.segs, ref)
		}
		if len(m.Segments) > 0 && !m.Segments[0].FirstRecv.IsZero() {
			rec.lb = m.Segments[0].FirstRecv.UnixNano()
		}
		r.recs = append(r.recs, rec)
	}
	if single {
		// Keep only the manifest entry of this one segment, if a manifest lists it.
		r.recs = r.singleSegment(path, listed[filepath.Clean(path)])
		return r, nil
	}
	r.addOrphans(segments, listed)
	return r, nil
}

// singleSegment narrows the recordings found next to a segment file to that file.
func (r *Reader) singleSegment(path string, listed bool) []*recording {
	clean := filepath.Clean(path)
	if listed {
		for _, rec := range r.recs {
			for _, s := range rec.segs {
				if filepath.Clean(s.path) == clean {
					info := rec.info
					info.Segments = nil
					return []*recording{{manifestPath: rec.manifestPath, info: info, segs: []segRef{s}, lb: math.MinInt64}}
				}
			}
		}
	}
	name, _, _, _ := parseSegmentName(filepath.Base(path))
	return []*recording{{
		info: Manifest{Format: Format, Version: Version, Name: name, Compression: "zstd"},
		segs: []segRef{{path: path}},
		lb:   math.MinInt64,
	}}
}

// addOrphans groups segments that no manifest lists into one recording per writer name,
// ordered by file name (which is by first receive time, then sequence).
func (r *Reader) addOrphans(segments []string, listed map[string]bool) {
	type orphan struct {
		path, name string
		t          time.Time
		seq        int
	}
	var orphans []orphan
	for _, p := range segments {
		if listed[filepath.Clean(p)] {
			continue
		}
		name, t, seq, ok := parseSegmentName(filepath.Base(p))
		if !ok {
			name = p // not named like ours: a recording of its own
		}
		orphans = append(orphans, orphan{path: p, name: name, t: t, seq: seq})
	}
	slices.SortStableFunc(orphans, func(a, b orphan) int {
		return cmp.Or(strings.Compare(a.name, b.name), a.t.Compare(b.t), cmp.Compare(a.seq, b.seq), strings.Compare(a.path, b.path))
	})
	for i := 0; i < len(orphans); {
		j := i
		rec := &recording{
			info: Manifest{Format: Format, Version: Version, Name: orphans[i].name, Compression: "zstd"},
			lb:   math.MinInt64,
		}
		if !orphans[i].t.IsZero() {
			rec.lb = orphans[i].t.UnixNano() // names carry milliseconds, truncated: a lower bound
		}
		for ; j < len(orphans) && orphans[j].name == orphans[i].name; j++ {
			rec.segs = append(rec.segs, segRef{path: orphans[j].path})
			rec.info.Segments = append(rec.info.Segments, SegmentInfo{Path: filepath.ToSlash(orphans[j].path), FirstRecv: orphans[j].t})
		}
		r.openWarnings = append(r.openWarnings, Warning{
			File: orphans[i].path,
			Msg:  fmt.Sprintf("no manifest lists %d segment(s) of writer %q; reading them in file-name order", j-i, orphans[i].name),
		})
		r.recs = append(r.recs, rec)
		i = j
	}
}

// parseSegmentName splits "<name>-<YYYYMMDDTHHMMSS.mmmZ>-<seq>.jsonl.zst".
func parseSegmentName(base string) (name string, t time.Time, seq int, ok bool) {
	stem, found := strings.CutSuffix(base, SegmentSuffix)
	if !found {
		return base, time.Time{}, 0, false
	}
	i := strings.LastIndexByte(stem, '-')
	if i < 0 {
		return stem, time.Time{}, 0, false
	}
	seq, err := strconv.Atoi(stem[i+1:])
	if err != nil {
		return stem, time.Time{}, 0, false
	}
	j := strings.LastIndexByte(stem[:i], '-')
	if j < 0 {
		return stem, time.Time{}, 0, false
	}
	t, err = time.Parse("20060102T150405.000Z", stem[j+1:i])
	if err != nil {
		return stem, time.Time{}, 0, false
	}
	return stem[:j], t, seq, true
}

// Recordings returns what Open found, in merge order.
func (r *Reader) Recordings() []Recording {
	out := make([]Recording, len(r.recs))
	for i, rec := range r.recs {
		out[i] = Recording{ManifestPath: rec.manifestPath, Manifest: rec.info}
	}
	return out
}

// Warnings returns the problems the latest iteration (and Open) worked around, at most the
// first 1000; WarningCount has the total.
func (r *Reader) Warnings() []Warning { return slices.Clone(r.warnings) }

// WarningCount returns how many warnings the latest iteration (and Open) produced.
func (r *Reader) WarningCount() int { return r.warnCount }

// TornTails returns how many segments of the latest iteration ended without being closed
// cleanly: the tail a crash cut off, or the growing end of a segment still being written.
func (r *Reader) TornTails() int { return r.stats.TornTails }

// Stats returns the latest iteration's counters.
func (r *Reader) Stats() ReadStats { return r.stats }

// Position returns the segment file and line of the frame delivered last, for messages
// about it.
func (r *Reader) Position() (file string, line int64) { return r.curFile, r.curLine }

// RecordingIndex is the index in Recordings of the recording the last frame came from.
// Connection numbers are a recording's own (every writer's connections count from 1), so
// tools following connections across recordings key them by this too.
func (r *Reader) RecordingIndex() int { return r.curRec }

func (r *Reader) warn(w Warning) {
	r.warnCount++
	if len(r.warnings) < maxWarnings {
		r.warnings = append(r.warnings, w)
	}
	r.log.Warn(w.Msg, zap.String("file", w.File), zap.Int64("line", w.Line), zap.Int64("offset", w.Offset))
}

// Frames returns the frames in rg in receive order (see Reader). A frame's Raw is valid only
// until the loop body returns; copy it to keep it. The sequence ends after the last frame,
// after an error (yielded once, with a zero Frame), or when ctx is cancelled (yielding
// ctx.Err()). Breaking out of the loop releases everything.
func (r *Reader) Frames(ctx context.Context, rg Range) iter.Seq2[Frame, error] {
	return func(yield func(Frame, error) bool) {
		it := r.newIter(rg)
		defer it.close()
		done := ctx.Done()
		for {
			select {
			case <-done:
				yield(Frame{}, ctx.Err())
				return
			default:
			}
			f, ok, err := it.next()
			if err != nil {
				yield(Frame{}, err)
				return
			}
			if !ok {
				return
			}
			r.stats.Frames++
			if !yield(f, nil) {
				return
			}
		}
	}
}

// frameIter merges the recordings' streams.
type frameIter struct {
	r        *Reader
	from, to int64
	pending  []*stream       // not started yet, by lower bound
	heap     []*stream       // started, with a current frame, by (recv, index)
	last     *stream         // delivered its current frame; advance before the next
	free     []*zstd.Decoder // decoders not in use
	all      []*zstd.Decoder // every decoder made, to Close
	bufs     [][]byte        // line buffers not in use
}

type stream struct {
	it    *frameIter
	rec   *recording
	index int
	next  int // next segment in rec.segs
	sr    *segReader
	cur   Frame
	ns    int64
	line  int64
}

func (r *Reader) newIter(rg Range) *frameIter {
	r.warnings = append(r.warnings[:0], r.openWarnings...)
	r.warnCount = len(r.openWarnings)
	r.stats = ReadStats{}
	r.curFile, r.curLine = "", 0
	for _, w := range r.openWarnings {
		r.log.Warn(w.Msg, zap.String("file", w.File))
	}
	it := &frameIter{r: r}
	it.from, it.to = rg.bounds()
	for i, rec := range r.recs {
		it.pending = append(it.pending, &stream{it: it, rec: rec, index: i})
	}
	slices.SortStableFunc(it.pending, func(a, b *stream) int { return cmp.Compare(a.rec.lb, b.rec.lb) })
	return it
}

func (it *frameIter) close() {
	for _, s := range it.heap {
		s.closeSegment()
	}
	if it.last != nil {
		it.last.closeSegment()
	}
	for _, d := range it.all {
		d.Close()
	}
}

func (it *frameIter) decoder() (*zstd.Decoder, error) {
	if n := len(it.free); n > 0 {
		d := it.free[n-1]
		it.free = it.free[:n-1]
		return d, nil
	}
	d, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(it.r.cfg.concurrency),
		zstd.WithDecoderMaxWindow(it.r.cfg.maxWindow),
	)
	if err != nil {
		return nil, err
	}
	it.all = append(it.all, d)
	return d, nil
}

func less(a, b *stream) bool {
	return a.ns < b.ns || (a.ns == b.ns && a.index < b.index)
}

// next returns the next frame in merge order.
func (it *frameIter) next() (Frame, bool, error) {
	if s := it.last; s != nil {
		it.last = nil
		ok, err := s.advance()
		if err != nil {
			return Frame{}, false, err
		}
		if ok {
			it.down(0)
		} else {
			it.pop()
		}
	}
	for len(it.pending) > 0 && (len(it.heap) == 0 || it.pending[0].rec.lb <= it.heap[0].ns) {
		s := it.pending[0]
		it.pending = it.pending[1:]
		ok, err := s.advance()
		if err != nil {
			return Frame{}, false, err
		}
		if ok {
			it.push(s)
		}
	}
	if len(it.heap) == 0 {
		return Frame{}, false, nil
	}
	s := it.heap[0]
	it.last = s
	it.r.curFile, it.r.curLine, it.r.curRec = s.sr.ref.path, s.line, s.index
	return s.cur, true, nil
}

func (it *frameIter) push(s *stream) {
	it.heap = append(it.heap, s)
	for i := len(it.heap) - 1; i > 0; {
		p := (i - 1) / 2
		if !less(it.heap[i], it.heap[p]) {
			break
		}
		it.heap[i], it.heap[p] = it.heap[p], it.heap[i]
		i = p
	}
}

func (it *frameIter) pop() {
	n := len(it.heap) - 1
	it.heap[0] = it.heap[n]
	it.heap[n] = nil
	it.heap = it.heap[:n]
	if n > 0 {
		it.down(0)
	}
}

func (it *frameIter) down(i int) {
	h := it.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// advance moves the stream to its next frame inside the range, opening segments as needed.
// It reports false when the recording is exhausted.
func (s *stream) advance() (bool, error) {
	r := s.it.r
	for {
		if s.sr == nil {
			more, err := s.openNext()
			if err != nil {
				return false, err
			}
			if !more {
				return false, nil
			}
			if s.sr == nil {
				continue
			}
		}
		line, err := s.sr.nextLine()
		if err != nil {
			s.closeSegment()
			return false, err
		}
		if line == nil {
			s.closeSegment()
			continue
		}
		r.stats.Lines++
		f, err := ParseLine(line)
		if err != nil {
			e := &PosError{File: s.sr.ref.path, Line: s.sr.line, Offset: s.sr.lineOff, Err: err}
			s.closeSegment()
			return false, e
		}
		ns := f.Recv.UnixNano()
		if ns < s.it.from || ns >= s.it.to {
			continue
		}
		s.cur, s.ns, s.line = f, ns, s.sr.line
		return true, nil
	}
}

// openNext opens the stream's next segment that can hold frames in range. It reports false
// when none is left. A segment listed as open that the writer never created is a torn tail
// (a warning, s.sr left nil); one that cannot be read otherwise is an error, because
// replaying around it would leave a silent hole in the data (issue 15 item 12).
func (s *stream) openNext() (bool, error) {
	it := s.it
	for s.next < len(s.rec.segs) {
		ref := &s.rec.segs[s.next]
		s.next++
		if ref.hasRange && (ref.last < it.from || ref.first >= it.to) {
			continue
		}
		f, err := os.Open(ref.path)
		if err != nil {
			switch {
			case errors.Is(err, fs.ErrNotExist) && ref.state == stateOpen:
				// listed, then the writer stopped before creating it
				it.r.stats.TornTails++
				it.r.warn(Warning{File: ref.path, Msg: "torn tail: segment listed as open was never created (the writer stopped first)"})
				return true, nil
			case errors.Is(err, fs.ErrNotExist):
				return false, &PosError{File: ref.path, Err: fmt.Errorf("%w: listed in the manifest as finished, but not found; restore the file, or remove its entry from %s to read the recording without it", ErrMissingSegment, s.rec.manifestName())}
			default:
				return false, &PosError{File: ref.path, Err: fmt.Errorf("%w: cannot open it: %v", ErrMissingSegment, err)}
			}
		}
		dec, err := it.decoder()
		if err == nil {
			err = dec.Reset(f)
		}
		if err != nil {
			f.Close()
			return false, &PosError{File: ref.path, Err: fmt.Errorf("cannot start zstd decoder: %w", err)}
		}
		it.r.stats.Segments++
		s.sr = &segReader{it: it, r: it.r, ref: ref, file: f, dec: dec, buf: it.takeBuf()}
		return true, nil
	}
	return false, nil
}

// manifestName names the recording's manifest for messages.
func (rec *recording) manifestName() string {
	if rec.manifestPath == "" {
		return "the manifest"
	}
	return rec.manifestPath
}

func (s *stream) closeSegment() {
	if s.sr == nil {
		return
	}
	s.sr.file.Close()
	s.it.free = append(s.it.free, s.sr.dec)
	s.it.bufs = append(s.it.bufs, s.sr.buf)
	s.sr = nil
}

// segReader splits one segment's decompressed stream into lines.
type segReader struct {
	it       *frameIter
	r        *Reader
	ref      *segRef
	file     *os.File
	dec      *zstd.Decoder
	buf      []byte
	start    int   // first unread byte in buf
	end      int   // end of data in buf
	pos      int64 // decompressed offset of buf[start]
	line     int64 // number of the line returned last
	lineOff  int64 // its offset
	readErr  error // what the decoder said when it stopped
	finished bool
}

// takeBuf recycles line buffers across the segments of an iteration.
func (it *frameIter) takeBuf() []byte {
	if n := len(it.bufs); n > 0 {
		b := it.bufs[n-1]
		it.bufs = it.bufs[:n-1]
		return b
	}
	return make([]byte, initialBuf)
}

// nextLine returns the next complete line without its newline, nil at the end of the
// segment, or an error naming the file and the place. Tails of segments that were not
// closed cleanly become warnings, not errors.
func (sr *segReader) nextLine() ([]byte, error) {
	for {
		if i := bytes.IndexByte(sr.buf[sr.start:sr.end], '\n'); i >= 0 {
			line := sr.buf[sr.start : sr.start+i]
			sr.line++
			sr.lineOff = sr.pos
			if i > sr.r.cfg.maxLine {
				sr.finished = true
				return nil, sr.tooLong()
			}
			sr.start += i + 1
			sr.pos += int64(i + 1)
			return line, nil
		}
		if sr.finished {
			return nil, nil
		}
		if sr.readErr != nil {
			sr.finished = true
			return nil, sr.tail()
		}
		if sr.start > 0 {
			sr.end = copy(sr.buf, sr.buf[sr.start:sr.end])
			sr.start = 0
		}
		if sr.end > sr.r.cfg.maxLine {
			sr.finished = true
			sr.line++
			sr.lineOff = sr.pos
			return nil, sr.tooLong()
		}
		if sr.end == len(sr.buf) {
			nb := make([]byte, min(2*len(sr.buf), sr.r.cfg.maxLine+1))
			copy(nb, sr.buf[:sr.end])
			sr.buf = nb
		}
		n, err := sr.dec.Read(sr.buf[sr.end:])
		sr.end += n
		sr.r.stats.Bytes += int64(n)
		if err != nil {
			sr.readErr = err
		}
	}
}

func (sr *segReader) tooLong() error {
	return &PosError{File: sr.ref.path, Line: sr.line, Offset: sr.lineOff, Err: fmt.Errorf("line longer than %d bytes", sr.r.cfg.maxLine)}
}

// tail decides what the end of a segment means: nothing (a clean end), a warning (the torn
// tail of a segment that was never closed), or an error (damage in a segment that was).
func (sr *segReader) tail() error {
	partial := sr.end - sr.start
	clean := errors.Is(sr.readErr, io.EOF)
	truncated := errors.Is(sr.readErr, io.ErrUnexpectedEOF)
	if clean && partial == 0 {
		switch {
		case sr.line > 0:
			return nil
		case sr.ref.state == stateClosed:
			return &PosError{File: sr.ref.path, Offset: -1, Err: errors.New("segment is empty but its manifest says it was closed")}
		}
		sr.r.stats.TornTails++
		sr.r.warn(Warning{File: sr.ref.path, Msg: "torn tail: segment is empty (nothing was flushed before the writer stopped)"})
		return nil
	}
	tolerable := sr.ref.state == stateOpen || (sr.ref.state == stateUnknown && (clean || truncated))
	var what string
	switch {
	case clean:
		what = fmt.Sprintf("last line is incomplete (%d bytes without a newline)", partial)
	case truncated:
		what = "zstd stream ends without its end mark"
	default:
		what = fmt.Sprintf("zstd: %v", sr.readErr)
	}
	if !tolerable {
		if sr.ref.state == stateClosed {
			what += " in a segment its manifest says was closed"
		}
		return &PosError{File: sr.ref.path, Line: sr.line + 1, Offset: sr.pos, Err: errors.New(what)}
	}
	msg := "torn tail (segment not closed cleanly, e.g. after a crash): " + what
	if partial > 0 && !clean {
		msg += fmt.Sprintf("; dropped %d bytes of an incomplete line", partial)
	}
	sr.r.stats.TornTails++
	sr.r.warn(Warning{File: sr.ref.path, Line: sr.line + 1, Offset: sr.pos, Msg: msg})
	return nil
}
