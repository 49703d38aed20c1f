package backtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
	"github.com/papertrade/papertrade/internal/batches"
)

// The decoded-event cache. The first whole-tape replay of a recording writes the events the
// normaliser made of it (EngineKinds, every pair) to a compact binary file; later backtests
// and sweeps of the same data read it instead of decompressing, parsing and normalising the
// JSON frames again. The tape stays the source of truth: the cache is keyed by the SHA-256 of
// every data file, the normaliser's version (kraken.NormalizerVersion) and the cache format,
// so a changed recording, a parser fix or a new format simply misses and is rebuilt. A cache
// file that cannot be read is ignored (and rebuilt), never trusted.
//
// Format (version cacheFormat), zstd-compressed as one stream:
//
//	header: "PTEVC" 0x00, uvarint format, 32-byte key
//	records, each a tag byte then its fields (integers as varints):
//	  tagPair  a pair name (string), numbered from 0 in order of appearance
//	  tagTrade api, conn, pair, side, ordtype, recv, time, trade time, id, price coefficient
//	           and exponent, quantity coefficient and exponent
//	  tagBook  api, conn, pair, recv, time, snapshot, checksum, has-checksum, book time,
//	           depth, bids, asks (each level: price mantissa and scale, quantity mantissa
//	           and scale, republish)
//	  tagOther any other event, gob-encoded, length-prefixed (rare kinds)
//	  tagEnd   the number of event records, then nothing: a file without it is truncated
//
// Times are unix nanoseconds (math.MinInt64 for the zero time), read back in UTC like every
// replay's.
//
// cacheFormat is part of the key: bump it whenever this package or feed/tape changes what
// events the same files give outside the normaliser (kraken.NormalizerVersion covers that one):
// 2 since a tape missing a finished segment is an error rather than a warning, so a cache an
// older build wrote from such a tape no longer answers.
const cacheFormat = 2

var cacheMagic = []byte("PTEVC\x00")

const (
	tagPair byte = iota + 1
	tagTrade
	tagBook
	tagOther
	tagEnd
)

// CacheOff, as a cache directory, turns the decoded-event cache off.
const CacheOff = "off"

// DefaultCacheDir is where the CLI keeps decoded events: the user's cache directory
// (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS) under
// papertrade/events. Deleting it is always safe.
func DefaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return CacheOff
	}
	return filepath.Join(d, "papertrade", "events")
}

// cacheKey identifies the events a tape's files normalise to.
func cacheKey(files []report.DataFile) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "papertrade decoded events\nformat %d\nnormalizer %d\nkinds %v\n", cacheFormat, kraken.NormalizerVersion, EngineKinds)
	for _, f := range files {
		fmt.Fprintf(h, "%s %d %s\n", f.Path, f.Bytes, f.SHA256)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// cachePath is the cache file for key in dir.
func cachePath(dir string, key [32]byte) string {
	return filepath.Join(dir, hex.EncodeToString(key[:16])+".evc")
}

// cacheWriter writes one cache file: to a temporary file first, renamed into place by commit,
// so a crash or an interrupted replay never leaves a file that looks complete.
type cacheWriter struct {
	f     *os.File
	path  string
	zw    *zstd.Encoder
	bw    *bufio.Writer
	buf   []byte
	pairs map[feed.Pair]uint64
	n     uint64
	err   error
}

func newCacheWriter(dir string, key [32]byte) (*cacheWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, ".tmp-*.evc")
	if err != nil {
		return nil, err
	}
	zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	w := &cacheWriter{f: f, path: cachePath(dir, key), zw: zw, bw: bufio.NewWriterSize(zw, 1<<16), pairs: map[feed.Pair]uint64{}}
	w.buf = append(w.buf, cacheMagic...)
	w.buf = binary.AppendUvarint(w.buf, cacheFormat)
	w.buf = append(w.buf, key[:]...)
	w.flush()
	return w, nil
}

func (w *cacheWriter) flush() {
	if w.err == nil {
		_, w.err = w.bw.Write(w.buf)
	}
	w.buf = w.buf[:0]
}

func appendTime(b []byte, t time.Time) []byte { return binary.AppendVarint(b, unixNano(t)) }

func (w *cacheWriter) pair(p feed.Pair) uint64 {
	if i, ok := w.pairs[p]; ok {
		return i
	}
	i := uint64(len(w.pairs))
	w.pairs[p] = i
	w.buf = append(w.buf, tagPair)
	w.buf = binary.AppendUvarint(w.buf, uint64(len(p)))
	w.buf = append(w.buf, p...)
	return i
}

