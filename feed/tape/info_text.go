package tape

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText prints the summary for a terminal: manifests and segments, frames, connections,
// events per pair, trade ids, book checksums, gaps, torn tails and warnings.
func (s *Summary) WriteText(out io.Writer) error {
	w := &errWriter{w: out}
	for i := range s.Recordings {
		if err := s.Recordings[i].writeText(w); err != nil {
			return err
		}
	}
	s.writeFrames(w)
	if err := s.writeEvents(w); err != nil {
		return err
	}
	s.writeIDs(w)
	s.writeGaps(w)
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

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// mb formats a byte count in megabytes with one decimal ("12.3 MB").
func mb(n int64) string { return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB" }

func (r *RecordingSummary) writeText(w *errWriter) error {
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
		switch {
		case seg.Counted:
			closed = "open (counted from the file)"
		case !seg.Closed:
			closed = "open"
		}
		last := "…"
		if !seg.LastRecv.IsZero() {
			last = stamp(seg.LastRecv)
		}
		fmt.Fprintf(tw, "  %s\t%s → %s\t%d frames\t%s\t(%s raw)\t%s\n", seg.Path, stamp(seg.FirstRecv), last, seg.Frames, mb(seg.Bytes), mb(seg.RawBytes), closed)
	}
	return tw.Flush()
}

func (s *Summary) writeFrames(w *errWriter) {
	var apis []string
	for _, k := range slices.Sorted(maps.Keys(s.FramesByAPI)) {
		apis = append(apis, fmt.Sprintf("%s %d", k, s.FramesByAPI[k]))
	}
	w.printf("frames: %d (%s); %s on disk, %s of JSON lines, %.1f bytes per frame\n", s.Frames, strings.Join(apis, ", "), mb(s.Bytes), mb(s.RawBytes), float64(s.Bytes)/float64(max(s.Frames, 1)))
	if s.Frames > 0 {
		w.printf("receive time: %s → %s (%s)\n", stamp(s.First), stamp(s.Last), s.Last.Sub(s.First).Round(time.Millisecond))
	}
	for _, c := range s.Conns {
		of := ""
		if c.Recording != "" {
			of = " of " + c.Recording
		}
		w.printf("connection %d%s (%s): %d frames, %s → %s\n", c.Conn, of, c.API, c.Frames, stamp(c.First), stamp(c.Last))
	}
}

func (s *Summary) writeEvents(w *errWriter) error {
	if len(s.Events) == 0 {
		return nil
	}
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
	return tw.Flush()
}

func (s *Summary) writeIDs(w *errWriter) {
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
}

func (s *Summary) writeGaps(w *errWriter) {
	if s.TimeGapCount == 0 {
		w.printf("gaps: no connection silent for more than %s, no reconnect\n", s.GapThreshold)
		return
	}
	w.printf("gaps: %d (silence over %s, reconnects)\n", s.TimeGapCount, s.GapThreshold)
	for _, g := range s.TimeGaps {
		w.printf("  conn %d: %s → %s (%s) %s\n", g.Conn, stamp(g.From), stamp(g.To), g.To.Sub(g.From).Round(time.Millisecond), g.What)
	}
	if s.TimeGapCount > len(s.TimeGaps) {
		w.printf("  … %d in all\n", s.TimeGapCount)
	}
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
