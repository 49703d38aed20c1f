package krakentest

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

// RawRecording is a recording's data frames exactly as Kraken sent them, for a replay that
// serves the original text byte for byte (WithRawRecording): numbers keep their recorded
// digits, v1 frames keep their recorded channel ids. Control frames (status, acks,
// heartbeats, pongs) are not kept: the server answers those itself.
type RawRecording struct {
	Frames []RawFrame
}

// RawFrame is one recorded data frame and the stream it belongs to.
type RawFrame struct {
	Recv time.Time // receive time (pacing); frames without one are spread 10 ms apart
	API  feed.API
	Raw  []byte

	ch       channel
	pair     feed.Pair // v2 name
	v1Name   string    // v1 frames: the pair as written
	param    int       // v1 book depth / ohlc interval; v2 ohlc interval; 0 = any
	chanName string    // v1 channelName
	chanID   int64     // v1 channelID
	snapshot bool      // a book snapshot: starts the catch-up tail of its stream
	ack      bool      // a recorded subscription ack: names a pair (and v1 channel id), not replayed
	prices   int32     // decimals of the first price seen (to describe an unknown pair)
	qtys     int32
}

// rawGap paces frames without a receive time.
const rawGap = 10 * time.Millisecond

// LoadRawRecording reads a recording's data frames for WithRawRecording: a feed/tape
// recording (directory, manifest or segment), a JSON-lines file in the fixture wrapper
// format ({"ts":…,"dir":"in","msg":<frame>}; "out" lines skipped) or bare frames, one a line.
// A frame that is not a market-data frame of either API is skipped.
func LoadRawRecording(ctx context.Context, path string) (*RawRecording, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	rec := &RawRecording{}
	var last time.Time
	add := func(recv time.Time, raw []byte) {
		if recv.IsZero() {
			if last.IsZero() {
				last = time.Unix(0, 0).UTC()
			}
			recv = last.Add(rawGap)
		}
		last = recv
		if f, ok := classifyRaw(raw); ok {
			f.Recv, f.Raw = recv, bytes.Clone(raw)
			rec.Frames = append(rec.Frames, f)
		}
	}
	if st.IsDir() || !isLineFile(path) {
		r, err := tape.Open(path)
		if err != nil {
			return nil, err
		}
		for fr, err := range r.Frames(ctx, tape.Range{}) {
			if err != nil {
				return nil, fmt.Errorf("krakentest: %s: %w", path, err)
			}
			add(fr.Recv, fr.Raw)
		}
	} else if err := readLines(path, add); err != nil {
		return nil, err
	}
	data := 0
	for i := range rec.Frames {
		if !rec.Frames[i].ack {
			data++
		}
	}
	if data == 0 {
		return nil, fmt.Errorf("krakentest: %s: no market-data frames (trade, book, ticker, ohlc, spread) in the recording", path)
	}
	return rec, nil
}

// isLineFile reports whether path is a JSON-lines file of fixture lines or bare frames rather
// than a tape segment.
func isLineFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	br := bufio.NewReader(f)
	for {
		line, err := br.ReadSlice('\n')
		line = bytes.TrimSpace(line)
		if len(line) > 0 {
			return !bytes.HasPrefix(line, []byte(`{"recv":`)) && (line[0] == '{' || line[0] == '[')
		}
		if err != nil {
			return false
		}
	}
}

func readLines(path string, add func(time.Time, []byte)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if !(bytes.Contains(line, []byte(`"msg":`)) && bytes.Contains(line, []byte(`"dir":`))) {
			add(time.Time{}, line)
			continue
		}
		var w struct {
			TS  *string         `json:"ts"`
			Dir string          `json:"dir"`
			Msg json.RawMessage `json:"msg"`
		}
		if err := json.Unmarshal(line, &w); err != nil {
			return fmt.Errorf("krakentest: %s:%d: %w (want a fixture line {\"ts\":…,\"dir\":…,\"msg\":…} or a bare frame)", path, n, err)
		}
		if w.Dir == "out" {
			continue
		}
		var recv time.Time
		if w.TS != nil {
			if t, err := time.Parse(time.RFC3339Nano, *w.TS); err == nil {
				recv = t
			} else if t, err := kraken.ParseUnixTime(*w.TS); err == nil {
				recv = t
			}
		}
		add(recv, w.Msg)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("krakentest: %s: %w", path, err)
	}
	return nil
}

