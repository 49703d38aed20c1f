package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/feed"
)

// Event kinds a Notifier can send; Options.Events selects them.
const (
	Fills  = "fills"  // every fill: instance, side, qty, pair, price, fee
	Faults = "faults" // a strategy stopped, or fell behind the feed
	Feed   = "feed"   // the feed lost data (gaps) or the exchange announced a status change
	Daily  = "daily"  // each instance's equity and PnL at the end of every UTC day (event time)
)

// AllEvents are the kinds sent when Options.Events is empty.
var AllEvents = []string{Fills, Faults, Feed, Daily}

// Defaults.
const (
	DefaultMinInterval = 2 * time.Second
	DefaultQueue       = 256
	DefaultTelegramURL = "https://api.telegram.org"
	// maxMessage bounds one message: Telegram refuses texts over 4096 characters.
	maxMessage = 3500
)

// Options configure a Notifier. At least one destination must be set.
type Options struct {
	// TelegramToken and TelegramChat select Telegram's sendMessage; TelegramURL is the API
	// base (default DefaultTelegramURL; tests point it at a local server).
	TelegramToken, TelegramChat, TelegramURL string
	// WebhookURL receives a POST of {"text": ..., "content": ...} per message.
	WebhookURL string
	// Events are the kinds to send (default AllEvents).
	Events []string
	// MinInterval is the least time between two messages to one destination (default
	// DefaultMinInterval; negative: no limit, for tests).
	MinInterval time.Duration
	// Queue is how many lines wait at most (default DefaultQueue); more are dropped.
	Queue int
	// Client sends the requests (default: one with a 10 s timeout).
	Client *http.Client
	// Label starts every message (e.g. "papertrade live run.yaml").
	Label string
	Log   *zap.Logger
}

// Notifier formats records and feed events into lines and sends them from Run. Record and
// Feed are safe for concurrent use and never block.
type Notifier struct {
	o       Options
	events  map[string]bool
	queue   chan string
	dropped atomic.Uint64
	sent    atomic.Uint64
	log     *zap.Logger

	mu    sync.Mutex // guards days (instances record concurrently)
	days  map[string]*day
	dests []dest
}

// day follows one instance's equity through the current UTC day.
type day struct {
	date       string // 2006-01-02 of the samples seen
	open, last decimal.Decimal
}

type dest struct {
	name string
	send func(ctx context.Context, text string) error
}

// New checks o and returns a Notifier; start its Run.
func New(o Options) (*Notifier, error) {
	if o.TelegramToken == "" && o.WebhookURL == "" {
		return nil, errors.New("notify: no destination: set a Telegram token and chat, or a webhook URL")
	}
	if o.TelegramToken != "" && o.TelegramChat == "" {
		return nil, errors.New("notify: a Telegram token needs a chat id (the chat the bot writes to)")
	}
	if o.TelegramURL == "" {
		o.TelegramURL = DefaultTelegramURL
	}
	if o.MinInterval == 0 {
		o.MinInterval = DefaultMinInterval
	}
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if len(o.Events) == 0 {
		o.Events = AllEvents
	}
	n := &Notifier{o: o, events: map[string]bool{}, queue: make(chan string, o.Queue), log: o.Log, days: map[string]*day{}}
	for _, e := range o.Events {
		switch e {
		case Fills, Faults, Feed, Daily:
			n.events[e] = true
		default:
			return nil, fmt.Errorf("notify: unknown event kind %q (known: %s)", e, strings.Join(AllEvents, ", "))
		}
	}
	if o.TelegramToken != "" {
		n.dests = append(n.dests, dest{"telegram", n.telegram})
	}
	if o.WebhookURL != "" {
		n.dests = append(n.dests, dest{"webhook", n.webhook})
	}
	return n, nil
}

// Dropped is how many lines were dropped because the queue was full; Sent how many messages
// reached a destination.
func (n *Notifier) Dropped() uint64 { return n.dropped.Load() }

