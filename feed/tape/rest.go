package tape

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

// RESTTradesPage is one response of Kraken's REST Trades endpoint (PROTOCOL.md §8.1):
//
//	{"error":[],"result":{"XXBTZUSD":[[price,volume,time,side,ordType,misc,trade_id],…],"last":"1688671969993150842"}}
type RESTTradesPage struct {
	Key    string       // the result's pair key, as Kraken resolved the name (XXBTZUSD)
	Pair   feed.Pair    // Key in the v2 spelling ("" when the pair table does not know it)
	Trades []feed.Trade // in page order; ID is 0 for entries without the 7th field (≤ 2023)
	Last   string       // the nanosecond cursor for the next page
	Errors []string     // Kraken's error texts ("EAPI:Rate limit exceeded")
}

// Kraken's REST error texts that mean "slow down and retry".
var restRetryable = []string{"EAPI:Rate limit exceeded", "EGeneral:Too many requests", "EService:Busy", "EService:Unavailable", "EGeneral:Temporary lockout"}

// RESTError is a REST response whose "error" list is not empty.
type RESTError struct {
	Errors []string
}

func (e *RESTError) Error() string { return "kraken REST: " + strings.Join(e.Errors, "; ") }

// Retryable reports whether Kraken asks to back off and try again (rate limits, busy).
func (e *RESTError) Retryable() bool {
	for _, s := range e.Errors {
		for _, r := range restRetryable {
			if strings.HasPrefix(s, r) {
				return true
			}
		}
	}
	return false
}

// ParseRESTTrades parses one REST Trades response. Entries are read exactly: prices and
// volumes from their decimal strings, the time from the text of its JSON number (up to nine
// decimals; REST sends seven), never through float64. A malformed entry is passed to onBad
// (when not nil) with the line it starts on and left out; a malformed envelope is an error.
// A response whose "error" list is not empty is returned with Errors set and a *RESTError.
func ParseRESTTrades(data []byte, pairs *kraken.Pairs, onBad func(RowError)) (RESTTradesPage, error) {
	if pairs == nil {
		pairs = kraken.DefaultPairs()
	}
	p := restParser{data: data, dec: json.NewDecoder(bytes.NewReader(data)), pairs: pairs, onBad: onBad}
	p.dec.UseNumber()
	page, err := p.page()
	if err != nil {
		return page, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return page, p.errf("unexpected data after the response")
	}
	return page, nil
}

// restParser walks a Trades response with encoding/json's token stream, so that entries
// keep their line numbers.
type restParser struct {
	data  []byte
	dec   *json.Decoder
	pairs *kraken.Pairs
	onBad func(RowError)
	bad   int64
}

// line returns the line of the first significant byte at or after off.
func (p *restParser) line(off int64) int64 {
	for off < int64(len(p.data)) {
		c := p.data[off]
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ',' && c != ':' {
			break
		}
		off++
	}
	return int64(bytes.Count(p.data[:min(off, int64(len(p.data)))], []byte{'\n'})) + 1
}

func (p *restParser) errf(format string, args ...any) error {
	return fmt.Errorf("kraken REST Trades response, line %d: %s", p.line(p.dec.InputOffset()), fmt.Sprintf(format, args...))
}

func (p *restParser) delim(want json.Delim) error {
	tok, err := p.dec.Token()
	if err != nil {
		return p.errf("%v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return p.errf("got %v, want %q", tok, string(want))
	}
	return nil
}

func (p *restParser) key() (string, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return "", p.errf("%v", err)
	}
	k, ok := tok.(string)
	if !ok {
		return "", p.errf("got %v, want a member name", tok)
	}
	return k, nil
}

