package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

type tapeInfoOptions struct {
	gap     time.Duration
	maxList int
	asJSON  bool
}

func newTapeInfoCmd(a *app) *cobra.Command {
	var o tapeInfoOptions
	cmd := &cobra.Command{
		Use:   "info DIR",
		Short: "Describe a recording: manifests, segments, counts per pair and channel, time range, gaps",
		Long: `tape info reads a recording (a directory, a manifest or one segment) from end to end and prints:

  - each recording's manifest: name, whether it was closed cleanly, pairs, channels, meta;
  - its segments: file, receive-time range, frames, size on disk and uncompressed, closed or not;
  - frames per API and connection, the receive-time range, bytes per frame;
  - events per pair and kind (trades, book snapshots and updates, tickers, gaps, ...): the
    events a replay trades on, made by the live client's connection rules (heartbeats and
    the first trade snapshot dropped, trades re-sent after a reconnect delivered once, books
    verified), and frames that could not be decoded;
  - trade ids per pair (v2, REST): first, last, missing (gaps in the sequence) and repeated
    (snapshot overlap after a reconnect, which replays drop);
  - book checksums verified and mismatched (each pair's book kept as the client keeps it);
  - gaps: a connection silent for longer than --gap, and connection changes (reconnects);
  - torn tails (segments a crash or a running writer left unfinished) and other warnings.

Exit codes: 0 ok; 1 the recording cannot be read; 4 some frames could not be decoded.`,
		Example: `  papertrade tape info data/2025-11
  papertrade tape info --gap 2s --max 50 data/live
  papertrade tape info --json data/synth | jq .events`,
		Args: tpUsageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTapeInfo(cmd.Context(), a, args[0], o)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.gap, "gap", 10*time.Second, "report a connection silent for longer than this")
	f.IntVar(&o.maxList, "max", 10, "list at most this many gaps of each kind (all are counted)")
	f.BoolVar(&o.asJSON, "json", false, "print one JSON object instead of text")
	return cmd
}

// tapeSummary is what tape info reports; it is also its JSON form.
type tapeSummary struct {
	Path         string              `json:"path"`
	Recordings   []tapeRecSummary    `json:"recordings"`
	Frames       int64               `json:"frames"`
	FramesByAPI  map[string]int64    `json:"frames_by_api"`
	Bytes        int64               `json:"bytes"`     // compressed, from the manifests
	RawBytes     int64               `json:"raw_bytes"` // decompressed, as read
	First        time.Time           `json:"first_recv,omitzero"`
	Last         time.Time           `json:"last_recv,omitzero"`
	Conns        []tapeConnSummary   `json:"connections"`
	Events       []tapePairEvents    `json:"events"`
	DecodeErrors int64               `json:"decode_errors"`
	TradeIDs     []tapeTradeIDs      `json:"trade_ids"`
	Books        tapeBookSummary     `json:"books"`
	GapThreshold string              `json:"gap_threshold"`
	TimeGaps     []tapeTimeGap       `json:"time_gaps"`
	TimeGapCount int                 `json:"time_gap_count"`
	IDGaps       []tapeIDGap         `json:"id_gaps"`
	IDGapCount   int                 `json:"id_gap_count"`
	TornTails    int                 `json:"torn_tails"`
	Warnings     []string            `json:"warnings"`
	WarningCount int                 `json:"warning_count"`
	kinds        map[tapeEvKey]int64 // counts behind Events
}

type tapeRecSummary struct {
	Manifest string             `json:"manifest"`
	Name     string             `json:"name"`
	Closed   bool               `json:"closed"`
	Pairs    []feed.Pair        `json:"pairs"`
	Channels []string           `json:"channels"`
	Meta     map[string]string  `json:"meta"`
	Segments []tape.SegmentInfo `json:"segments"`
}

type tapeConnSummary struct {
	Conn   uint32    `json:"conn"`
	API    string    `json:"api"`
	Frames int64     `json:"frames"`
	First  time.Time `json:"first_recv"`
	Last   time.Time `json:"last_recv"`
}

type tapePairEvents struct {
	Pair   feed.Pair        `json:"pair"` // "" for pair-less kinds
	Counts map[string]int64 `json:"counts"`
}