// add appends one event.
func (w *cacheWriter) add(ev *feed.Event) {
	if w.err != nil {
		return
	}
	w.n++
	switch {
	case ev.Kind == feed.KindTrade && ev.Trade.Pair == ev.Pair:
		pc, pe, ok1 := compactDecimal(ev.Trade.Price)
		qc, qe, ok2 := compactDecimal(ev.Trade.Qty)
		if !ok1 || !ok2 {
			break
		}
		p := w.pair(ev.Pair)
		w.buf = append(w.buf, tagTrade, byte(ev.API))
		w.buf = binary.AppendUvarint(w.buf, uint64(ev.Conn))
		w.buf = binary.AppendUvarint(w.buf, p)
		w.buf = append(w.buf, byte(ev.Trade.Side), byte(ev.Trade.OrdType))
		w.buf = appendTime(w.buf, ev.Recv)
		w.buf = appendTime(w.buf, ev.Time)
		w.buf = appendTime(w.buf, ev.Trade.Time)
		w.buf = binary.AppendUvarint(w.buf, ev.Trade.ID)
		w.buf = binary.AppendVarint(w.buf, pc)
		w.buf = append(w.buf, byte(pe))
		w.buf = binary.AppendVarint(w.buf, qc)
		w.buf = append(w.buf, byte(qe))
		w.flush()
		return
	case ev.Kind == feed.KindBook && ev.Book != nil && ev.Book.Pair == ev.Pair:
		p := w.pair(ev.Pair)
		u := ev.Book
		w.buf = append(w.buf, tagBook, byte(ev.API))
		w.buf = binary.AppendUvarint(w.buf, uint64(ev.Conn))
		w.buf = binary.AppendUvarint(w.buf, p)
		w.buf = appendTime(w.buf, ev.Recv)
		w.buf = appendTime(w.buf, ev.Time)
		w.buf = append(w.buf, boolByte(u.Snapshot))
		w.buf = binary.AppendUvarint(w.buf, uint64(u.Checksum))
		w.buf = append(w.buf, boolByte(u.HasChecksum))
		w.buf = appendTime(w.buf, u.Time)
		w.buf = binary.AppendVarint(w.buf, int64(u.Depth))
		for _, side := range [2][]feed.BookLevel{u.Bids, u.Asks} {
			w.buf = binary.AppendUvarint(w.buf, uint64(len(side)))
			for _, l := range side {
				w.buf = binary.AppendVarint(w.buf, l.Price.Mant)
				w.buf = binary.AppendVarint(w.buf, int64(l.Price.Scale))
				w.buf = binary.AppendVarint(w.buf, l.Qty.Mant)
				w.buf = binary.AppendVarint(w.buf, int64(l.Qty.Scale))
				w.buf = append(w.buf, boolByte(l.Republish))
			}
		}
		w.flush()
		return
	}
	// Anything else (rare kinds, trades whose numbers do not fit the compact form): gob.
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(ev); err != nil {
		w.err = err
		return
	}
	w.buf = append(w.buf, tagOther)
	w.buf = binary.AppendUvarint(w.buf, uint64(b.Len()))
	w.buf = append(w.buf, b.Bytes()...)
	w.flush()
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// commit ends the file and moves it into place; abort discards it.
func (w *cacheWriter) commit() error {
	w.buf = append(w.buf, tagEnd)
	w.buf = binary.AppendUvarint(w.buf, w.n)
	w.flush()
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	if err := w.zw.Close(); w.err == nil {
		w.err = err
	}
	if err := w.f.Close(); w.err == nil {
		w.err = err
	}
	if w.err == nil {
		w.err = os.Rename(w.f.Name(), w.path)
	}
	if w.err != nil {
		os.Remove(w.f.Name())
	}
	return w.err
}

func (w *cacheWriter) abort() {
	w.zw.Close()
	w.f.Close()
	os.Remove(w.f.Name())
}

// errCacheCorrupt says a cache file is not what its header promises.
var errCacheCorrupt = errors.New("backtest: event cache corrupt")

// cacheReader reads one cache file's events in order.
type cacheReader struct {
	f     *os.File
	zr    *zstd.Decoder
	br    *bufio.Reader
	pairs []feed.Pair
	n     uint64
	done  bool
}

// openCache opens the cache file for key in dir; a missing file is (nil, nil).
func openCache(dir string, key [32]byte) (*cacheReader, error) {
	f, err := os.Open(cachePath(dir, key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		f.Close()
		return nil, err
	}
	r := &cacheReader{f: f, zr: zr, br: bufio.NewReaderSize(zr, 1<<16)}
	head := make([]byte, len(cacheMagic))
	if _, err := io.ReadFull(r.br, head); err != nil || string(head) != string(cacheMagic) {
		r.close()
		return nil, errCacheCorrupt
	}
	if v, err := binary.ReadUvarint(r.br); err != nil || v != cacheFormat {
		r.close()
		return nil, errCacheCorrupt
	}
	var k [32]byte
	if _, err := io.ReadFull(r.br, k[:]); err != nil || k != key {
		r.close()
		return nil, errCacheCorrupt
	}
	return r, nil
}

func (r *cacheReader) close() {
	r.zr.Close()
	r.f.Close()
}

func (r *cacheReader) uvarint() (uint64, error) { return binary.ReadUvarint(r.br) }
func (r *cacheReader) varint() (int64, error)   { return binary.ReadVarint(r.br) }

// next reads the next event into dst (book levels are freshly allocated: events are
// immutable once sent); ok is false at the end.
func (r *cacheReader) next(dst *feed.Event) (ok bool, err error) {
	defer func() {
		if err != nil && !errors.Is(err, errCacheCorrupt) {
			err = fmt.Errorf("%w: %v", errCacheCorrupt, err)
		}
	}()
	for {
		tag, err := r.br.ReadByte()
		if err != nil {
			return false, err
		}
		switch tag {
		case tagPair:
			n, err := r.uvarint()
			if err != nil || n > 64 {
				return false, errCacheCorrupt
			}
			b := make([]byte, n)
			if _, err := io.ReadFull(r.br, b); err != nil {
				return false, err
			}
			r.pairs = append(r.pairs, feed.Pair(b))
		case tagTrade:
			return true, r.trade(dst)
		case tagBook:
			return true, r.book(dst)
		case tagOther:
			n, err := r.uvarint()
			if err != nil || n > 1<<24 {
				return false, errCacheCorrupt
			}
			b := make([]byte, n)
			if _, err := io.ReadFull(r.br, b); err != nil {
				return false, err
			}
			*dst = feed.Event{}
			if err := gob.NewDecoder(bytes.NewReader(b)).Decode(dst); err != nil {
				return false, err
			}
			r.n++
			return true, nil
		case tagEnd:
			n, err := r.uvarint()
			if err != nil || n != r.n {
				return false, errCacheCorrupt
			}
			r.done = true
			return false, nil
		default:
			return false, errCacheCorrupt
		}
	}
}

// fields reads a record's fields in sequence and keeps the first error.
type fields struct {
	r   *cacheReader
	err error
}

func (f *fields) u() uint64 {
	if f.err != nil {
		return 0
	}
	v, err := f.r.uvarint()
	f.err = err
	return v
}

func (f *fields) i() int64 {
	if f.err != nil {
		return 0
	}
	v, err := f.r.varint()
	f.err = err
	return v
}

func (f *fields) b() byte {
	if f.err != nil {
		return 0
	}
	v, err := f.r.br.ReadByte()
	f.err = err
	return v
}

func (f *fields) t() time.Time { return fromNano(f.i()) }

func (f *fields) pair() feed.Pair {
	i := f.u()
	if f.err == nil && i >= uint64(len(f.r.pairs)) {
		f.err = errCacheCorrupt
	}
	if f.err != nil {
		return ""
	}
	return f.r.pairs[i]
}

func (f *fields) scale() int32 {
	v := f.i()
	if v < math.MinInt32 || v > math.MaxInt32 {
		f.err = errCacheCorrupt
	}
	return int32(v)
}

func (r *cacheReader) trade(dst *feed.Event) error {
	f := fields{r: r}
	api := feed.API(f.b())
	conn := uint32(f.u())
	p := f.pair()
	side, ord := feed.Side(f.b()), feed.OrdType(f.b())
	recv, tm, ttm := f.t(), f.t(), f.t()
	id := f.u()
	pc, pe := f.i(), int8(f.b())
	qc, qe := f.i(), int8(f.b())
	if f.err != nil {
		return f.err
	}
	*dst = feed.Event{Kind: feed.KindTrade, API: api, Conn: conn, Pair: p, Time: tm, Recv: recv,
		Trade: feed.Trade{Pair: p, Side: side, OrdType: ord, ID: id, Time: ttm,
			Price: decimal.New(pc, int32(pe)), Qty: decimal.New(qc, int32(qe))}}
	r.n++
	return nil
}

func (r *cacheReader) book(dst *feed.Event) error {
	f := fields{r: r}
	api := feed.API(f.b())
	conn := uint32(f.u())
	p := f.pair()
	recv, tm := f.t(), f.t()
	u := &feed.BookUpdate{Pair: p, Snapshot: f.b() == 1, Checksum: uint32(f.u()), HasChecksum: f.b() == 1, Time: f.t(), Depth: int(f.i())}
	for s := range 2 {
		n := f.u()
		if f.err != nil || n > 1<<20 {
			return errCacheCorrupt
		}
		var lv []feed.BookLevel
		if n > 0 {
			lv = make([]feed.BookLevel, n)
		}
		for j := range lv {
			lv[j].Price = feed.Fixed{Mant: f.i(), Scale: f.scale()}
			lv[j].Qty = feed.Fixed{Mant: f.i(), Scale: f.scale()}
			lv[j].Republish = f.b() == 1
		}
		if s == 0 {
			u.Bids = lv
		} else {
			u.Asks = lv
		}
	}
	if f.err != nil {
		return f.err
	}
	*dst = feed.Event{Kind: feed.KindBook, API: api, Conn: conn, Pair: p, Time: tm, Recv: recv, Book: u}
	r.n++
	return nil
}

// cacheSource replays a cache file as a tape replay would (the pairs kept, every event shown
// to the observer) in batches of tape.BatchSize. A file that turns out damaged is removed, so
// the next replay rebuilds it, and the replay fails saying so. Like the tape's source it
// reuses the batches its receiver hands back (feed.BatchRecycler).
type cacheSource struct {
	r     *cacheReader
	pairs []feed.Pair
	obs   *observer
	pool  *batches.Pool[feed.Event]
}

func newCacheSource(r *cacheReader, pairs []feed.Pair, obs *observer) *cacheSource {
	return &cacheSource{r: r, pairs: pairs, obs: obs, pool: batches.New[feed.Event](tape.BatchSize, 64)}
}

// Recycle implements feed.BatchRecycler.
func (s *cacheSource) Recycle(b []feed.Event) { s.pool.Put(b) }

func (s *cacheSource) batch() []feed.Event { return s.pool.Get() }

// Run implements feed.Source.
func (s *cacheSource) Run(ctx context.Context, out chan<- []feed.Event) error {
	r := s.r
	defer r.close()
	batch := s.batch()
	var ev feed.Event
	for {
		ok, err := r.next(&ev)
		if err != nil {
			name := r.f.Name()
			r.close()
			os.Remove(name)
			return fmt.Errorf("backtest: the decoded-event cache %s was damaged (%v) and has been removed; run again to rebuild it from the tape", name, err)
		}
		if ok && len(s.pairs) > 0 && ev.Pair != "" && !slices.Contains(s.pairs, ev.Pair) {
			continue
		}
		if ok {
			s.obs.observe(&ev)
			batch = append(batch, ev)
		}
		if len(batch) == tape.BatchSize || (!ok && len(batch) > 0) {
			select {
			case out <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch = s.batch()
		}
		if !ok {
			return nil
		}
	}
}

// cacheWriting wraps a tape replay that also writes the cache: the file is committed only
// when the replay reached the end of the data.
func cacheWriting(src feed.Source, w *cacheWriter, log *zap.Logger) feed.Source {
	return feed.SourceFunc(func(ctx context.Context, out chan<- []feed.Event) error {
		err := src.Run(ctx, out)
		if err != nil {
			w.abort()
			return err
		}
		if cerr := w.commit(); cerr != nil {
			log.Warn("decoded-event cache not written; the next replay decodes the tape again", zap.String("file", w.path), zap.Error(cerr))
		}
		return nil
	})
}

// cachedOrWriting returns the replay of an opened tape from the cache in dir when it holds
// the tape's events, else the tape's replay writing them there. Cache trouble is logged,
// never fatal: the tape is always there to decode.
func cachedOrWriting(td *tapeData, files []report.DataFile, dir string, pairs []feed.Pair, log *zap.Logger) feed.Source {
	key := cacheKey(files)
	r, err := openCache(dir, key)
	switch {
	case r != nil:
		log.Debug("replaying decoded events from the cache", zap.String("file", cachePath(dir, key)))
		return newCacheSource(r, pairs, td.obs)
	case err != nil:
		log.Warn("decoded-event cache unreadable; decoding the tape and rewriting it", zap.String("file", cachePath(dir, key)), zap.Error(err))
	}
	w, err := newCacheWriter(dir, key)
	if err != nil {
		log.Warn("decoded-event cache cannot be written; decoding the tape", zap.String("dir", dir), zap.Error(err))
		return td.source()
	}
	td.dec.cache = w
	return cacheWriting(td.source(), w, log)
}