func (p *restParser) page() (RESTTradesPage, error) {
	var page RESTTradesPage
	if err := p.delim('{'); err != nil {
		return page, err
	}
	sawResult := false
	for p.dec.More() {
		k, err := p.key()
		if err != nil {
			return page, err
		}
		switch k {
		case "error":
			if err := p.dec.Decode(&page.Errors); err != nil {
				return page, p.errf("error: %v", err)
			}
		case "result":
			sawResult = true
			if err := p.result(&page); err != nil {
				return page, err
			}
		default:
			var skip json.RawMessage
			if err := p.dec.Decode(&skip); err != nil {
				return page, p.errf("%s: %v", k, err)
			}
		}
	}
	if err := p.delim('}'); err != nil {
		return page, err
	}
	if len(page.Errors) > 0 {
		return page, &RESTError{Errors: page.Errors}
	}
	if !sawResult {
		return page, p.errf("no result")
	}
	return page, nil
}

func (p *restParser) result(page *RESTTradesPage) error {
	if err := p.delim('{'); err != nil {
		return err
	}
	for p.dec.More() {
		k, err := p.key()
		if err != nil {
			return err
		}
		if k == "last" {
			var last json.Number // Kraken sends a string; older answers a number
			var s string
			raw := json.RawMessage{}
			if err := p.dec.Decode(&raw); err != nil {
				return p.errf("last: %v", err)
			}
			if json.Unmarshal(raw, &s) == nil {
				last = json.Number(s)
			} else if json.Unmarshal(raw, &last) != nil {
				return p.errf("last: %s is not a cursor", raw)
			}
			if _, err := strconv.ParseInt(last.String(), 10, 64); err != nil {
				return p.errf("last: %q is not a nanosecond cursor", last)
			}
			page.Last = last.String()
			continue
		}
		if page.Key != "" {
			return p.errf("result has two pairs, %s and %s", page.Key, k)
		}
		page.Key = k
		if info, ok := p.pairs.LookupREST(k); ok {
			page.Pair = info.Pair
		}
		if err := p.entries(page); err != nil {
			return err
		}
	}
	return p.delim('}')
}

func (p *restParser) entries(page *RESTTradesPage) error {
	if err := p.delim('['); err != nil {
		return err
	}
	for p.dec.More() {
		line := p.line(p.dec.InputOffset())
		var fields []json.RawMessage
		if err := p.dec.Decode(&fields); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				return p.errf("%v", err)
			}
			p.reject(line, fmt.Errorf("entry is %s, want an array", te.Value))
			continue
		}
		tr, err := restEntry(fields)
		if err != nil {
			p.reject(line, err)
			continue
		}
		tr.Pair = page.Pair
		page.Trades = append(page.Trades, tr)
	}
	return p.delim(']')
}

func (p *restParser) reject(line int64, err error) {
	p.bad++
	if p.onBad != nil {
		p.onBad(RowError{Line: line, Err: err})
	}
}

// restEntry reads [price, volume, time, side, ordType, misc(, trade_id)].
func restEntry(f []json.RawMessage) (feed.Trade, error) {
	var tr feed.Trade
	if len(f) < 6 || len(f) > 7 {
		return tr, fmt.Errorf("entry has %d fields, want 6 or 7 [price, volume, time, side, ordType, misc, trade_id]", len(f))
	}
	str := func(i int, what string) (string, error) {
		var s string
		if err := json.Unmarshal(f[i], &s); err != nil {
			return "", fmt.Errorf("%s %s: want a string", what, f[i])
		}
		return s, nil
	}
	ps, err := str(0, "price")
	if err != nil {
		return tr, err
	}
	price, err := feed.ParseFixed([]byte(ps))
	if err != nil || price.Sign() <= 0 {
		return tr, fmt.Errorf("price %q: want a positive decimal number", ps)
	}
	qs, err := str(1, "volume")
	if err != nil {
		return tr, err
	}
	qty, err := feed.ParseFixed([]byte(qs))
	if err != nil || qty.Sign() < 0 {
		return tr, fmt.Errorf("volume %q: want a decimal number", qs)
	}
	ts := string(bytes.Trim(f[2], `"`)) // a JSON number; accept a string too
	if tr.Time, err = kraken.ParseUnixTime(ts); err != nil {
		return tr, fmt.Errorf("time %s: want unix seconds", f[2])
	}
	if err := checkTradeTime(tr.Time); err != nil {
		return tr, err
	}
	ss, err := str(3, "side")
	if err != nil {
		return tr, err
	}
	if tr.Side, err = feed.ParseSide(ss); err != nil {
		return tr, fmt.Errorf("side %q: want \"b\" or \"s\"", ss)
	}
	os, err := str(4, "order type")
	if err != nil {
		return tr, err
	}
	tr.OrdType, _ = feed.ParseOrdType(os) // an unknown type stays OrdUnknown
	if len(f) == 7 {
		id, err := strconv.ParseUint(string(bytes.Trim(f[6], `"`)), 10, 64)
		if err != nil || id == 0 {
			return tr, fmt.Errorf("trade_id %s: want a positive integer", f[6])
		}
		tr.ID = id
	}
	tr.Price, tr.Qty = price.Decimal(), qty.Decimal()
	return tr, nil
}

