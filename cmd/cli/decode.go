package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
	"github.com/spf13/cobra"
)

// decodeMaxLine bounds one input line (a depth-1000 book snapshot is ~100 KB).
const decodeMaxLine = 64 << 20

func newDecodeCmd(a *app) *cobra.Command {
	var opts decodeOptions
	cmd := &cobra.Command{
		Use:   "decode [FILE...]",
		Short: "Decode Kraken WebSocket frames (v1 and v2) into normalised events, one JSON object per line",
		Long: `decode reads Kraken WebSocket frames, one per line, from the files given (or standard input,
also as "-") and prints each normalised event as one JSON object per line: kind, api, pair (v2
spelling), time, and the event's fields, with prices and quantities as decimal strings at the
precision Kraken sent them. v1 and v2 are told apart frame by frame.

The events are those a replay (backtest, sweep, export) trades on: each input goes through the
live client's connection rules — heartbeats and pings' pongs dropped, v2 trades deduplicated by
id (a snapshot re-sent after a reconnect, and the first snapshot, which is history), gaps
reported, books verified and withheld while stale. Recording lines carry their connection
numbers; other lines are read as one connection. --raw prints every frame decoded on its own
instead, as it is on the wire.

A line is a raw frame, a recording line {"recv":<ns>,"api":…,"conn":…,"raw":<frame>} (a decompressed
tape segment), or a fixture wrapper {"ts":…,"dir":"in"|"out","msg":<frame>}; wrapper lines with
"dir":"out" are client requests and are skipped. Bad lines are reported on standard error with their
line number and skipped.

With --books, decode reports the book checks those rules make: an order book per pair — depth
from the v1 channel name (book-1000) or the subscription ack, else the smallest Kraken depth that
holds the snapshot — whose CRC32 checksum is verified after every message that carries one (v2
at the pair's precision when known from an instrument message or the built-in pair table, else
as the wire wrote it). A book that mismatches is reported once and skipped until its next
snapshot.

Exit codes: 0 ok; 3 some checksum mismatched; 4 some line could not be decoded (3 wins over 4).`,
		Example: `  papertrade decode capture.jsonl
  papertrade decode --books --quiet fixtures/*.jsonl
  zstd -dc recording/2026-10-06/*.jsonl.zst | papertrade decode --books -q -
  websocat wss://ws.kraken.com/v2 | papertrade decode -
  papertrade decode --raw capture.jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.raw && opts.books {
				return &ExitCodeError{Code: ExitUsage, Err: errors.New("decode: --books checks books through the connection rules, which --raw leaves out: use one of them")}
			}
			return runDecode(cmd.Context(), a, args, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.raw, "raw", false, "decode each frame on its own, without the connection rules (every heartbeat, every re-sent trade)")
	cmd.Flags().BoolVar(&opts.books, "books", false, "maintain order books and verify Kraken's checksums")
	cmd.Flags().BoolVarP(&opts.quiet, "quiet", "q", false, "do not print events (with --books: only the summary)")
	return cmd
}

type decodeOptions struct {
	books bool
	quiet bool
	raw   bool
}

// decodeRun is the state of one decode command across its inputs.
type decodeRun struct {
	a     *app
	opts  decodeOptions
	out   *bufio.Writer
	dec   *kraken.Decoder    // --raw
	norm  *kraken.Normalizer // otherwise: one per input
	books *decodeBooks
	evs   []feed.Event
	buf   []byte
	bad   int
}

func runDecode(ctx context.Context, a *app, args []string, opts decodeOptions) error {
	if len(args) == 0 {
		args = []string{"-"}
	}
	r := &decodeRun{a: a, opts: opts, out: bufio.NewWriterSize(a.stdout, 64<<10)}
	if opts.raw {
		r.dec = kraken.NewDecoder(kraken.WithLogger(a.log))
	}
	if opts.books {
		r.books = &decodeBooks{stderr: a.stderr}
	}
	for _, name := range args {
		if err := r.input(ctx, name); err != nil {
			_ = r.out.Flush()
			return err
		}
	}
	if err := r.out.Flush(); err != nil {
		return fmt.Errorf("decode: writing output: %w", err)
	}
	var code int
	var msg string
	if r.books != nil {
		r.books.add(r.norm)
		fmt.Fprintf(a.stderr, "books: %d updates, %d checksum mismatches\n", r.books.updates, r.books.mismatches)
		if r.books.skipped > 0 {
			fmt.Fprintf(a.stderr, "books: %d updates skipped while waiting for a snapshot\n", r.books.skipped)
		}
		if r.books.mismatches > 0 {
			code, msg = ExitChecksum, fmt.Sprintf("%d book checksum mismatches", r.books.mismatches)
		}
	}
	if r.bad > 0 && code == 0 {
		code, msg = ExitBadInput, fmt.Sprintf("%d lines could not be decoded", r.bad)
	}
	if code != 0 {
		return &ExitCodeError{Code: code, Err: fmt.Errorf("decode: %s", msg)}
	}
	return nil
}

// input decodes one file ("-" is standard input).
func (r *decodeRun) input(ctx context.Context, name string) error {
	if !r.opts.raw {
		// Each input is its own capture; one not recorded by papertrade came from a client
		// that did not hang up where kraken.Client would.
		if r.books != nil {
			r.books.add(r.norm)
		}
		r.norm = kraken.NewNormalizer(kraken.NormalizerConfig{Captured: !isTapePath(name), Log: r.a.log})
	}
	if isTapePath(name) {
		return r.tapeInput(ctx, name) // a recording directory, manifest or segment: tape.go
	}
	var in io.Reader = r.a.stdin
	label := "<stdin>"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		defer f.Close()
		in, label = f, name
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), decodeMaxLine)
	for n := 1; sc.Scan(); n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.line(label, n, sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("decode: reading %s: %w", label, err)
	}
	return nil
}

// decodeTapeLine recognises a recording line (feed/tape's format, as in a decompressed
// segment): {"recv":<ns>,"api":…,"conn":…,"raw"|"text"|"b64":…}. Kraken frames have no
// top-level "recv", so a line that does not parse as one is left alone.
func decodeTapeLine(line []byte) (tape.Frame, bool) {
	if line[0] != '{' || !bytes.Contains(line, []byte(`"recv"`)) {
		return tape.Frame{}, false
	}
	f, err := tape.ParseLine(line)
	if err != nil {
		return tape.Frame{}, false
	}
	return f, true
}

// decodeFixtureLine unwraps a fixture line {"ts":…,"dir":…,"msg":<frame>} (skip is true for
// client requests, "dir":"out"); any other line is returned as the frame itself.
func decodeFixtureLine(line []byte) (frame []byte, recv time.Time, skip bool) {
	if line[0] != '{' || !bytes.Contains(line, []byte(`"msg"`)) {
		return line, time.Time{}, false
	}
	var w decodeWrapper
	if json.Unmarshal(line, &w) != nil || w.Msg == nil {
		return line, time.Time{}, false
	}
	if w.Dir == "out" {
		return nil, time.Time{}, true
	}
	var ts string
	if json.Unmarshal(w.TS, &ts) == nil && ts != "" {
		recv, _ = kraken.ParseUnixTime(ts)
	}
	return w.Msg, recv, false
}

// decodeWrapper is the fixture line format; Msg is nil for a raw frame.
type decodeWrapper struct {
	Dir string          `json:"dir"`
	TS  json.RawMessage `json:"ts"`
	Msg json.RawMessage `json:"msg"`
}

func (r *decodeRun) line(label string, n int, line []byte) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil
	}
	f, ok := decodeTapeLine(line)
	if !ok {
		var skip bool
		if f.Raw, f.Recv, skip = decodeFixtureLine(line); skip {
			return nil
		}
	}
	var err error
	if r.norm != nil {
		r.evs, err = r.norm.DecodeFrame(f, r.evs[:0])
	} else {
		r.evs, err = r.dec.Decode(f.Raw, f.Recv, r.evs[:0])
	}
	if err != nil {
		r.bad++
		fmt.Fprintf(r.a.stderr, "%s:%d: %v\n", label, n, err)
		return nil
	}
	for i := range r.evs {
		ev := &r.evs[i]
		if !r.opts.quiet {
			r.buf = append(kraken.AppendEventJSON(r.buf[:0], ev), '\n')
			if _, err := r.out.Write(r.buf); err != nil {
				return fmt.Errorf("decode: writing output: %w", err)
			}
		}
		if r.books != nil {
			r.books.event(label, n, ev)
		}
	}
	return nil
}

// decodeBooks reports what the normaliser's book rules found: each mismatch where it
// happened, and the counts.
type decodeBooks struct {
	stderr     io.Writer
	updates    int // non-snapshot messages whose checksum was verified
	mismatches uint64
	skipped    uint64
}

func (k *decodeBooks) event(label string, n int, ev *feed.Event) {
	switch {
	case ev.Kind == feed.KindBook && !ev.Book.Snapshot && ev.Book.HasChecksum:
		k.updates++
	case ev.Kind == feed.KindGap && ev.Gap.Channel == "book" && strings.Contains(ev.Gap.Reason, "checksum"):
		k.updates++ // the message that did not verify
		fmt.Fprintf(k.stderr, "%s:%d: %s %s: %s\n", label, n, ev.API, ev.Pair, ev.Gap.Reason)
	}
}

// add counts an input's normaliser (nil before the first input).
func (k *decodeBooks) add(n *kraken.Normalizer) {
	if n == nil {
		return
	}
	st := n.Stats()
	k.mismatches += st.ChecksumMismatches
	k.skipped += st.StaleDropped
}