// classifyRaw names the stream of a data frame; ok is false for anything else.
func classifyRaw(raw []byte) (RawFrame, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return RawFrame{}, false
	}
	if raw[0] == '[' {
		return classifyV1(raw)
	}
	if f, ok := classifyAck(raw); ok {
		return f, true
	}
	return classifyV2(raw)
}

// classifyAck reads a recorded successful subscription ack: v1 subscriptionStatus (with its
// channelID) or a v2 subscribe result. They are not replayed (the server acks for itself) but
// name the recording's pairs even when no data of theirs was recorded.
func classifyAck(raw []byte) (RawFrame, bool) {
	var m struct {
		Event       string
		Status      string
		Pair        string
		ChannelID   int64
		ChannelName string
		Method      string
		Success     bool
		Result      struct{ Channel, Symbol string }
	}
	if json.Unmarshal(raw, &m) != nil {
		return RawFrame{}, false
	}
	switch {
	case m.Event == "subscriptionStatus" && m.Status == "subscribed" && m.Pair != "":
		f := RawFrame{API: feed.APIV1, ack: true, v1Name: m.Pair, pair: kraken.V1ToV2(m.Pair), chanID: m.ChannelID, chanName: m.ChannelName}
		_, err := feed.ParsePair(string(f.pair))
		return f, err == nil
	case m.Method == "subscribe" && m.Success && m.Result.Symbol != "":
		f := RawFrame{API: feed.APIV2, ack: true, pair: feed.Pair(m.Result.Symbol)}
		_, err := feed.ParsePair(string(f.pair))
		return f, err == nil
	}
	return RawFrame{}, false
}

func classifyV1(raw []byte) (RawFrame, bool) {
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil || len(parts) < 4 {
		return RawFrame{}, false
	}
	f := RawFrame{API: feed.APIV1}
	var err error
	if f.chanID, err = strconv.ParseInt(string(parts[0]), 10, 64); err != nil {
		return RawFrame{}, false
	}
	if json.Unmarshal(parts[len(parts)-2], &f.chanName) != nil || json.Unmarshal(parts[len(parts)-1], &f.v1Name) != nil {
		return RawFrame{}, false
	}
	name, arg, _ := strings.Cut(f.chanName, "-")
	switch name {
	case "trade":
		f.ch = chTrade
	case "ticker":
		f.ch = chTicker
	case "spread":
		f.ch = chSpread
	case "book":
		f.ch = chBook
	case "ohlc":
		f.ch = chOHLC
	default:
		return RawFrame{}, false
	}
	if arg != "" {
		if f.param, err = strconv.Atoi(arg); err != nil {
			return RawFrame{}, false
		}
	}
	f.pair = kraken.V1ToV2(f.v1Name)
	if _, err := feed.ParsePair(string(f.pair)); err != nil {
		return RawFrame{}, false
	}
	if f.ch == chBook {
		var obj map[string]json.RawMessage
		if json.Unmarshal(parts[1], &obj) == nil {
			_, as := obj["as"]
			_, bs := obj["bs"]
			f.snapshot = as || bs
		}
	}
	f.prices, f.qtys = v1Decimals(f.ch, parts[1])
	return f, true
}