// restDedup drops trades a previous page already had. Trade ids rise by one per trade on a
// pair, so an id at or below the highest written is a repeat; entries without an id (older
// responses) are compared in full with the previous page's trades at its last time, the only
// ones Kraken repeats at a page boundary.
type restDedup struct {
	maxID    uint64
	boundary time.Time
	seen     map[string]bool
	next     map[string]bool
}

func restKey(t *feed.Trade) string {
	return fmt.Sprintf("%d|%s|%s|%d|%d", t.Time.UnixNano(), t.Price, t.Qty, t.Side, t.OrdType)
}

func (d *restDedup) duplicate(t *feed.Trade) bool {
	if t.ID != 0 {
		if t.ID <= d.maxID {
			return true
		}
		d.maxID = t.ID
		return false
	}
	switch c := t.Time.Compare(d.boundary); {
	case c < 0 && !d.boundary.IsZero():
		return true
	case c == 0 && d.seen[restKey(t)]:
		return true
	}
	if d.next == nil {
		d.next = make(map[string]bool)
	}
	d.next[restKey(t)] = true
	return false
}

// endPage keeps the keys of the page's trades at its last time for the next page.
func (d *restDedup) endPage(trades []feed.Trade) {
	if len(trades) == 0 {
		return
	}
	last := trades[len(trades)-1].Time
	if !last.Equal(d.boundary) {
		d.seen = make(map[string]bool)
	}
	for i := range trades {
		if t := &trades[i]; t.ID == 0 && t.Time.Equal(last) {
			d.seen[restKey(t)] = true
		}
	}
	d.boundary = last
	d.next = nil
}

// ImportREST reads saved REST Trades responses (one, or several one after the other, as
// pages saved in sequence) and writes their trades to w as v2 trade frames, dropping the
// trades that repeat at page boundaries (by trade id; see Download). Every response must be
// for the same pair; pair, when not empty, must be it. Malformed entries are passed to
// ImportOnBad with their line and skipped; a malformed or failed response is an error.
func ImportREST(ctx context.Context, r io.Reader, w *Writer, pair feed.Pair, opts ...ImportOption) (ImportStats, error) {
	cfg := newImportConfig(opts)
	var st ImportStats
	data, err := io.ReadAll(r)
	if err != nil {
		return st, fmt.Errorf("tape: import: %w", err)
	}
	fr, err := newTradeFramer(w, cfg.pairs, &st)
	if err != nil {
		return st, err
	}
	var dd restDedup
	off := 0
	lineBase := int64(0)
	for {
		rest := bytes.TrimLeft(data[off:], " \t\r\n")
		if len(rest) == 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			return st, err
		}
		skipped := len(data) - off - len(rest)
		lineBase += int64(bytes.Count(data[off:off+skipped], []byte{'\n'}))
		off += skipped
		n := jsonValueEnd(rest)
		badBefore := st.Bad
		onBad := func(e RowError) { cfg.bad(&st, lineBase+e.Line, e.Err) }
		page, err := ParseRESTTrades(rest[:n], cfg.pairs, onBad)
		if err != nil {
			return st, fmt.Errorf("tape: import: response at line %d: %w", lineBase+1, err)
		}
		st.Pages++
		st.Rows += int64(len(page.Trades)) + st.Bad - badBefore
		if page.Pair == "" {
			return st, fmt.Errorf("tape: import: response at line %d: pair %q is not in the pair table", lineBase+1, page.Key)
		}
		if pair == "" {
			pair = page.Pair
		} else if page.Pair != pair {
			return st, fmt.Errorf("tape: import: response at line %d is for %s (%s), not %s", lineBase+1, page.Pair, page.Key, pair)
		}
		for i := range page.Trades {
			if dd.duplicate(&page.Trades[i]) {
				st.Duplicates++
				continue
			}
			if err := fr.check(&page.Trades[i]); err != nil {
				// REST entries carry no line of their own: name the response and the trade.
				cfg.bad(&st, lineBase+1, fmt.Errorf("trade %d at %s: %w", page.Trades[i].ID, page.Trades[i].Time.UTC().Format(time.RFC3339Nano), err))
				continue
			}
			if err := fr.add(page.Trades[i]); err != nil {
				return st, fmt.Errorf("tape: import: %w", err)
			}
		}
		dd.endPage(page.Trades)
		st.Cursor = page.Last
		lineBase += int64(bytes.Count(rest[:n], []byte{'\n'}))
		off += n
	}
	if err := fr.flush(); err != nil {
		return st, fmt.Errorf("tape: import: %w", err)
	}
	return st, nil
}

