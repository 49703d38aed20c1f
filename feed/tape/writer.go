package tape

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
)

// Defaults for a Writer.
const (
	DefaultFlushInterval   = time.Second
	DefaultMaxSegmentBytes = 256 << 20
	DefaultMaxSegmentAge   = time.Hour
	DefaultName            = "seg"
)

// DefaultLevel is the zstd level a Writer uses. On one-trade v2 frames SpeedBetterCompression
// stores about 23 bytes per frame against 26 for SpeedDefault, for about a third more CPU,
// which a live recorder never notices (BenchmarkWrite has the numbers).
const DefaultLevel = zstd.SpeedBetterCompression

// DefaultWindow is the zstd window a Writer uses. Frames repeat their structure within a few
// kilobytes, so larger windows compress trades no better (slightly worse, in fact: far matches
// cost more bits than near ones), write more slowly, and cost every reader that much memory
// per open segment.
const DefaultWindow = 1 << 20

type writerConfig struct {
	name          string
	flushInterval time.Duration
	maxBytes      int64
	maxAge        time.Duration
	level         zstd.EncoderLevel
	window        int
	log           *zap.Logger
	onFlush       func(WriterStats)
	pairs         []feed.Pair
	channels      []string
	meta          map[string]string
}

// Option configures a Writer.
type Option func(*writerConfig)

// WithName sets the recording's name, which prefixes its manifest and segment files
// (default "seg"). Writers that share a directory at the same time need different names.
// Letters, digits, '.', '_' and '-' are allowed.
func WithName(name string) Option { return func(c *writerConfig) { c.name = name } }

// WithFlushInterval sets how often buffered frames are pushed to the file (default 1 s): a
// crash of the process loses at most the frames of the last interval. A Writer-owned
// goroutine does it, so the bound holds even when no frames arrive. Zero or less disables
// the goroutine: the caller then calls Flush itself (importers need not).
func WithFlushInterval(d time.Duration) Option {
	return func(c *writerConfig) { c.flushInterval = d }
}

// WithMaxSegmentBytes rotates a segment once its compressed size reaches n bytes (default
// 256 MiB). The encoder writes whole blocks (up to 128 KiB of input), so a segment can end up
// one compressed block larger than n. Zero or less disables size rotation.
func WithMaxSegmentBytes(n int64) Option { return func(c *writerConfig) { c.maxBytes = n } }

// WithMaxSegmentAge rotates segments on receive-time boundaries that are multiples of d in
// UTC (default 1 h: one segment per hour of data). Frames' receive times decide, not the wall
// clock, so imported history rotates like live data. Zero or less disables time rotation.
func WithMaxSegmentAge(d time.Duration) Option { return func(c *writerConfig) { c.maxAge = d } }

// WithLevel sets the zstd compression level (default DefaultLevel).
func WithLevel(l zstd.EncoderLevel) Option { return func(c *writerConfig) { c.level = l } }

// WithWindow sets the zstd window size in bytes, a power of two from 1 KiB (default
// DefaultWindow). Readers refuse windows above their limit (ReadMaxWindow).
func WithWindow(n int) Option { return func(c *writerConfig) { c.window = n } }

// WithLogger sets the logger (default zap.NewNop()).
func WithLogger(l *zap.Logger) Option { return func(c *writerConfig) { c.log = l } }

// WithOnFlush calls fn after every completed flush (periodic, explicit, at rotation and at
// Close), outside the Writer's lock, with the stats at that moment: FlushedFrames frames are
// then in the file. fn may be called from the flush goroutine and from callers of Write,
// Flush and Close concurrently, and must not call back into the Writer.
func WithOnFlush(fn func(WriterStats)) Option { return func(c *writerConfig) { c.onFlush = fn } }

// WithPairs records the pairs the producer subscribed to in the manifest.
func WithPairs(p ...feed.Pair) Option {
	return func(c *writerConfig) { c.pairs = append(c.pairs, p...) }
}

// WithChannels records the channels the producer subscribed to in the manifest.
func WithChannels(ch ...string) Option {
	return func(c *writerConfig) { c.channels = append(c.channels, ch...) }
}

