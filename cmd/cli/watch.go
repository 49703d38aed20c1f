package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

type watchFlags struct {
	url      string
	api      string
	pairs    []string
	channels []string
	depth    int
	interval int
	duration time.Duration
}

func newWatchCmd(a *app) *cobra.Command {
	var fl watchFlags
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Print a Kraken WebSocket feed live, one line per event",
		Long: `watch connects to Kraken's public WebSocket (or a look-alike such as "papertrade serve")
with papertrade's feed client and prints what arrives, one line per event: trades, top of book
after each book change, tickers, candles, spreads, status changes, acknowledgements, gaps and
errors. Books are verified with Kraken's checksums; reconnects and gaps are reported.

Times are the exchange's (UTC), or the receive time when the message has none. It runs until
interrupted or for --duration, then prints a summary.`,
		Example: `  papertrade watch --pairs BTC/USD,ETH/USD --channels trade,book
  papertrade watch --url ws://127.0.0.1:8765/v2 --pairs BTC/USD --channels trade,book --depth 10
  papertrade watch --url ws://127.0.0.1:8765 --api v1 --pairs BTC/USD --channels ticker,spread --duration 1m`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.NoArgs(cmd, args); err != nil {
				return &usageError{err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return runWatch(cmd.Context(), a, &fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.url, "url", kraken.URLv2, "WebSocket URL")
	f.StringVar(&fl.api, "api", "", `protocol, v1 or v2 (default: v2 when the URL path ends in /v2, else v1)`)
	f.StringSliceVar(&fl.pairs, "pairs", []string{"BTC/USD"}, "pairs (v2 names, mapped to v1 names on v1)")
	f.StringSliceVar(&fl.channels, "channels", []string{"trade"}, "channels: trade, book, ticker, ohlc, spread (v1), instrument (v2)")
	f.IntVar(&fl.depth, "depth", 10, "book depth: 10, 25, 100, 500 or 1000")
	f.IntVar(&fl.interval, "interval", 1, "ohlc interval in minutes")
	f.DurationVar(&fl.duration, "duration", 0, "stop after this long (0: until interrupted)")
	return cmd
}

func runWatch(ctx context.Context, a *app, fl *watchFlags) error {
	api, err := watchAPI(fl.url, fl.api)
	if err != nil {
		return &usageError{err}
	}
	pairs := make([]feed.Pair, 0, len(fl.pairs))
	for _, p := range fl.pairs {
		pp, err := feed.ParsePair(strings.TrimSpace(p))
		if err != nil {
			return &usageError{fmt.Errorf("--pairs: %w", err)}
		}
		pairs = append(pairs, pp)
	}
	cl, err := kraken.NewClient(kraken.ClientConfig{
		API: api, URL: fl.url, Pairs: pairs, Channels: fl.channels, Depth: fl.depth, Interval: fl.interval, Logger: a.log,
	})
	if err != nil {
		return &usageError{err}
	}
	if fl.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, fl.duration)
		defer cancel()
	}
	w := bufio.NewWriter(a.stdout)
	p := newEventPrinter(w, fl.depth)
	start := time.Now()
	out := make(chan []feed.Event, 64)
	errc := make(chan error, 1)
	go func() { errc <- cl.Run(ctx, out) }()
	var runErr error
loop:
	for {
		select {
		case batch := <-out:
			for i := range batch {
				p.print(&batch[i])
			}
			if err := w.Flush(); err != nil {
				runErr = err
				break loop
			}
		case runErr = <-errc:
			errc = nil
			break loop
		}
	}
	if errc != nil { // printing failed: stop the client
		cl.Close()
		<-errc
	}
	st := cl.Stats()
	fmt.Fprintf(w, "watched %s: %d trades, %d book updates, %d trade gaps, %d reconnects, %d checksum mismatches, %d malformed frames\n",
		time.Since(start).Round(time.Millisecond), p.trades, p.bookUpdates, st.TradeGaps, st.Reconnects, st.ChecksumMismatches, st.Malformed)
	if err := w.Flush(); err != nil && runErr == nil {
		runErr = err
	}
	if errors.Is(runErr, context.Canceled) || errors.Is(runErr, context.DeadlineExceeded) {
		runErr = nil // interrupted or --duration elapsed: a normal end
	}
	if runErr == nil && st.Frames == 0 {
		// Nothing arrived (issue 18 item 7): exit 6 like a backtest window without data, so a
		// script can tell an unreachable feed from a quiet one.
		why := "check --url, the network and --pairs"
		if st.DialProblem != "" {
			why = st.DialProblem
		}
		return &ExitCodeError{Code: ExitIncomplete, Err: fmt.Errorf("received no frames from %s: %s", fl.url, why)}
	}
	return runErr
}

// watchAPI picks the protocol: --api when given, else from the URL path.
func watchAPI(rawURL, flag string) (feed.API, error) {
	if flag != "" {
		return parseAPI(flag)
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
		return 0, fmt.Errorf("--url %q: want a ws:// or wss:// URL", rawURL)
	}
	if strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/v2") {
		return feed.APIV2, nil
	}
	return feed.APIV1, nil
}

// eventPrinter renders events as human-readable lines and keeps the books for top-of-book.
type eventPrinter struct {
	w           io.Writer
	depth       int
	books       map[feed.Pair]*feed.Book
	tops        map[feed.Pair]string
	trades      int
	bookUpdates int
}

func newEventPrinter(w io.Writer, depth int) *eventPrinter {
	return &eventPrinter{w: w, depth: depth, books: map[feed.Pair]*feed.Book{}, tops: map[feed.Pair]string{}}
}