// jsonValueEnd returns the length of the JSON value b starts with (all of b when it does not
// end: the parser then says what is wrong).
func jsonValueEnd(b []byte) int {
	dec := json.NewDecoder(bytes.NewReader(b))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return len(b)
	}
	return int(dec.InputOffset())
}

// DownloadConfig configures Download.
type DownloadConfig struct {
	// URL is the REST base URL (default https://api.kraken.com); Trades is at /0/public/Trades.
	URL string
	// Pair is the pair to download; its REST altname (XBTUSD) is what is requested.
	Pair feed.PairInfo
	// Since is the time to start from (required); Until, when not zero, the time to stop
	// before (exclusive). SinceCursor, when set, replaces Since with a "last" cursor from an
	// earlier run.
	Since       time.Time
	Until       time.Time
	SinceCursor string
	// Interval is the pause between calls (default 1.5s: Kraken asks for 1–2 s between bulk
	// Trades calls); negative means none.
	Interval time.Duration
	// BackoffMin and BackoffMax bound the exponential backoff after a rate-limit answer, an
	// HTTP error or a network failure (default 5s and 2m). MaxRetries is how many failed calls
	// in a row are tolerated before giving up (default 10).
	BackoffMin, BackoffMax time.Duration
	MaxRetries             int
	// Count is the page size asked for (1–1000; default 1000).
	Count int
	// Client makes the requests (default: a client with a 30 s timeout).
	Client *http.Client
	// Sleep waits d or until ctx ends, returning ctx.Err() then. Tests replace it to run
	// without waiting (default: a timer).
	Sleep func(ctx context.Context, d time.Duration) error
	// OnPage, when set, is called after every page with the stats so far.
	OnPage func(ImportStats)
	Log    *zap.Logger
}

// DownloadName is the default name of a download's recording, which prefixes its files:
// rest-<REST altname> (rest-XBTUSD), or the pair without its slash when the table has no
// altname. One name per pair keeps downloads of several pairs apart in one directory.
func DownloadName(pair feed.PairInfo) string {
	rest := pair.AltName
	if rest == "" {
		rest = strings.ReplaceAll(string(pair.Pair), "/", "")
	}
	return "rest-" + rest
}

