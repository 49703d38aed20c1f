package tape

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

// Summary describes a recording read from end to end: what `papertrade tape info` prints.
// It is also that command's JSON form, so its field names are a contract for scripts.
type Summary struct {
	Path         string             `json:"path"`
	Recordings   []RecordingSummary `json:"recordings"`
	Frames       int64              `json:"frames"`
	FramesByAPI  map[string]int64   `json:"frames_by_api"`
	Bytes        int64              `json:"bytes"`     // compressed, from the manifests
	RawBytes     int64              `json:"raw_bytes"` // decompressed, as read
	First        time.Time          `json:"first_recv,omitzero"`
	Last         time.Time          `json:"last_recv,omitzero"`
	Conns        []ConnSummary      `json:"connections"`
	Events       []PairEvents       `json:"events"`
	DecodeErrors int64              `json:"decode_errors"`
	TradeIDs     []TradeIDs         `json:"trade_ids"`
	Books        BookSummary        `json:"books"`
	GapThreshold string             `json:"gap_threshold"`
	TimeGaps     []TimeGap          `json:"time_gaps"`
	TimeGapCount int                `json:"time_gap_count"`
	IDGaps       []IDGap            `json:"id_gaps"`
	IDGapCount   int                `json:"id_gap_count"`
	TornTails    int                `json:"torn_tails"`
	Warnings     []string           `json:"warnings"`
	WarningCount int                `json:"warning_count"`
}

// RecordingSummary is one recording's manifest.
type RecordingSummary struct {
	Manifest string            `json:"manifest"`
	Name     string            `json:"name"`
	Closed   bool              `json:"closed"`
	Pairs    []feed.Pair       `json:"pairs"`
	Channels []string          `json:"channels"`
	Meta     map[string]string `json:"meta"`
	Segments []SegmentSummary  `json:"segments"`
}

// SegmentSummary is a segment as its manifest lists it, except for a segment the manifest
// leaves open (still being written, or its writer was killed): its frames, raw bytes, last
// receive time and size are counted from the file as read, and Counted says so.
type SegmentSummary struct {
	SegmentInfo
	Counted bool `json:"counted,omitempty"`
}

// ConnSummary counts one recorded connection's frames.
type ConnSummary struct {
	Conn      uint32    `json:"conn"`
	Recording string    `json:"recording,omitempty"` // its recording's name, when there are several
	API       string    `json:"api"`
	Frames    int64     `json:"frames"`
	First     time.Time `json:"first_recv"`
	Last      time.Time `json:"last_recv"`
}

// PairEvents counts a pair's events by kind ("trade", "book snapshot", "book update",
// "ticker", "gap", …) as a replay delivers them.
type PairEvents struct {
	Pair   feed.Pair        `json:"pair"` // "" for pair-less kinds
	Counts map[string]int64 `json:"counts"`
}

// TradeIDs describes a pair's trade id sequence (v2, REST): Missing counts the ids skipped,
// Repeated the trades re-sent after a reconnect (which replays drop).
type TradeIDs struct {
	Pair     feed.Pair `json:"pair"`
	First    uint64    `json:"first"`
	Last     uint64    `json:"last"`
	Missing  uint64    `json:"missing"`
	Repeated int64     `json:"repeated"`
	NoID     int64     `json:"without_id"`
}

// BookSummary counts book checksums as the normaliser verified them.
type BookSummary struct {
	Verified   int `json:"checksums_verified"`
	Mismatches int `json:"mismatches"`
	Skipped    int `json:"updates_before_snapshot"`
}