// v1Decimals reads the decimals of a v1 frame's first price and quantity strings.
func v1Decimals(ch channel, payload json.RawMessage) (price, qty int32) {
	dec := func(s string) int32 {
		if i := strings.IndexByte(s, '.'); i >= 0 {
			return int32(len(s) - i - 1)
		}
		return 0
	}
	var rows [][]json.RawMessage
	switch ch {
	case chTrade:
		json.Unmarshal(payload, &rows) //nolint:errcheck // a shape we do not know gives no decimals
	case chBook:
		var obj map[string][][]json.RawMessage
		json.Unmarshal(payload, &obj) //nolint:errcheck
		for _, k := range []string{"as", "bs", "a", "b"} {
			if len(obj[k]) > 0 {
				rows = obj[k]
				break
			}
		}
	}
	if len(rows) == 0 || len(rows[0]) < 2 {
		return 0, 0
	}
	var p, q string
	if json.Unmarshal(rows[0][0], &p) != nil || json.Unmarshal(rows[0][1], &q) != nil {
		return 0, 0
	}
	return dec(p), dec(q)
}

func classifyV2(raw []byte) (RawFrame, bool) {
	var msg struct {
		Channel string `json:"channel"`
		Type    string `json:"type"`
		Data    []struct {
			Symbol   string                             `json:"symbol"`
			Interval int                                `json:"interval"`
			Price    json.Number                        `json:"price"`
			Qty      json.Number                        `json:"qty"`
			Bids     []struct{ Price, Qty json.Number } `json:"bids"`
		} `json:"data"`
	}
	if json.Unmarshal(raw, &msg) != nil || len(msg.Data) == 0 || msg.Data[0].Symbol == "" {
		return RawFrame{}, false
	}
	f := RawFrame{API: feed.APIV2, pair: feed.Pair(msg.Data[0].Symbol)}
	switch msg.Channel {
	case "trade":
		f.ch = chTrade
	case "ticker":
		f.ch = chTicker
	case "book":
		f.ch, f.snapshot = chBook, msg.Type == "snapshot"
	case "ohlc":
		f.ch, f.param = chOHLC, msg.Data[0].Interval
	default:
		return RawFrame{}, false
	}
	if _, err := feed.ParsePair(string(f.pair)); err != nil {
		return RawFrame{}, false
	}
	dec := func(n json.Number) int32 {
		if i := strings.IndexByte(string(n), '.'); i >= 0 {
			return int32(len(n) - i - 1)
		}
		return 0
	}
	d := msg.Data[0]
	switch {
	case d.Price != "":
		f.prices, f.qtys = dec(d.Price), dec(d.Qty)
	case len(d.Bids) > 0:
		f.prices, f.qtys = dec(d.Bids[0].Price), dec(d.Bids[0].Qty)
	}
	return f, true
}

// Pairs returns a pair table entry for every pair of the recording that table lacks, with the
// precisions its frames show, so that a recording is served whole even when its pairs left
// Kraken (or the built-in table) long ago.
func (r *RawRecording) Pairs(table []feed.PairInfo) []feed.PairInfo {
	known := map[feed.Pair]bool{}
	for _, p := range table {
		known[p.Pair] = true
	}
	var out []feed.PairInfo
	idx := map[feed.Pair]int{}
	for i := range r.Frames {
		f := &r.Frames[i]
		if known[f.pair] {
			continue
		}
		j, ok := idx[f.pair]
		if !ok {
			j = len(out)
			idx[f.pair] = j
			v1 := f.v1Name
			if v1 == "" {
				v1 = kraken.V2ToV1(f.pair)
			}
			out = append(out, feed.PairInfo{Pair: f.pair, WSName: v1, AltName: strings.ReplaceAll(v1, "/", ""), Status: feed.PairOnline, LotDecimals: 8})
		}
		p := &out[j]
		if f.prices > 0 {
			if f.API == feed.APIV1 {
				p.CostDecimals = max(p.CostDecimals, f.prices)
				if p.PriceDecimals == 0 {
					p.PriceDecimals = f.prices
				}
			} else {
				p.PriceDecimals = max(p.PriceDecimals, f.prices)
			}
		}
		if f.qtys > 0 {
			p.LotDecimals = f.qtys
		}
	}
	for i := range out {
		p := &out[i]
		p.CostDecimals = max(p.CostDecimals, p.PriceDecimals)
	}
	return out
}