// Sent is how many messages were delivered (to any destination).
func (n *Notifier) Sent() uint64 { return n.sent.Load() }

// offer queues a line without blocking.
func (n *Notifier) offer(line string) {
	select {
	case n.queue <- line:
	default:
		n.dropped.Add(1)
	}
}

// Record implements record.Recorder: fills, faults, lag warnings and the daily PnL from
// equity samples. It never blocks.
func (n *Notifier) Record(r *record.Record) {
	switch r.Kind {
	case record.KindFill:
		if n.events[Fills] {
			f := &r.Fill
			n.offer(fmt.Sprintf("%s %s: %s %s %s @ %s (fee %s %s)", stamp(r.Time), r.Instance, f.Side, f.Qty, f.Pair, f.Price, f.Fee, f.FeeAsset))
		}
	case record.KindFault:
		if n.events[Faults] {
			n.offer(fmt.Sprintf("%s %s STOPPED: %v", stamp(r.Time), r.Instance, r.Err))
		}
	case record.KindLag:
		if n.events[Faults] {
			n.offer(fmt.Sprintf("%s %s is falling behind the feed: %v", stamp(r.Time), r.Instance, r.Err))
		}
	case record.KindEquity:
		if n.events[Daily] {
			n.equity(r)
		}
	}
}

// equity closes an instance's day when a sample of a later UTC day arrives.
func (n *Notifier) equity(r *record.Record) {
	date := r.Time.UTC().Format("2006-01-02")
	n.mu.Lock()
	d := n.days[r.Instance]
	if d == nil {
		d = &day{date: date, open: r.Equity}
		n.days[r.Instance] = d
	}
	var line string
	if d.date != date {
		line = dailyLine(r.Instance, d)
		d.date, d.open = date, d.last
	}
	d.last = r.Equity
	n.mu.Unlock()
	if line != "" {
		n.offer(line)
	}
}

func dailyLine(instance string, d *day) string {
	pnl := d.last.Sub(d.open)
	pct := ""
	if d.open.Sign() > 0 {
		pct = fmt.Sprintf(" (%s%%)", pnl.Div(d.open).Mul(decimal.NewFromInt(100)).StringFixed(2))
	}
	return fmt.Sprintf("%s daily %s: equity %s, PnL %s%s", d.date, instance, d.last.StringFixed(2), pnl.StringFixed(2), pct)
}

// Feed reports what the feed knows it missed (gaps) and exchange status changes (maintenance,
// reconnects the client announces as status events). Call it from the feed's path: it never
// blocks.
func (n *Notifier) Feed(ev *feed.Event) {
	if !n.events[Feed] {
		return
	}
	switch ev.Kind {
	case feed.KindGap:
		if ev.Gap != nil {
			n.offer(fmt.Sprintf("%s feed gap on %s: %s", stamp(ev.Time), ev.Pair, gapText(ev.Gap)))
		}
	case feed.KindStatus:
		if ev.Status != nil {
			n.offer(fmt.Sprintf("%s exchange status: %s", stamp(ev.Time), statusText(ev.Status)))
		}
	}
}

// Disconnected reports a lost connection with its reason and the retry delay (the feed
// client's state, not an event): call it from the connection's owner.
func (n *Notifier) Disconnected(at time.Time, reason string, retryIn time.Duration) {
	if n.events[Feed] {
		n.offer(fmt.Sprintf("%s feed disconnected: %s; retrying in %s", stamp(at), reason, retryIn))
	}
}

// Run sends queued lines until ctx ends, then sends what is still queued (with a short
// deadline) and returns. Lines waiting together go out as one message; messages to one
// destination are at least MinInterval apart. A destination that fails is logged and
// retried with the next message; lines are not resent.
func (n *Notifier) Run(ctx context.Context) error {
	var last time.Time
	for {
		var first string
		select {
		case first = <-n.queue:
		case <-ctx.Done():
			n.flush()
			return nil
		}
		if n.o.MinInterval > 0 && !last.IsZero() {
			if wait := n.o.MinInterval - time.Since(last); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					n.send(context.Background(), n.batch(first), true)
					return nil
				}
			}
		}
		last = time.Now()
		n.send(ctx, n.batch(first), false)
	}
}

