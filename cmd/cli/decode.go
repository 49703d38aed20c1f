package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
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

A line is a raw frame, a recording line {"recv":<ns>,"api":…,"conn":…,"raw":<frame>} (a decompressed
tape segment), or a fixture wrapper {"ts":…,"dir":"in"|"out","msg":<frame>}; wrapper lines with
"dir":"out" are client requests and are skipped. Bad lines are reported on standard error with their
line number and skipped.

With --books, decode also maintains an order book per (api, pair, depth) — depth from the v1 channel
name (book-1000) or the subscription ack, else 10 — and verifies Kraken's CRC32 checksum after every
message that carries one (v2 at the pair's precision when known from an instrument message or the
built-in pair table). A book that mismatches is reported once and skipped until its next snapshot.

Exit codes: 0 ok; 3 some checksum mismatched; 4 some line could not be decoded (3 wins over 4).`,
		Example: `  papertrade decode capture.jsonl
  papertrade decode --books --quiet fixtures/*.jsonl
  zstd -dc recording/2026-10-06/*.jsonl.zst | papertrade decode --books -q -
  websocat wss://ws.kraken.com/v2 | papertrade decode -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDecode(cmd.Context(), a, args, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.books, "books", false, "maintain order books and verify Kraken's checksums")
	cmd.Flags().BoolVarP(&opts.quiet, "quiet", "q", false, "do not print events (with --books: only the summary)")
	return cmd
}

type decodeOptions struct {
	books bool
	quiet bool
}

// decodeRun is the state of one decode command across its inputs.
type decodeRun struct {
	a     *app
	opts  decodeOptions
	out   *bufio.Writer
	dec   *kraken.Decoder
	books *decodeBooks
	evs   []feed.Event
	buf   []byte
	bad   int
}

func runDecode(ctx context.Context, a *app, args []string, opts decodeOptions) error {
	if len(args) == 0 {
		args = []string{"-"}
	}
	r := &decodeRun{a: a, opts: opts, out: bufio.NewWriterSize(a.stdout, 64<<10), dec: kraken.NewDecoder(kraken.WithLogger(a.log))}
	if opts.books {
		r.books = newDecodeBooks(a.stderr)
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
func decodeTapeLine(line []byte) (frame []byte, recv time.Time, ok bool) {
	if line[0] != '{' || !bytes.Contains(line, []byte(`"recv"`)) {
		return nil, time.Time{}, false
	}
	f, err := tape.ParseLine(line)
	if err != nil {
		return nil, time.Time{}, false
	}
	return f.Raw, f.Recv, true
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
	frame, recv, ok := decodeTapeLine(line)
	if !ok {
		var skip bool
		if frame, recv, skip = decodeFixtureLine(line); skip {
			return nil
		}
	}
	var err error
	r.evs, err = r.dec.Decode(frame, recv, r.evs[:0])
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

// decodeBooks keeps one order book per (api, pair, depth) and verifies checksums.
type decodeBooks struct {
	stderr     io.Writer
	pairs      *kraken.Pairs
	precision  map[feed.Pair][2]int32 // from instrument messages in the input
	ackDepth   map[decodeBookKey]int  // book depth from subscription acks (depth 0 in the key)
	books      map[decodeBookKey]*decodeBook
	updates    int // non-snapshot messages whose checksum was verified
	mismatches int
	skipped    int
}

type decodeBookKey struct {
	api   feed.API
	pair  feed.Pair
	depth int
}

type decodeBook struct {
	book   *feed.Book
	synced bool // a snapshot has been applied and no mismatch since
}

func newDecodeBooks(stderr io.Writer) *decodeBooks {
	return &decodeBooks{
		stderr:    stderr,
		pairs:     kraken.DefaultPairs(),
		precision: make(map[feed.Pair][2]int32),
		ackDepth:  make(map[decodeBookKey]int),
		books:     make(map[decodeBookKey]*decodeBook),
	}
}

func (k *decodeBooks) event(label string, n int, ev *feed.Event) {
	switch ev.Kind {
	case feed.KindAck:
		if a := ev.Ack; a.Channel == "book" && a.Success && a.Depth > 0 {
			k.ackDepth[decodeBookKey{ev.API, ev.Pair, 0}] = a.Depth
		}
	case feed.KindInstrument:
		for _, p := range ev.Instrument.Pairs {
			k.precision[p.Pair] = [2]int32{p.PriceDecimals, p.LotDecimals}
		}
	case feed.KindBook:
		k.book(label, n, ev)
	}
}

func (k *decodeBooks) book(label string, n int, ev *feed.Event) {
	u := ev.Book
	depth := u.Depth
	if depth == 0 {
		depth = k.ackDepth[decodeBookKey{ev.API, ev.Pair, 0}]
	}
	if depth == 0 {
		depth = 10
	}
	key := decodeBookKey{ev.API, ev.Pair, depth}
	b := k.books[key]
	if b == nil {
		b = &decodeBook{book: feed.NewBook(ev.Pair, depth)}
		k.books[key] = b
	}
	if u.Snapshot {
		b.synced = true
	} else if !b.synced {
		k.skipped++
		return
	}
	where := fmt.Sprintf("%s:%d: %s %s book-%d", label, n, ev.API, ev.Pair, depth)
	if err := b.book.Apply(u); err != nil {
		k.mismatches++
		b.synced = false
		fmt.Fprintf(k.stderr, "%s: %v; waiting for the next snapshot\n", where, err)
		return
	}
	if !u.HasChecksum {
		return
	}
	if !u.Snapshot {
		k.updates++
	}
	got := kraken.Checksum(b.book, -1, -1)
	if ev.API == feed.APIV2 && got != u.Checksum {
		// A v2 frame re-serialised by a float round trip lost its trailing zeros: format at
		// the pair's precision. (Wire text is tried first: when it matches, the book is right.)
		if pd, qd, ok := k.pairPrecision(ev.Pair); ok {
			got = kraken.Checksum(b.book, pd, qd)
		}
	}
	if got != u.Checksum {
		k.mismatches++
		b.synced = false
		fmt.Fprintf(k.stderr, "%s: checksum mismatch: computed %d, Kraken sent %d; waiting for the next snapshot\n", where, got, u.Checksum)
	}
}

// pairPrecision returns a pair's price and quantity decimals: from an instrument message in
// the input, else from the built-in pair table.
func (k *decodeBooks) pairPrecision(p feed.Pair) (int32, int32, bool) {
	if v, ok := k.precision[p]; ok {
		return v[0], v[1], true
	}
	if info, ok := k.pairs.Lookup(p); ok {
		return info.PriceDecimals, info.LotDecimals, true
	}
	return 0, 0, false
}