type tapeEvKey struct {
	pair feed.Pair
	kind string
}

type tapeTradeIDs struct {
	Pair     feed.Pair `json:"pair"`
	First    uint64    `json:"first"`
	Last     uint64    `json:"last"`
	Missing  uint64    `json:"missing"`
	Repeated int64     `json:"repeated"`
	NoID     int64     `json:"without_id"`
}

type tapeBookSummary struct {
	Verified   int `json:"checksums_verified"`
	Mismatches int `json:"mismatches"`
	Skipped    int `json:"updates_before_snapshot"`
}

type tapeTimeGap struct {
	Conn uint32    `json:"conn"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	What string    `json:"what"` // "silence" or "reconnect"
}

type tapeIDGap struct {
	Pair    feed.Pair `json:"pair"`
	After   uint64    `json:"after"`
	Next    uint64    `json:"next"`
	Missing uint64    `json:"missing"`
	At      time.Time `json:"at"`
}

func runTapeInfo(ctx context.Context, a *app, path string, o tapeInfoOptions) error {
	s, err := scanTape(ctx, a, path, o)
	if err != nil {
		return err
	}
	if o.asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return err
		}
	} else if err := writeTapeSummary(a.stdout, s, o); err != nil {
		return err
	}
	if s.DecodeErrors > 0 {
		return &ExitCodeError{Code: ExitBadInput, Err: fmt.Errorf("tape info: %d frames could not be decoded", s.DecodeErrors)}
	}
	return nil
}

// scanTape reads the whole recording and summarises it.
func scanTape(ctx context.Context, a *app, path string, o tapeInfoOptions) (*tapeSummary, error) {
	r, err := tape.Open(path, tape.ReadLogger(a.log))
	if err != nil {
		return nil, err
	}
	s := &tapeSummary{Path: path, FramesByAPI: map[string]int64{}, kinds: map[tapeEvKey]int64{}, GapThreshold: o.gap.String()}
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && strings.HasSuffix(path, tape.SegmentSuffix) {
		s.Bytes = fi.Size() // one segment: the reader narrowed the manifest to it
	}
	for _, rec := range r.Recordings() {
		m := rec.Manifest
		rs := tapeRecSummary{Manifest: rec.ManifestPath, Name: m.Name, Closed: m.Closed, Pairs: m.Pairs, Channels: m.Channels, Meta: m.Meta, Segments: m.Segments}
		for _, seg := range m.Segments {
			s.Bytes += seg.Bytes
		}
		s.Recordings = append(s.Recordings, rs)
	}
	type connState struct {
		sum  *tapeConnSummary
		last time.Time
	}
	conns := map[uint32]*connState{}
	type idState struct {
		ids  tapeTradeIDs
		seen bool
	}
	ids := map[feed.Pair]*idState{}
	books := &decodeBooks{stderr: io.Discard}
	dec := kraken.NewNormalizer(kraken.NormalizerConfig{Log: a.log}) // as backtests replay it
	var (
		evs      []feed.Event
		lastConn uint32
		haveLast bool
	)
	addTimeGap := func(g tapeTimeGap) {
		s.TimeGapCount++
		if len(s.TimeGaps) < o.maxList {
			s.TimeGaps = append(s.TimeGaps, g)
		}
	}
	for f, err := range r.Frames(ctx, tape.Range{}) {
		if err != nil {
			return nil, err
		}
		s.Frames++
		s.FramesByAPI[orNone(f.API.String())]++
		if s.First.IsZero() || f.Recv.Before(s.First) {
			s.First = f.Recv
		}
		if f.Recv.After(s.Last) {
			s.Last = f.Recv
		}
		cs := conns[f.Conn]
		switch {
		case cs == nil:
			cs = &connState{sum: &tapeConnSummary{Conn: f.Conn, API: orNone(f.API.String()), First: f.Recv}}
			conns[f.Conn] = cs
			if haveLast { // a reconnect, or a second connection recorded alongside
				addTimeGap(tapeTimeGap{Conn: f.Conn, From: conns[lastConn].last, To: f.Recv, What: fmt.Sprintf("new connection (last frame before it on conn %d)", lastConn)})
			}
		case o.gap > 0 && f.Recv.Sub(cs.last) > o.gap:
			addTimeGap(tapeTimeGap{Conn: f.Conn, From: cs.last, To: f.Recv, What: "silence"})
		}
		cs.sum.Frames++
		cs.sum.Last = f.Recv
		cs.last = f.Recv
		lastConn, haveLast = f.Conn, true

		evs, err = dec.DecodeFrame(f, evs[:0])
		if err != nil {
			s.DecodeErrors++
			file, line := r.Position()
			if len(s.Warnings) < o.maxList {
				s.Warnings = append(s.Warnings, fmt.Sprintf("%s: line %d: frame not decoded: %v", file, line, err))
			}
			s.WarningCount++
			continue
		}
		for i := range evs {
			ev := &evs[i]
			kind := ev.Kind.String()
			if ev.Kind == feed.KindBook {
				kind = "book update"
				if ev.Book.Snapshot {
					kind = "book snapshot"
				}
			}
			s.kinds[tapeEvKey{ev.Pair, kind}]++
			books.event("", 0, ev)
			if ev.Kind != feed.KindTrade {
				continue
			}
			st := ids[ev.Pair]
			if st == nil {
				st = &idState{ids: tapeTradeIDs{Pair: ev.Pair}}
				ids[ev.Pair] = st
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
					s.IDGapCount++
					if len(s.IDGaps) < o.maxList {
						s.IDGaps = append(s.IDGaps, tapeIDGap{Pair: ev.Pair, After: st.ids.Last, Next: id, Missing: miss, At: ev.Recv})
					}
				}
				st.ids.Last = id
			}
		}
	}
	s.RawBytes = r.Stats().Bytes
	s.TornTails = r.TornTails()
	for _, w := range r.Warnings() {
		if len(s.Warnings) < o.maxList {
			s.Warnings = append(s.Warnings, w.String())
		}
	}
	s.WarningCount += r.WarningCount()
	for _, c := range slices.Sorted(maps.Keys(conns)) {
		s.Conns = append(s.Conns, *conns[c].sum)
	}
	for _, p := range slices.Sorted(maps.Keys(ids)) {
		ids[p].ids.Repeated = int64(dec.Duplicates(p))
		s.TradeIDs = append(s.TradeIDs, ids[p].ids)
	}
	books.add(dec)
	byPair := map[feed.Pair]map[string]int64{}
	for k, n := range s.kinds {
		if byPair[k.pair] == nil {
			byPair[k.pair] = map[string]int64{}
		}
		byPair[k.pair][k.kind] = n
	}
	for _, p := range slices.Sorted(maps.Keys(byPair)) {
		s.Events = append(s.Events, tapePairEvents{Pair: p, Counts: byPair[p]})
	}
	s.Books = tapeBookSummary{Verified: books.updates, Mismatches: int(books.mismatches), Skipped: int(books.skipped)}
	return s, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// writeTapeSummary prints the summary as text.
func writeTapeSummary(out io.Writer, s *tapeSummary, o tapeInfoOptions) error {
	w := &errWriter{w: out}
	stamp := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	for _, r := range s.Recordings {
		state := "closed cleanly"
		if !r.Closed {
			state = "NOT closed (still being written, or the writer stopped without closing)"
		}
		manifest := r.Manifest
		if manifest == "" {
			manifest = "(no manifest)"
		}
		w.printf("recording %s: %s\n", r.Name, manifest)
		w.printf("  %s; %d segments; pairs %s; channels %s\n", state, len(r.Segments), joinOr(r.Pairs, "-"), joinOr(r.Channels, "-"))
		if len(r.Meta) > 0 {
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(r.Meta)) {
				kv = append(kv, k+"="+r.Meta[k])
			}
			w.printf("  meta: %s\n", strings.Join(kv, " "))
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, seg := range r.Segments {
			closed := "closed"
			if !seg.Closed {
				closed = "open"
			}
			last := "…"
			if !seg.LastRecv.IsZero() {
				last = stamp(seg.LastRecv)
			}
			fmt.Fprintf(tw, "  %s\t%s → %s\t%d frames\t%s\t(%s raw)\t%s\n", seg.Path, stamp(seg.FirstRecv), last, seg.Frames, tpMB(seg.Bytes), tpMB(seg.RawBytes), closed)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	var apis []string
	for _, k := range slices.Sorted(maps.Keys(s.FramesByAPI)) {
		apis = append(apis, fmt.Sprintf("%s %d", k, s.FramesByAPI[k]))
	}
	w.printf("frames: %d (%s); %s on disk, %s of JSON lines, %.1f bytes per frame\n", s.Frames, strings.Join(apis, ", "), tpMB(s.Bytes), tpMB(s.RawBytes), float64(s.Bytes)/float64(max(s.Frames, 1)))
	if s.Frames > 0 {
		w.printf("receive time: %s → %s (%s)\n", stamp(s.First), stamp(s.Last), s.Last.Sub(s.First).Round(time.Millisecond))
	}
	for _, c := range s.Conns {
		w.printf("connection %d (%s): %d frames, %s → %s\n", c.Conn, c.API, c.Frames, stamp(c.First), stamp(c.Last))
	}
	if len(s.Events) > 0 {
		w.printf("events:\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  pair\ttrades\tbook snapshots\tbook updates\tother\n")
		for _, pe := range s.Events {
			var other []string
			for _, k := range slices.Sorted(maps.Keys(pe.Counts)) {
				if k != "trade" && k != "book snapshot" && k != "book update" {
					other = append(other, fmt.Sprintf("%s %d", k, pe.Counts[k]))
				}
			}
			pair := string(pe.Pair)
			if pair == "" {
				pair = "(no pair)"
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\n", pair, pe.Counts["trade"], pe.Counts["book snapshot"], pe.Counts["book update"], joinOr(other, "-"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, t := range s.TradeIDs {
		if t.First == 0 {
			w.printf("trade ids %s: none (%d trades without an id: v1 or CSV data)\n", t.Pair, t.NoID)
			continue
		}
		w.printf("trade ids %s: %d → %d, %d missing, %d repeated", t.Pair, t.First, t.Last, t.Missing, t.Repeated)
		if t.NoID > 0 {
			w.printf(", %d without an id", t.NoID)
		}
		w.printf("\n")
	}
	for _, g := range s.IDGaps {
		w.printf("  trade id gap %s: %d missing between %d and %d (at %s)\n", g.Pair, g.Missing, g.After, g.Next, stamp(g.At))
	}
	if s.IDGapCount > len(s.IDGaps) {
		w.printf("  … %d trade id gaps in all\n", s.IDGapCount)
	}
	if s.Books.Verified+s.Books.Mismatches+s.Books.Skipped > 0 {
		w.printf("book checksums: %d verified, %d mismatches", s.Books.Verified, s.Books.Mismatches)
		if s.Books.Skipped > 0 {
			w.printf(", %d updates before a snapshot", s.Books.Skipped)
		}
		w.printf("\n")
	}
	if s.TimeGapCount == 0 {
		w.printf("gaps: no connection silent for more than %s, no reconnect\n", o.gap)
	} else {
		w.printf("gaps: %d (silence over %s, reconnects)\n", s.TimeGapCount, o.gap)
		for _, g := range s.TimeGaps {
			w.printf("  conn %d: %s → %s (%s) %s\n", g.Conn, stamp(g.From), stamp(g.To), g.To.Sub(g.From).Round(time.Millisecond), g.What)
		}
		if s.TimeGapCount > len(s.TimeGaps) {
			w.printf("  … %d in all\n", s.TimeGapCount)
		}
	}
	w.printf("torn tails: %d\n", s.TornTails)
	if s.DecodeErrors > 0 {
		w.printf("frames not decoded: %d\n", s.DecodeErrors)
	}
	if s.WarningCount > 0 {
		w.printf("warnings: %d\n", s.WarningCount)
		for _, m := range s.Warnings {
			w.printf("  %s\n", m)
		}
	}
	return w.err
}

func joinOr[T ~string](xs []T, empty string) string {
	if len(xs) == 0 {
		return empty
	}
	ss := make([]string, len(xs))
	for i, x := range xs {
		ss[i] = string(x)
	}
	return strings.Join(ss, " ")
}

// errWriter keeps the first write error, so that printing code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