// batch joins first with whatever else is queued, up to maxMessage characters, and says how
// many lines were dropped since the last message.
func (n *Notifier) batch(first string) string {
	var b strings.Builder
	if n.o.Label != "" {
		b.WriteString(n.o.Label + "\n")
	}
	b.WriteString(first)
	for b.Len() < maxMessage {
		select {
		case l := <-n.queue:
			b.WriteString("\n" + l)
			continue
		default:
		}
		break
	}
	if d := n.dropped.Swap(0); d > 0 {
		fmt.Fprintf(&b, "\n(%d notifications dropped: too many at once)", d)
	}
	return b.String()
}

// flush sends what is queued when the session ends, with its own short deadline.
func (n *Notifier) flush() {
	select {
	case first := <-n.queue:
		n.send(context.Background(), n.batch(first), true)
	default:
	}
}

func (n *Notifier) send(ctx context.Context, text string, final bool) {
	// A message in flight is finished even when the session is stopping (the owner's Wait
	// covers it): cutting it off would lose the very fills that ended the session.
	timeout := 10 * time.Second
	if final {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	for _, d := range n.dests {
		if err := d.send(ctx, text); err != nil {
			n.log.Warn("notification not sent", zap.String("to", d.name), zap.Error(err))
			continue
		}
		n.sent.Add(1)
	}
}

func (n *Notifier) telegram(ctx context.Context, text string) error {
	body, _ := json.Marshal(map[string]any{"chat_id": n.o.TelegramChat, "text": text, "disable_web_page_preview": true})
	url := strings.TrimRight(n.o.TelegramURL, "/") + "/bot" + n.o.TelegramToken + "/sendMessage"
	return n.post(ctx, url, body, "telegram")
}

func (n *Notifier) webhook(ctx context.Context, text string) error {
	// Slack reads "text", Discord "content"; both ignore the other key.
	body, _ := json.Marshal(map[string]string{"text": text, "content": text})
	return n.post(ctx, n.o.WebhookURL, body, "webhook")
}

func (n *Notifier) post(ctx context.Context, url string, body []byte, name string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", name, redact(err, n.o.TelegramToken))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", name, redact(err, n.o.TelegramToken))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: HTTP %d: %s (check the token, chat id or URL in the notify config)", name, resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return nil
}

// redact keeps the bot token out of logs (it is part of Telegram's URL).
func redact(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "<token>"))
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

func gapText(g *feed.Gap) string {
	var b strings.Builder
	b.WriteString(g.Channel)
	switch {
	case g.Missing > 0:
		fmt.Fprintf(&b, ", %d missed", g.Missing)
	case g.ToID > 0:
		fmt.Fprintf(&b, ", trade ids %d..%d missed", g.FromID, g.ToID)
	}
	if !g.From.IsZero() && !g.To.IsZero() {
		fmt.Fprintf(&b, " between %s and %s", g.From.UTC().Format("15:04:05"), g.To.UTC().Format("15:04:05"))
	}
	if g.Reason != "" {
		b.WriteString(" (" + g.Reason + ")")
	}
	return b.String()
}

func statusText(s *feed.Status) string {
	out := string(s.System)
	for _, m := range append(append([]feed.Maintenance(nil), s.Emergency...), s.Upcoming...) {
		out += fmt.Sprintf("; maintenance %q %s, recommended: %s", m.Title, m.Phase, m.RecommendedAction)
		if !m.ExpectedStart.IsZero() {
			out += ", from " + stamp(m.ExpectedStart)
		}
	}
	return out
}

var _ record.Recorder = (*Notifier)(nil)