// WithMeta records a free-form key/value pair in the manifest (for example "source" =
// "kraken-csv" for an importer).
func WithMeta(key, value string) Option {
	return func(c *writerConfig) {
		if c.meta == nil {
			c.meta = make(map[string]string)
		}
		c.meta[key] = value
	}
}

// WriterStats counts what a Writer did.
type WriterStats struct {
	Frames        int64 // frames accepted by Write
	FlushedFrames int64 // frames in the file as of the last completed flush
	RawBytes      int64 // JSON line bytes before compression
	Bytes         int64 // compressed bytes written to segment files
	Segments      int   // segments opened
	Flushes       int64 // completed flushes
}

// Writer records frames into a directory of zstd-compressed JSON-lines segments and keeps the
// directory's manifest up to date. Segments open lazily at the first frame, named after that
// frame's receive time, and rotate by size and by receive time.
//
// A Writer is safe for concurrent use; frames are stored in the order Write is called, which
// is the order a Reader returns them in within this recording. Close must be called to
// finish the last segment and stop the flush goroutine.
type Writer struct {
	dir  string
	cfg  writerConfig
	log  *zap.Logger
	stop chan struct{} // closed by Close to stop the flush goroutine
	done chan struct{} // closed by the flush goroutine when it returns; nil without one

	mu          sync.Mutex
	enc         *zstd.Encoder
	file        *os.File
	counter     countingWriter
	man         Manifest
	manPath     string
	seg         *SegmentInfo // the open segment (last of man.Segments) or nil
	segSeq      int
	segEnd      int64 // receive time (unix ns) at which the open segment rotates
	closedBytes int64 // compressed size of the closed segments
	line        []byte
	dirty       bool // frames written since the last flush
	stats       WriterStats
	err         error // sticky: after an I/O error every Write fails
	closed      bool
	closeErr    error
}

// countingWriter counts what the encoder writes to the segment file.
type countingWriter struct {
	f *os.File
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.f.Write(p)
	c.n += int64(n)
	return n, err
}

// NewWriter returns a Writer that records into dir, creating it if needed. No file is created
// until the first frame.
func NewWriter(dir string, opts ...Option) (*Writer, error) {
	cfg := writerConfig{
		name:          DefaultName,
		flushInterval: DefaultFlushInterval,
		maxBytes:      DefaultMaxSegmentBytes,
		maxAge:        DefaultMaxSegmentAge,
		level:         DefaultLevel,
		window:        DefaultWindow,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.log == nil {
		cfg.log = zap.NewNop()
	}
	if !validName(cfg.name) {
		return nil, fmt.Errorf("tape: writer name %q: use letters, digits, '.', '_' and '-'", cfg.name)
	}
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(cfg.level),
		zstd.WithWindowSize(cfg.window),
		zstd.WithEncoderConcurrency(1), // synchronous: no encoder goroutines, and Flush is a plain write
		zstd.WithEncoderCRC(true),
	)
	if err != nil {
		return nil, fmt.Errorf("tape: zstd encoder: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tape: %w", err)
	}
	w := &Writer{
		dir:  dir,
		cfg:  cfg,
		log:  cfg.log.Named("tape"),
		stop: make(chan struct{}),
		enc:  enc,
		man: Manifest{
			Format:      Format,
			Version:     Version,
			Name:        cfg.name,
			Compression: "zstd",
			Pairs:       slices.Clone(cfg.pairs),
			Channels:    slices.Clone(cfg.channels),
			Meta:        cfg.meta,
			Segments:    []SegmentInfo{},
		},
		line: make([]byte, 0, 4096),
	}
	if cfg.flushInterval > 0 {
		w.done = make(chan struct{})
		go w.flushLoop(cfg.flushInterval)
	}
	return w, nil
}

func validName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// flushLoop bounds how long a frame stays in the encoder's buffer. It is the Writer's only
// goroutine; Close stops it and waits for it.
func (w *Writer) flushLoop(interval time.Duration) {
	defer close(w.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.mu.Lock()
			flushed, err := w.flushLocked()
			st := w.stats
			w.mu.Unlock()
			if err != nil {
				w.log.Error("periodic flush failed", zap.Error(err))
			}
			if flushed && w.cfg.onFlush != nil {
				w.cfg.onFlush(st)
			}
		}
	}
}