// WithRawRecording replays a recording's frames as recorded (see LoadRawRecording), paced by
// their receive times divided by the speed factor; loop restarts it at the end. Frames go to
// the subscribers of their stream on their own API: a v1 frame to v1 subscribers of its
// channelName and pair (subscribe with the recorded depth or interval; acks carry the
// recorded channelID), a v2 frame to v2 subscribers of its channel and symbol. The replay
// starts when the first subscription arrives, so a client that connects and subscribes gets
// the recording from its first frame; a book subscriber that joins later is first sent the
// recorded snapshot and the updates since, verbatim. Pairs the table lacks are added
// (RawRecording.Pairs). The REST endpoints answer from the recording's trades and books,
// read through kraken.Normalizer like every replay.
func WithRawRecording(r *RawRecording, loop bool) Option {
	return func(c *config) { c.raw, c.loop = r, loop }
}

// rawTailMax bounds the frames kept per book stream for late subscribers; past it a late
// subscriber waits for the next recorded snapshot.
const rawTailMax = 200_000

// rawStream identifies a recorded stream for late subscribers' catch-up.
type rawStream struct {
	api   feed.API
	pair  feed.Pair
	param int
}

// rawState is the raw replay's catch-up state. Guarded by Server.mu.
type rawState struct {
	tails map[rawStream][]*RawFrame // book streams: the last snapshot and the updates since
	norm  *kraken.Normalizer        // reads the frames for the REST endpoints' state
	evs   []feed.Event
}

// rawMatches reports whether a subscription key receives frame f.
func rawMatches(k streamKey, f *RawFrame) bool {
	if k.api != f.API || k.ch != f.ch || k.pair != f.pair {
		return false
	}
	switch {
	case f.API == feed.APIV1 && (f.ch == chBook || f.ch == chOHLC):
		return k.param == f.param
	case f.API == feed.APIV2 && f.ch == chOHLC:
		return f.param == 0 || k.param == f.param
	}
	return true // v2 book (any depth), ticker (any trigger), trade, spread
}

// presetRaw adds the recording's pairs and channel ids. s.mu held (or not yet shared).
func (s *Server) presetRaw(r *RawRecording) error {
	for _, info := range r.Pairs(s.cfg.pairs) {
		if err := s.addPair(info); err != nil {
			return fmt.Errorf("krakentest: recorded pair %s: %w", info.Pair, err)
		}
	}
	for i := range r.Frames {
		f := &r.Frames[i]
		if f.API != feed.APIV1 || f.chanName == "" {
			continue
		}
		ps := s.byV2[f.pair]
		if ps == nil {
			continue
		}
		if _, ok := ps.channelIDs[f.chanName]; !ok {
			s.setChannelID(ps, f.chanName, f.chanID)
		}
	}
	table := kraken.NewPairs()
	for _, ps := range s.pairs {
		if err := table.Add(ps.info); err != nil {
			return fmt.Errorf("krakentest: pair %s: %w", ps.info.Pair, err)
		}
	}
	s.rawSt = &rawState{
		tails: make(map[rawStream][]*RawFrame),
		norm:  kraken.NewNormalizer(kraken.NormalizerConfig{PairTable: table}),
	}
	return nil
}

// publishRaw sends one recorded frame to its subscribers and keeps book tails. s.mu held.
func (s *Server) publishRaw(f *RawFrame) {
	if f.ack {
		return
	}
	s.trackRaw(f)
	if f.ch == chBook {
		id := rawStream{f.API, f.pair, f.param}
		t := s.rawSt.tails[id]
		switch {
		case f.snapshot:
			t = append(t[:0], f)
		case len(t) > 0 && len(t) < rawTailMax:
			t = append(t, f)
		default:
			t = nil
		}
		s.rawSt.tails[id] = t
	}
	for k, list := range s.streams {
		if !rawMatches(k, f) {
			continue
		}
		for _, c := range list {
			if sb := c.subs[k]; sb != nil && sb.rawWait {
				if !f.snapshot {
					continue
				}
				sb.rawWait = false
			}
			s.enqueue(c, f.ch, f.Raw)
		}
	}
}