// TimeGap is a connection silent for longer than the threshold, or a new connection.
type TimeGap struct {
	Conn uint32    `json:"conn"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	What string    `json:"what"` // "silence" or "new connection (…)"
}

// IDGap is a hole in a pair's trade id sequence.
type IDGap struct {
	Pair    feed.Pair `json:"pair"`
	After   uint64    `json:"after"`
	Next    uint64    `json:"next"`
	Missing uint64    `json:"missing"`
	At      time.Time `json:"at"`
}

// SummaryOptions tunes Summarize.
type SummaryOptions struct {
	Gap     time.Duration // report a connection silent for longer than this; 0 reports none
	MaxList int           // list at most this many gaps and warnings of each kind (all are counted)
	Log     *zap.Logger   // default zap.NewNop()
}

// summarizer is Summarize's state while it reads the frames.
type summarizer struct {
	s        *Summary
	o        SummaryOptions
	conns    map[connKey]*connState
	ids      map[feed.Pair]*idState
	kinds    map[summaryKey]int64
	verified int // non-snapshot book messages whose checksum was checked
	haveLast bool
	lastRecv time.Time // the previous frame's, over all recordings

	// Segments the manifests list as open (a writer killed mid-segment leaves 0 frames
	// there): counted from the frames read instead, by reader file path.
	open      map[string]*SegmentSummary
	curFile   string
	curSeg    *SegmentSummary
	readBytes int64 // the reader's decompressed bytes at the previous frame
}

// connKey names a connection: its number within its recording.
type connKey struct {
	rec  int
	conn uint32
}

// hasRec reports whether a connection of recording rec has had frames.
func (z *summarizer) hasRec(rec int) bool {
	for k := range z.conns {
		if k.rec == rec && z.conns[k].sum.Frames > 0 {
			return true
		}
	}
	return false
}

// lastOf returns the connection of recording rec with the latest frame.
func (z *summarizer) lastOf(rec int) *connState {
	var best *connState
	for k, cs := range z.conns {
		if k.rec == rec && cs.sum.Frames > 0 && (best == nil || cs.last.After(best.last) || (cs.last.Equal(best.last) && cs.sum.Conn < best.sum.Conn)) {
			best = cs
		}
	}
	return best
}

type connState struct {
	sum  ConnSummary
	last time.Time
}

type idState struct {
	ids  TradeIDs
	seen bool
}

type summaryKey struct {
	pair feed.Pair
	kind string
}

// Summarize reads the recording at path (a directory, a manifest or one segment) from end to
// end and describes it. Events are made by the connection rules a replay uses (one
// kraken.Normalizer), so the counts are what a backtest trades on. A frame that cannot be
// decoded is counted in DecodeErrors, not returned as an error.
func Summarize(ctx context.Context, path string, o SummaryOptions) (*Summary, error) {
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	r, err := Open(path, ReadLogger(o.Log))
	if err != nil {
		return nil, err
	}
	z := &summarizer{
		s:     &Summary{Path: path, FramesByAPI: map[string]int64{}, GapThreshold: o.Gap.String()},
		o:     o,
		conns: map[connKey]*connState{},
		ids:   map[feed.Pair]*idState{},
		kinds: map[summaryKey]int64{},
	}
	z.manifests(r, path)
	dec := kraken.NewNormalizer(kraken.NormalizerConfig{Log: o.Log}) // as backtests replay it
	var evs []feed.Event
	for f, err := range r.Frames(ctx, Range{}) {
		if err != nil {
			return nil, err
		}
		z.frame(r, &f)
		z.count(r, &f)
		evs, err = dec.DecodeFrame(f, evs[:0])
		if err != nil {
			file, line := r.Position()
			z.s.DecodeErrors++
			z.warn(fmt.Sprintf("%s: line %d: frame not decoded: %v", file, line, err))
			continue
		}
		for i := range evs {
			z.event(&evs[i])
		}
	}
	z.finish(r, dec)
	return z.s, nil
}

func (z *summarizer) manifests(r *Reader, path string) {
	s := z.s
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && strings.HasSuffix(path, SegmentSuffix) {
		s.Bytes = fi.Size() // one segment: the reader narrowed the manifest to it
	}
	for _, rec := range r.Recordings() {
		m := rec.Manifest
		s.Recordings = append(s.Recordings, RecordingSummary{Manifest: rec.ManifestPath, Name: m.Name, Closed: m.Closed,
			Pairs: m.Pairs, Channels: m.Channels, Meta: m.Meta, Segments: []SegmentSummary{}})
		rs := &s.Recordings[len(s.Recordings)-1]
		for _, seg := range m.Segments {
			s.Bytes += seg.Bytes
			rs.Segments = append(rs.Segments, SegmentSummary{SegmentInfo: seg})
		}
	}
	// Open segments are counted as they are read (issue 15 item 13); their path as the
	// reader opens it is the manifest's directory joined with the listed path.
	for i := range s.Recordings {
		rs := &s.Recordings[i]
		for j := range rs.Segments {
			seg := &rs.Segments[j]
			if seg.Closed {
				continue
			}
			file := filepath.FromSlash(seg.Path)
			if rs.Manifest != "" {
				file = filepath.Join(filepath.Dir(rs.Manifest), file)
			}
			if fi, err := os.Stat(file); err == nil {
				s.Bytes += fi.Size() - seg.Bytes
				seg.Bytes = fi.Size()
			}
			if z.open == nil {
				z.open = map[string]*SegmentSummary{}
			}
			z.open[filepath.Clean(file)] = seg
			seg.Frames, seg.RawBytes, seg.Counted = 0, 0, true
		}
	}
}

// count adds a frame read from file to its segment's counts when the manifest left that
// segment open.
func (z *summarizer) count(r *Reader, f *Frame) {
	if z.open == nil {
		return
	}
	file, _ := r.Position()
	if file != z.curFile {
		z.curFile, z.curSeg = file, z.open[filepath.Clean(file)]
	}
	read := r.Stats().Bytes
	if seg := z.curSeg; seg != nil {
		seg.Frames++
		seg.RawBytes += read - z.readBytes
		if f.Recv.After(seg.LastRecv) {
			seg.LastRecv = f.Recv
		}
	}
	z.readBytes = read
}

func (z *summarizer) warn(msg string) {
	if len(z.s.Warnings) < z.o.MaxList {
		z.s.Warnings = append(z.s.Warnings, msg)
	}
	z.s.WarningCount++
}

func (z *summarizer) timeGap(g TimeGap) {
	z.s.TimeGapCount++
	if len(z.s.TimeGaps) < z.o.MaxList {
		z.s.TimeGaps = append(z.s.TimeGaps, g)
	}
}

// frame counts a frame and its connection, and notes silences and new connections.
func (z *summarizer) frame(r *Reader, f *Frame) {
	s := z.s
	s.Frames++
	s.FramesByAPI[orNone(f.API.String())]++
	if s.First.IsZero() || f.Recv.Before(s.First) {
		s.First = f.Recv
	}
	if f.Recv.After(s.Last) {
		s.Last = f.Recv
	}
	key := connKey{rec: r.RecordingIndex(), conn: f.Conn}
	cs := z.conns[key]
	switch {
	case cs == nil:
		cs = &connState{sum: ConnSummary{Conn: f.Conn, API: orNone(f.API.String()), First: f.Recv}}
		if n := len(s.Recordings); n > 1 && key.rec < n {
			cs.sum.Recording = s.Recordings[key.rec].Name
		}
		z.conns[key] = cs
		switch {
		case !z.haveLast:
		case z.hasRec(key.rec):
			// a reconnect of this recording, or a second connection recorded alongside
			last := z.lastOf(key.rec)
			z.timeGap(TimeGap{Conn: f.Conn, From: last.last, To: f.Recv, What: fmt.Sprintf("new connection (last frame before it on conn %d)", last.sum.Conn)})
		case z.o.Gap > 0 && f.Recv.Sub(z.lastRecv) > z.o.Gap:
			// another recording starts after a time no recording covers
			z.timeGap(TimeGap{Conn: f.Conn, From: z.lastRecv, To: f.Recv, What: "no recording has frames (the next recording starts)"})
		}
	case z.o.Gap > 0 && f.Recv.Sub(cs.last) > z.o.Gap:
		z.timeGap(TimeGap{Conn: f.Conn, From: cs.last, To: f.Recv, What: "silence"})
	}
	cs.sum.Frames++
	cs.sum.Last = f.Recv
	cs.last = f.Recv
	z.haveLast = true
	if f.Recv.After(z.lastRecv) {
		z.lastRecv = f.Recv
	}
}

// event counts one normalised event and follows its pair's trade ids.
func (z *summarizer) event(ev *feed.Event) {
	kind := ev.Kind.String()
	switch {
	case ev.Kind == feed.KindBook && ev.Book.Snapshot:
		kind = "book snapshot"
	case ev.Kind == feed.KindBook:
		kind = "book update"
	}
	z.kinds[summaryKey{ev.Pair, kind}]++
	switch {
	case ev.Kind == feed.KindBook && !ev.Book.Snapshot && ev.Book.HasChecksum:
		z.verified++
	case ev.Kind == feed.KindGap && ev.Gap.Channel == "book" && strings.Contains(ev.Gap.Reason, "checksum"):
		z.verified++ // the message that did not verify
	}
	if ev.Kind == feed.KindTrade {
		z.tradeID(ev)
	}
}

func (z *summarizer) tradeID(ev *feed.Event) {
	st := z.ids[ev.Pair]
	if st == nil {
		st = &idState{ids: TradeIDs{Pair: ev.Pair}}
		z.ids[ev.Pair] = st
	}
	id := ev.Trade.ID
	switch {
	case id == 0:
		st.ids.NoID++
	case !st.seen:
		st.ids.First, st.ids.Last, st.seen = id, id, true
	default: // the normaliser delivers ids in increasing order only
		if id > st.ids.Last+1 {
			miss := id - st.ids.Last - 1
			st.ids.Missing += miss
			z.s.IDGapCount++
			if len(z.s.IDGaps) < z.o.MaxList {
				z.s.IDGaps = append(z.s.IDGaps, IDGap{Pair: ev.Pair, After: st.ids.Last, Next: id, Missing: miss, At: ev.Recv})
			}
		}
		st.ids.Last = id
	}
}

// finish adds the reader's and the normaliser's counts and orders the per-key lists.
func (z *summarizer) finish(r *Reader, dec *kraken.Normalizer) {
	s := z.s
	s.RawBytes = r.Stats().Bytes
	s.TornTails = r.TornTails()
	for _, w := range r.Warnings() {
		if len(s.Warnings) < z.o.MaxList {
			s.Warnings = append(s.Warnings, w.String())
		}
	}
	s.WarningCount += r.WarningCount()
	for _, c := range slices.SortedFunc(maps.Keys(z.conns), func(a, b connKey) int { return cmp.Or(cmp.Compare(a.conn, b.conn), cmp.Compare(a.rec, b.rec)) }) {
		s.Conns = append(s.Conns, z.conns[c].sum)
	}
	for _, p := range slices.Sorted(maps.Keys(z.ids)) {
		z.ids[p].ids.Repeated = int64(dec.Duplicates(p))
		s.TradeIDs = append(s.TradeIDs, z.ids[p].ids)
	}
	byPair := map[feed.Pair]map[string]int64{}
	for k, n := range z.kinds {
		if byPair[k.pair] == nil {
			byPair[k.pair] = map[string]int64{}
		}
		byPair[k.pair][k.kind] = n
	}
	for _, p := range slices.Sorted(maps.Keys(byPair)) {
		s.Events = append(s.Events, PairEvents{Pair: p, Counts: byPair[p]})
	}
	st := dec.Stats()
	s.Books = BookSummary{Verified: z.verified, Mismatches: int(st.ChecksumMismatches), Skipped: int(st.StaleDropped)}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