// Write appends one frame. It copies f.Raw before returning, so the caller may reuse the
// buffer. It fails for a receive time outside 1678–2262 or an unknown API (the Writer stays
// usable), after an I/O error (every later Write fails too), and after Close.
func (w *Writer) Write(f Frame) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	line, err := AppendLine(w.line[:0], f)
	if err != nil {
		w.mu.Unlock()
		return err
	}
	w.line = line
	ns := f.Recv.UnixNano()
	flushed := false
	if w.seg != nil && w.cfg.maxAge > 0 && ns >= w.segEnd {
		flushed, err = w.closeSegmentLocked()
	}
	if err == nil && w.seg == nil {
		err = w.openSegmentLocked(f.Recv)
	}
	if err == nil {
		_, err = w.enc.Write(line)
	}
	if err != nil {
		w.err = fmt.Errorf("tape: %w", err)
		err = w.err
		w.mu.Unlock()
		w.log.Error("write failed", zap.Error(err))
		return err
	}
	s := w.seg
	if s.Frames == 0 || f.Recv.After(s.LastRecv) {
		s.LastRecv = f.Recv.UTC()
	}
	if f.Recv.Before(s.FirstRecv) {
		s.FirstRecv = f.Recv.UTC()
	}
	s.Frames++
	s.RawBytes += int64(len(line))
	w.stats.Frames++
	w.stats.RawBytes += int64(len(line))
	w.dirty = true
	if w.cfg.maxBytes > 0 && w.counter.n >= w.cfg.maxBytes {
		var f2 bool
		f2, err = w.closeSegmentLocked()
		flushed = flushed || f2
		if err != nil {
			w.err = fmt.Errorf("tape: %w", err)
			err = w.err
		}
	}
	st := w.stats
	w.mu.Unlock()
	if flushed && w.cfg.onFlush != nil {
		w.cfg.onFlush(st)
	}
	return err
}

// Flush pushes buffered frames to the current segment file as a complete zstd block, so that
// a reader (or a crash) sees every frame written so far.
func (w *Writer) Flush() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	flushed, err := w.flushLocked()
	st := w.stats
	w.mu.Unlock()
	if flushed && w.cfg.onFlush != nil {
		w.cfg.onFlush(st)
	}
	return err
}

// flushLocked flushes when there is something to flush and reports whether it did.
func (w *Writer) flushLocked() (bool, error) {
	if w.err != nil {
		return false, w.err
	}
	if !w.dirty || w.seg == nil {
		return false, nil
	}
	if err := w.enc.Flush(); err != nil {
		w.err = fmt.Errorf("tape: flush %s: %w", w.file.Name(), err)
		return false, w.err
	}
	w.dirty = false
	w.stats.Flushes++
	w.stats.FlushedFrames = w.stats.Frames
	w.stats.Bytes = w.bytesLocked()
	return true, nil
}

// bytesLocked is the compressed total: closed segments plus what the open one has so far.
func (w *Writer) bytesLocked() int64 {
	if w.seg != nil {
		return w.closedBytes + w.counter.n
	}
	return w.closedBytes
}