// trackRaw reads a recorded frame through the normaliser, as every replay does, into the
// server's own state of its pair (trade history, ticker and candle figures, the full book),
// so that REST Trades, Ticker, OHLC and Depth answer from the recording too. Nothing is sent.
// s.mu held.
func (s *Server) trackRaw(f *RawFrame) {
	evs, err := s.rawSt.norm.DecodeFrame(kraken.Frame{Recv: f.Recv, API: f.API, Raw: f.Raw}, s.rawSt.evs[:0])
	s.rawSt.evs = evs[:0]
	if err != nil {
		return // a frame the normaliser cannot read is still served as recorded
	}
	for i := range evs {
		e := &evs[i]
		t := e.Time
		if t.IsZero() {
			t = f.Recv
		}
		switch e.Kind {
		case feed.KindTrade:
			if ps := s.byV2[cmp.Or(e.Trade.Pair, e.Pair)]; ps != nil {
				ps.addTrade(e.Trade, t, s.cfg.history)
			}
		case feed.KindBook:
			if e.Book == nil {
				continue
			}
			if ps := s.byV2[cmp.Or(e.Book.Pair, e.Pair)]; ps != nil {
				// A recorded book was cut to its subscription's depth: keep that depth (the
				// message's own on v1, the smallest that holds a v2 snapshot), as applyBook does.
				switch u := e.Book; {
				case u.Depth > 0:
					ps.book.Depth = u.Depth
				case u.Snapshot:
					n := max(len(u.Bids), len(u.Asks))
					ps.book.Depth = bookDepths[len(bookDepths)-1]
					for _, d := range bookDepths {
						if d >= n {
							ps.book.Depth = d
							break
						}
					}
				}
				ps.applyBook(e.Book, t) //nolint:errcheck // a book the source got wrong only leaves REST Depth stale
			}
		}
	}
	clear(evs)
}

// sendRawCatchUp sends a new book subscriber its stream's recorded snapshot and the updates
// since, or marks it to wait for the next snapshot. s.mu held.
func (s *Server) sendRawCatchUp(c *conn, sb *sub) {
	if sb.key.ch != chBook {
		return
	}
	for id, t := range s.rawSt.tails {
		if len(t) == 0 || !rawMatches(sb.key, t[0]) || id.api != sb.key.api {
			continue
		}
		for _, f := range t {
			s.enqueue(c, chBook, f.Raw)
		}
		return
	}
	sb.rawWait = true
}

// runRawReplay publishes the frames at their recorded pace from the first subscription on.
func (s *Server) runRawReplay(ctx context.Context, rec *RawRecording) {
	// Wait for a subscriber: the recording starts when someone listens.
	for {
		s.mu.Lock()
		n := len(s.streams)
		ch := s.changed
		s.mu.Unlock()
		if n > 0 {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		first := rec.Frames[0].Recv
		start := time.Now()
		var paused time.Duration
		for i := range rec.Frames {
			f := &rec.Frames[i]
			due := start.Add(paused + time.Duration(float64(f.Recv.Sub(first))/s.cfg.speed))
			if wait := time.Until(due); wait > 0 {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
			} else if ctx.Err() != nil {
				return
			}
			s.mu.Lock()
			for s.status != feed.SystemOnline {
				ch := s.changed
				s.mu.Unlock()
				pauseStart := time.Now()
				select {
				case <-ctx.Done():
					return
				case <-ch:
				}
				paused += time.Since(pauseStart)
				s.mu.Lock()
			}
			s.publishRaw(f)
			s.mu.Unlock()
		}
		if !s.cfg.loop {
			s.mu.Lock()
			s.replayDone = true
			s.notifyChange()
			s.mu.Unlock()
			return
		}
		timer.Reset(time.Duration(float64(loopGap) / s.cfg.speed))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
	}
}

var errRawAndOther = errors.New("krakentest: a raw recording excludes a generated market and an event recording")