const watchTime = "15:04:05.000000"

func (p *eventPrinter) print(ev *feed.Event) {
	t := ev.Time
	if t.IsZero() {
		t = ev.Recv
	}
	ts := t.UTC().Format(watchTime)
	line := p.line(ev)
	if line != "" {
		fmt.Fprintf(p.w, "%s %s\n", ts, line)
	}
}

// line returns an event's text without its time; "" for events not worth a line.
func (p *eventPrinter) line(ev *feed.Event) string {
	switch ev.Kind {
	case feed.KindTrade:
		p.trades++
		tr := &ev.Trade
		s := fmt.Sprintf("%s %s %s @ %s", tr.Pair, tr.Side, tr.Qty, tr.Price)
		if tr.ID != 0 {
			s += fmt.Sprintf(" #%d", tr.ID)
		}
		return s
	case feed.KindBook:
		return p.book(ev.Book)
	case feed.KindTicker:
		x := ev.Ticker
		return fmt.Sprintf("%s ticker bid %s x %s | ask %s x %s | last %s | 24h vol %s vwap %s", ev.Pair,
			x.Bid, x.BidQty, x.Ask, x.AskQty, x.Last, x.Volume, x.VWAP)
	case feed.KindCandle:
		c := ev.Candle
		return fmt.Sprintf("%s ohlc %s %s o %s h %s l %s c %s v %s n %d", ev.Pair, intervalText(c.Interval),
			c.Start.UTC().Format("15:04"), c.Open, c.High, c.Low, c.Close, c.Volume, c.Trades)
	case feed.KindSpread:
		s := ev.Spread
		return fmt.Sprintf("%s spread %s x %s | %s x %s", ev.Pair, s.Bid, s.BidQty, s.Ask, s.AskQty)
	case feed.KindStatus:
		s := ev.Status
		line := fmt.Sprintf("status %s (version %s, connection %d)", s.System, s.Version, ev.Conn)
		for _, m := range s.Upcoming {
			line += fmt.Sprintf("; upcoming maintenance %q %s from %s", m.Title, m.Phase, m.ExpectedStart.UTC().Format(time.RFC3339))
		}
		return line
	case feed.KindInstrument:
		return fmt.Sprintf("instrument %s: %d pairs", snapshotWord(ev.Instrument.Snapshot), len(ev.Instrument.Pairs))
	case feed.KindAck:
		return ackLine(ev)
	case feed.KindError:
		return fmt.Sprintf("ERROR %s", ev.Ack.Error)
	case feed.KindGap:
		return gapLine(ev)
	}
	return ""
}

// intervalText prints a candle interval as Kraken names them: 1m, 4h, 1d, 1w.
func intervalText(d time.Duration) string {
	switch {
	case d >= 7*24*time.Hour && d%(7*24*time.Hour) == 0:
		return fmt.Sprintf("%dw", d/(7*24*time.Hour))
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

func snapshotWord(b bool) string {
	if b {
		return "snapshot"
	}
	return "update"
}

func ackLine(ev *feed.Event) string {
	a := ev.Ack
	what := strings.TrimSpace(a.Channel + " " + string(ev.Pair))
	switch {
	case a.Depth > 0:
		what += fmt.Sprintf(" (depth %d)", a.Depth)
	case a.Interval > 0:
		what += fmt.Sprintf(" (interval %dm)", a.Interval)
	}
	method := a.Method
	if method == "" {
		method = "request"
	}
	if !a.Success {
		return fmt.Sprintf("%s %s REJECTED: %s", method, what, a.Error)
	}
	return fmt.Sprintf("%sd %s", method, what)
}

func gapLine(ev *feed.Event) string {
	g := ev.Gap
	s := fmt.Sprintf("GAP %s %s: ", ev.Pair, g.Channel)
	switch {
	case g.Missing > 0:
		s += fmt.Sprintf("%d trades missing (ids %d..%d)", g.Missing, g.FromID, g.ToID)
	case !g.From.IsZero() && !g.To.IsZero() && !g.To.Equal(g.From):
		s += fmt.Sprintf("%s to %s", g.From.UTC().Format(watchTime), g.To.UTC().Format(watchTime))
	}
	if g.Reason != "" {
		if !strings.HasSuffix(s, ": ") {
			s += "; "
		}
		s += g.Reason
	}
	return s
}

// book applies a book message and returns the top-of-book line when the best levels changed.
func (p *eventPrinter) book(u *feed.BookUpdate) string {
	b := p.books[u.Pair]
	if b == nil {
		b = feed.NewBook(u.Pair, p.depth)
		p.books[u.Pair] = b
	}
	if err := b.Apply(u); err != nil {
		return fmt.Sprintf("%s book: bad update: %v", u.Pair, err)
	}
	if !u.Snapshot {
		p.bookUpdates++
	}
	top := "bid -"
	if px, qty, ok := b.BestBid(); ok {
		top = fmt.Sprintf("bid %s x %s", px, qty)
	}
	if px, qty, ok := b.BestAsk(); ok {
		top += fmt.Sprintf(" | ask %s x %s", px, qty)
	} else {
		top += " | ask -"
	}
	if u.Snapshot {
		p.tops[u.Pair] = top
		return fmt.Sprintf("%s book snapshot (%d bids, %d asks): %s", u.Pair, b.Len(feed.Buy), b.Len(feed.Sell), top)
	}
	if p.tops[u.Pair] == top {
		return ""
	}
	p.tops[u.Pair] = top
	return fmt.Sprintf("%s book %s", u.Pair, top)
}