// openSegmentLocked creates the next segment file, named after the receive time of its first
// frame, and lists it in the manifest. The first segment is created before the manifest is
// written: creating it exclusively is what keeps two writers of one name from sharing a
// manifest. Later segments are listed first, so a crash in between leaves a listed, missing
// open segment (a torn tail) rather than an unlisted file.
func (w *Writer) openSegmentLocked(first time.Time) error {
	t := first.UTC()
	stamp := t.Format("20060102T150405.000Z")
	rel := path.Join(t.Format("2006-01-02"), fmt.Sprintf("%s-%s-%06d%s", w.cfg.name, stamp, w.segSeq+1, SegmentSuffix))
	full := filepath.Join(w.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	listFirst := w.manPath != ""
	w.man.Segments = append(w.man.Segments, SegmentInfo{Path: rel, FirstRecv: t})
	if listFirst {
		if err := writeManifest(w.manPath, &w.man); err != nil {
			w.man.Segments = w.man.Segments[:len(w.man.Segments)-1]
			return fmt.Errorf("manifest: %w", err)
		}
	}
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		w.man.Segments = w.man.Segments[:len(w.man.Segments)-1]
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("segment %s already exists: is another writer named %q recording the same data into %s? (WithName)", full, w.cfg.name, w.dir)
		}
		return err
	}
	w.segSeq++
	w.file = f
	w.counter = countingWriter{f: f}
	w.enc.Reset(&w.counter)
	w.seg = &w.man.Segments[len(w.man.Segments)-1]
	if w.man.FirstRecv.IsZero() || t.Before(w.man.FirstRecv) {
		w.man.FirstRecv = t
	}
	w.segEnd = 1<<63 - 1
	if w.cfg.maxAge > 0 {
		w.segEnd = t.Truncate(w.cfg.maxAge).Add(w.cfg.maxAge).UnixNano()
	}
	w.stats.Segments++
	w.log.Debug("segment opened", zap.String("file", full))
	if !listFirst {
		w.manPath = filepath.Join(w.dir, w.cfg.name+"-"+stamp+ManifestSuffix)
		if err := writeManifest(w.manPath, &w.man); err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
	}
	return nil
}

// closeSegmentLocked finishes the open segment's zstd frame, syncs and closes the file, and
// marks it closed in the manifest. It reports whether buffered frames were flushed.
func (w *Writer) closeSegmentLocked() (bool, error) {
	s := w.seg
	w.seg = nil
	flushed := w.dirty
	err := w.enc.Close()
	if err == nil {
		err = w.file.Sync()
	}
	if cerr := w.file.Close(); err == nil {
		err = cerr
	}
	s.Bytes = w.counter.n
	w.closedBytes += s.Bytes
	w.counter = countingWriter{}
	w.file = nil
	if err != nil {
		return false, fmt.Errorf("close segment %s: %w", s.Path, err)
	}
	s.Closed = true
	w.dirty = false
	w.man.Frames += s.Frames
	if s.FirstRecv.Before(w.man.FirstRecv) {
		w.man.FirstRecv = s.FirstRecv
	}
	if s.LastRecv.After(w.man.LastRecv) {
		w.man.LastRecv = s.LastRecv
	}
	if flushed {
		w.stats.Flushes++
		w.stats.FlushedFrames = w.stats.Frames
	}
	w.stats.Bytes = w.bytesLocked()
	w.log.Debug("segment closed", zap.String("file", s.Path), zap.Int64("frames", s.Frames), zap.Int64("bytes", s.Bytes))
	if err := writeManifest(w.manPath, &w.man); err != nil {
		return flushed, fmt.Errorf("manifest: %w", err)
	}
	return flushed, nil
}

// Close stops the flush goroutine, finishes the open segment and writes the final manifest.
// Calling it again returns the first call's result.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		err := w.closeErr
		w.mu.Unlock()
		return err
	}
	w.closed = true
	w.mu.Unlock()

	close(w.stop)
	if w.done != nil {
		<-w.done
	}

	w.mu.Lock()
	var errs []error
	flushed := false
	if w.seg != nil {
		var err error
		flushed, err = w.closeSegmentLocked()
		errs = append(errs, err)
	}
	if w.manPath != "" {
		w.man.Closed = w.err == nil && errors.Join(errs...) == nil
		if err := writeManifest(w.manPath, &w.man); err != nil {
			errs = append(errs, fmt.Errorf("manifest: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		w.closeErr = fmt.Errorf("tape: close: %w", err)
	}
	err := w.closeErr
	st := w.stats
	w.mu.Unlock()
	if flushed && w.cfg.onFlush != nil {
		w.cfg.onFlush(st)
	}
	return err
}

// Stats returns the Writer's counters. Bytes includes what the encoder has written to the
// open segment so far.
func (w *Writer) Stats() WriterStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.stats
	st.Bytes = w.bytesLocked()
	return st
}

// ManifestPath returns the manifest's path, or "" before the first frame.
func (w *Writer) ManifestPath() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.manPath
}