// DownloadOptions returns the writer options a download's recording carries: its name, the
// one pair, the trade channel, and the manifest's source and url, then meta as key, value
// pairs (download adds since or cursor and until as the user gave them, so the manifest says
// how to repeat the download). Flushing is left to the pages: a download is not live data.
func DownloadOptions(cfg *DownloadConfig, name string, meta ...string) []Option {
	url := cfg.URL
	if url == "" {
		url = DefaultRESTURL
	}
	opts := []Option{
		WithName(name),
		WithFlushInterval(0),
		WithPairs(cfg.Pair.Pair),
		WithChannels("trade"),
		WithMeta("source", "kraken-rest-trades"),
		WithMeta("url", url),
	}
	for i := 0; i+1 < len(meta); i += 2 {
		opts = append(opts, WithMeta(meta[i], meta[i+1]))
	}
	return opts
}

// DefaultRESTURL is Kraken's public REST endpoint.
const DefaultRESTURL = "https://api.kraken.com"

func (c *DownloadConfig) defaults() error {
	if c.URL == "" {
		c.URL = DefaultRESTURL
	}
	switch {
	case c.Interval == 0:
		c.Interval = 1500 * time.Millisecond
	case c.Interval < 0:
		c.Interval = 0
	}
	if c.BackoffMin == 0 {
		c.BackoffMin = 5 * time.Second
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = 2 * time.Minute
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 10
	}
	if c.Count == 0 {
		c.Count = 1000
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if c.Sleep == nil {
		c.Sleep = sleepCtx
	}
	if c.Log == nil {
		c.Log = zap.NewNop()
	}
	switch {
	case c.Pair.Pair == "":
		return errors.New("tape: download: no pair")
	case c.Since.IsZero() && c.SinceCursor == "":
		return errors.New("tape: download: no start time")
	case c.Count < 1 || c.Count > 1000:
		return fmt.Errorf("tape: download: page size %d outside 1..1000", c.Count)
	case c.BackoffMin < 0 || c.BackoffMax < c.BackoffMin || c.MaxRetries < 0:
		return errors.New("tape: download: backoff and retries must not be negative, BackoffMax >= BackoffMin")
	}
	if c.SinceCursor != "" {
		if _, err := strconv.ParseInt(c.SinceCursor, 10, 64); err != nil {
			return fmt.Errorf("tape: download: cursor %q is not a nanosecond count", c.SinceCursor)
		}
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Download pages through Kraken's REST Trades for one pair from cfg.Since (or SinceCursor)
// and writes the trades to w as v2 trade frames (see the importer notes above). It asks with
// since in nanoseconds, continues from each page's "last" cursor, drops the trades repeated
// at page boundaries (by trade id; by content for entries without one) and stops at an empty
// page, at a cursor that no longer moves, or at the first trade at or after cfg.Until.
//
// It pauses cfg.Interval between calls. A rate-limit or busy answer, an HTTP error or a
// network failure is retried after an exponential backoff (BackoffMin doubling up to
// BackoffMax), up to MaxRetries failures in a row; any other Kraken error (unknown pair,
// invalid arguments) ends the download. Every wait ends early when ctx does.
//
// The stats are valid on error too: Cursor is where to continue, and everything counted in
// Trades has been written to w (flush or close it to keep it).
func Download(ctx context.Context, cfg DownloadConfig, w *Writer, opts ...ImportOption) (ImportStats, error) {
	var st ImportStats
	if err := cfg.defaults(); err != nil {
		return st, err
	}
	icfg := newImportConfig(opts)
	name := cfg.Pair.AltName
	if name == "" {
		name = strings.ReplaceAll(string(cfg.Pair.Pair), "/", "")
	}
	fr, err := newTradeFramer(w, icfg.pairs, &st)
	if err != nil {
		return st, err
	}
	since := cfg.SinceCursor
	if since == "" {
		since = strconv.FormatInt(cfg.Since.UnixNano(), 10)
	}
	var dd restDedup
	log := cfg.Log.Named("download")
	fails := 0
	var wait time.Duration // before the next call: the interval, or a backoff after a failure
	for first := true; ; first = false {
		if !first {
			if err := cfg.Sleep(ctx, wait); err != nil {
				return st, errors.Join(err, fr.flush())
			}
		}
		badBefore := st.Bad
		page, retry, err := fetchTrades(ctx, &cfg, icfg.pairs, name, since, func(e RowError) {
			icfg.bad(&st, e.Line, fmt.Errorf("page %d: %w", st.Pages+1, e.Err))
		})
		if err != nil {
			if ctx.Err() != nil || !retry || fails >= cfg.MaxRetries {
				if fails >= cfg.MaxRetries && retry {
					err = fmt.Errorf("giving up after %d failed calls in a row: %w", fails+1, err)
				}
				return st, errors.Join(fmt.Errorf("tape: download %s since %s: %w", name, since, err), fr.flush())
			}
			wait = min(cfg.BackoffMin<<min(fails, 30), cfg.BackoffMax)
			fails++
			log.Warn("REST Trades call failed; backing off", zap.Error(err), zap.Duration("wait", wait), zap.Int("attempt", fails))
			continue
		}
		wait = cfg.Interval
		fails = 0
		st.Pages++
		st.Rows += int64(len(page.Trades)) + st.Bad - badBefore
		if page.Pair == "" {
			page.Pair = cfg.Pair.Pair
			for i := range page.Trades {
				page.Trades[i].Pair = cfg.Pair.Pair
			}
		} else if page.Pair != cfg.Pair.Pair {
			return st, errors.Join(fmt.Errorf("tape: download: asked for %s, Kraken answered with %s (%s)", cfg.Pair.Pair, page.Pair, page.Key), fr.flush())
		}
		done := len(page.Trades) == 0 || page.Last == "" || page.Last == since
		for i := range page.Trades {
			t := &page.Trades[i]
			if !cfg.Until.IsZero() && !t.Time.Before(cfg.Until) {
				done = true
				break
			}
			if dd.duplicate(t) {
				st.Duplicates++
				continue
			}
			if err := fr.check(t); err != nil {
				icfg.bad(&st, 0, fmt.Errorf("trade %d at %s: %w", t.ID, t.Time.UTC().Format(time.RFC3339Nano), err))
				continue
			}
			if err := fr.add(*t); err != nil {
				return st, errors.Join(fmt.Errorf("tape: download: %w", err), fr.flush())
			}
		}
		dd.endPage(page.Trades)
		if page.Last != "" {
			since = page.Last
		}
		st.Cursor = since
		if cfg.OnPage != nil {
			cfg.OnPage(st)
		}
		if ce := log.Check(zap.DebugLevel, "page"); ce != nil {
			ce.Write(zap.Int("trades", len(page.Trades)), zap.String("last", page.Last), zap.Int64("written", st.Trades))
		}
		if done {
			break
		}
	}
	if err := fr.flush(); err != nil {
		return st, fmt.Errorf("tape: download: %w", err)
	}
	return st, nil
}

// fetchTrades makes one Trades call. retry says whether a failure is worth retrying: a
// network failure, an HTTP 429 or 5xx, or Kraken's rate-limit and busy errors.
func fetchTrades(ctx context.Context, cfg *DownloadConfig, pairs *kraken.Pairs, name, since string, onBad func(RowError)) (page RESTTradesPage, retry bool, err error) {
	q := url.Values{"pair": {name}, "since": {since}}
	if cfg.Count != 1000 {
		q.Set("count", strconv.Itoa(cfg.Count))
	}
	u := strings.TrimRight(cfg.URL, "/") + "/0/public/Trades?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return page, false, err
	}
	req.Header.Set("User-Agent", "papertrade")
	resp, err := cfg.Client.Do(req)
	if err != nil {
		return page, true, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return page, true, err
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return page, true, &RESTError{Errors: []string{"EGeneral:Too many requests (HTTP 429)"}}
	case resp.StatusCode >= 500:
		return page, true, fmt.Errorf("HTTP %s: %s", resp.Status, clipText(body, 200))
	case resp.StatusCode != http.StatusOK:
		return page, false, fmt.Errorf("HTTP %s from %s: %s", resp.Status, u, clipText(body, 200))
	}
	page, err = ParseRESTTrades(body, pairs, onBad)
	var re *RESTError
	if errors.As(err, &re) {
		return page, re.Retryable(), err
	}
	return page, false, err
}

func clipText(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
