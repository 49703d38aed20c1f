package backtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

// EngineKinds are the event kinds a backtest replays: what the engine's workers use. Acks,
// pongs and heartbeats are dropped at decoding, identically for backtests and sweeps, so
// that both number events (Seq) the same way.
var EngineKinds = []feed.Kind{feed.KindTrade, feed.KindBook, feed.KindTicker, feed.KindCandle, feed.KindSpread, feed.KindStatus, feed.KindInstrument, feed.KindGap}

// NewNormalizer returns the normaliser every replay of a recording runs its frames through:
// the live client's connection rules (kraken.Normalizer) for a set-up the replay does not
// know, so every pair's trades and books are followed as they appear.
func NewNormalizer(log *zap.Logger) *kraken.Normalizer {
	return kraken.NewNormalizer(kraken.NormalizerConfig{Log: log})
}

// Progress reports how far a replay has got.
type Progress struct {
	Events   uint64    // events decoded and kept so far
	Trades   uint64    // of which trades
	Time     time.Time // receive time of the latest event
	Fraction float64   // share of the data's time range replayed, 0..1 (0 when unknown)
	Done     bool      // the replay has ended
}

// progressEvery is how many events pass between two Progress calls.
const progressEvery = 1 << 16

// DataFiles lists the files of a tape at path (a directory, searched recursively, or one
// segment or manifest file) with their sizes and SHA-256, sorted by path; paths are
// relative to path (a single file is named by its base name). These go into the run
// manifest: equal hashes mean the same data.
func DataFiles(path string) ([]report.DataFile, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("backtest: data: %w", err)
	}
	var files []string
	root := path
	if st.IsDir() {
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && isTapeFile(d.Name()) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("backtest: data: %w", err)
		}
	} else {
		files = []string{path}
		root = filepath.Dir(path)
	}
	slices.Sort(files)
	out := make([]report.DataFile, 0, len(files))
	for _, f := range files {
		df, err := hashFile(f)
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(root, f)
		if err != nil {
			rel = filepath.Base(f)
		}
		df.Path = filepath.ToSlash(rel)
		out = append(out, df)
	}
	return out, nil
}

func isTapeFile(name string) bool {
	return strings.HasSuffix(name, tape.ManifestSuffix) || strings.HasSuffix(name, tape.SegmentSuffix)
}

func hashFile(path string) (report.DataFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return report.DataFile{}, fmt.Errorf("backtest: data: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return report.DataFile{}, fmt.Errorf("backtest: data: hashing %s: %w", path, err)
	}
	return report.DataFile{Path: path, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// observer watches the events of one replay as they are decoded: the market (first and
// last prices, chart samples), counts and progress. It runs on the source goroutine.
type observer struct {
	pairs    []feed.Pair // only these pairs' trades are recorded (nil: all)
	market   *report.MarketRecorder
	events   uint64
	trades   uint64
	first    time.Time
	last     time.Time
	from, to int64 // data time range for Fraction (unix ns; to <= from: unknown)
	progress func(Progress)
	next     uint64
}

func (o *observer) observe(ev *feed.Event) {
	o.events++
	t := ev.Recv
	if t.IsZero() {
		t = ev.Time
	}
	if !t.IsZero() {
		if o.first.IsZero() {
			o.first = t
		}
		o.last = t
	}
	if ev.Kind == feed.KindTrade {
		o.trades++
		if o.pairs == nil || slices.Contains(o.pairs, ev.Pair) {
			o.market.Observe(ev)
		}
	}
	if o.progress != nil && o.events >= o.next {
		o.next = o.events + progressEvery
		o.progress(o.snapshot(false))
	}
}

func (o *observer) snapshot(done bool) Progress {
	p := Progress{Events: o.events, Trades: o.trades, Time: o.last, Done: done}
	if o.to > o.from && !o.last.IsZero() {
		p.Fraction = min(max(float64(o.last.UnixNano()-o.from)/float64(o.to-o.from), 0), 1)
	}
	if done {
		p.Fraction = 1
	}
	return p
}

// observingDecoder normalises frames with the one Kraken normaliser (the live client's
// connection rules, so a re-sent trade snapshot is replayed once) and shows every kept event
// to the observer; wrapping the decoder (rather than the source) costs no extra goroutine
// or copy.
type observingDecoder struct {
	dec   *kraken.Normalizer
	keep  func(*feed.Event) bool
	obs   *observer
	cache *cacheWriter // also writes every replayed kind of every pair to the cache (nil: no)
}

func (d *observingDecoder) DecodeFrame(f tape.Frame, dst []feed.Event) ([]feed.Event, error) {
	n := len(dst)
	out, err := d.dec.DecodeFrame(f, dst)
	for i := n; i < len(out); i++ {
		e := &out[i]
		if d.cache != nil && slices.Contains(EngineKinds, e.Kind) {
			// What the tape reader sets on every event it keeps, set here first so the
			// cache holds the events exactly as replayed.
			e.Conn = f.Conn
			if e.API == feed.APINone {
				e.API = f.API
			}
			d.cache.add(e)
		}
		if d.keep(e) {
			d.obs.observe(e)
		}
	}
	return out, err
}

// tapeData is an opened tape ready to replay once.
type tapeData struct {
	reader *tape.Reader
	filter tape.Filter
	obs    *observer
	dec    *observingDecoder
}

// readAhead is the tape reader's zstd concurrency: with a spare core, segments are
// decompressed ahead in zstd's own goroutines, which takes decompression off the replay's
// critical path (the one goroutine that reads, decodes and sends every event) — about a
// fifth of a trades-only backtest's time on two cores.
func readAhead() int {
	if runtime.GOMAXPROCS(0) > 1 {
		return 2
	}
	return 1
}

func openTape(path string, rg tape.Range, pairs []feed.Pair, interval time.Duration, progress func(Progress), log *zap.Logger) (*tapeData, error) {
	r, err := tape.Open(path, tape.ReadLogger(log), tape.ReadConcurrency(readAhead()))
	if err != nil {
		return nil, fmt.Errorf("backtest: %w", err)
	}
	td := &tapeData{reader: r, filter: tape.Filter{Range: rg, Pairs: pairs, Kinds: EngineKinds}}
	obs := &observer{pairs: pairs, market: report.NewMarketRecorder(min(interval, time.Minute)), progress: progress}
	// The data's time range, for progress: the recordings' receive times, narrowed to rg.
	var first, last time.Time
	for _, rec := range r.Recordings() {
		m := rec.Manifest
		if !m.FirstRecv.IsZero() && (first.IsZero() || m.FirstRecv.Before(first)) {
			first = m.FirstRecv
		}
		if m.LastRecv.After(last) {
			last = m.LastRecv
		}
	}
	if !rg.From.IsZero() && rg.From.After(first) {
		first = rg.From
	}
	if !rg.To.IsZero() && (last.IsZero() || rg.To.Before(last)) {
		last = rg.To
	}
	if !first.IsZero() && last.After(first) {
		obs.from, obs.to = first.UnixNano(), last.UnixNano()
	}
	td.obs = obs
	keep := func(e *feed.Event) bool {
		if !slices.Contains(EngineKinds, e.Kind) {
			return false
		}
		return len(pairs) == 0 || e.Pair == "" || slices.Contains(pairs, e.Pair)
	}
	td.dec = &observingDecoder{dec: NewNormalizer(log), keep: keep, obs: obs}
	return td, nil
}

func (td *tapeData) source() feed.Source { return td.reader.Source(td.dec, td.filter) }
