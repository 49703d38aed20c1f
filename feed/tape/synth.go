package tape

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/synth"
)

// SynthConfig describes a generated market written as a recording: what Kraken would have
// sent for a feed/synth market, frame for frame.
type SynthConfig struct {
	Dir    string       // the recording's directory (WriteSynth)
	Name   string       // the recording's name (default "synth")
	Trades int          // stop after exactly this many trades, over all pairs
	Market synth.Config // seed, start time and pairs of the generated market
	API    feed.API     // frame format: APIV2 (the default) or APIV1
	Depth  int          // book depth subscribed and generated (default 10)
	// Channels recorded: "trade", "book" or both (default both).
	Channels []string
	Pairs    *kraken.Pairs     // pair table for the encoder (default kraken.DefaultPairs())
	Level    zstd.EncoderLevel // compression (default DefaultLevel)
	Log      *zap.Logger       // default zap.NewNop()
}

// SynthStats is what WriteSynth or SynthFrames produced.
type SynthStats struct {
	Trades, Books, Frames int64
	Writer                WriterStats // WriteSynth only
	First, Last           time.Time   // market time of the first and last frames
}

func (c *SynthConfig) defaults() error {
	if c.Name == "" {
		c.Name = "synth"
	}
	if c.API == feed.APINone {
		c.API = feed.APIV2
	}
	if c.Depth == 0 {
		c.Depth = 10
	}
	if len(c.Channels) == 0 {
		c.Channels = []string{"trade", "book"}
	}
	for _, ch := range c.Channels {
		if ch != "trade" && ch != "book" {
			return fmt.Errorf("tape: synth channel %q: want trade or book", ch)
		}
	}
	if c.Pairs == nil {
		c.Pairs = kraken.DefaultPairs()
	}
	if c.Level == 0 {
		c.Level = DefaultLevel
	}
	if c.Log == nil {
		c.Log = zap.NewNop()
	}
	if c.Trades < 1 {
		return fmt.Errorf("tape: synth trades %d: want at least 1", c.Trades)
	}
	return nil
}

// SynthFrames generates the market and hands each frame to yield, in order, as a live feed
// would deliver it; Raw is valid only during the call. It stops at yield's first error.
func SynthFrames(ctx context.Context, cfg SynthConfig, yield func(Frame) error) (SynthStats, error) {
	var st SynthStats
	if err := cfg.defaults(); err != nil {
		return st, err
	}
	m, err := synth.New(cfg.Market)
	if err != nil {
		return st, err
	}
	se, err := newSynthEncoder(&cfg, &st)
	if err != nil {
		return st, err
	}
	events := make(chan []feed.Event, 8)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(events) // the only sender
		return m.Source(cfg.Trades, 0).Run(gctx, events)
	})
	g.Go(func() error {
		var fb frameBatch
		for evs := range events {
			if err := se.encode(fb.reset(), evs); err != nil {
				return err
			}
			for i := range fb.recv {
				if err := yield(Frame{Recv: fb.recv[i], API: cfg.API, Raw: fb.frame(i)}); err != nil {
					return err
				}
			}
		}
		return gctx.Err()
	})
	return st, g.Wait()
}

// WriteSynth generates the market and writes its frames into a new recording in cfg.Dir, as
// fast as it can: synth's Source generates, an encoder turns each batch of events into
// frames, and the Writer compresses them, each on its own goroutine. Receive times are the
// events' times and nothing depends on the scheduling or the wall clock, so the same config
// gives a byte-identical recording. The manifest says it is synthetic (meta source=synth,
// seed, trades, depth, api).
func WriteSynth(ctx context.Context, cfg SynthConfig) (SynthStats, error) {
	var st SynthStats
	if err := cfg.defaults(); err != nil {
		return st, err
	}
	m, err := synth.New(cfg.Market)
	if err != nil {
		return st, err
	}
	se, err := newSynthEncoder(&cfg, &st)
	if err != nil {
		return st, err
	}
	w, err := newSynthWriter(&cfg)
	if err != nil {
		return st, err
	}
	err = synthPipeline(ctx, m.Source(cfg.Trades, 0), se, w, cfg.API)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	st.Writer = w.Stats()
	return st, err
}

func newSynthWriter(cfg *SynthConfig) (*Writer, error) {
	var pairs []feed.Pair
	for _, pc := range cfg.Market.Pairs {
		pairs = append(pairs, pc.Info.Pair)
	}
	return NewWriter(cfg.Dir,
		WithName(cfg.Name),
		WithFlushInterval(0), // no wall-clock flushes: the same input gives the same bytes
		WithLevel(cfg.Level),
		WithLogger(cfg.Log),
		WithPairs(pairs...),
		WithChannels(cfg.Channels...),
		WithMeta("source", "synth"),
		WithMeta("seed", strconv.FormatUint(cfg.Market.Seed, 10)),
		WithMeta("trades", strconv.Itoa(cfg.Trades)),
		WithMeta("depth", strconv.Itoa(cfg.Depth)),
		WithMeta("api", cfg.API.String()),
	)
}

// synthPipeline runs source → encoder → writer with a fixed number of frame batches in
// flight, recycled from the writer back to the encoder.
func synthPipeline(ctx context.Context, src feed.Source, se *synthEncoder, w *Writer, api feed.API) error {
	const inFlight = 8
	g, gctx := errgroup.WithContext(ctx)
	events := make(chan []feed.Event, inFlight)
	frames := make(chan *frameBatch, inFlight)
	free := make(chan *frameBatch, inFlight+2)
	for range inFlight + 2 {
		free <- &frameBatch{}
	}
	g.Go(func() error {
		defer close(events) // the only sender
		return src.Run(gctx, events)
	})
	g.Go(func() error {
		defer close(frames) // the only sender
		for evs := range events {
			var fb *frameBatch
			select {
			case fb = <-free:
			case <-gctx.Done():
				return gctx.Err()
			}
			if err := se.encode(fb.reset(), evs); err != nil {
				return err
			}
			select {
			case frames <- fb:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return gctx.Err()
	})
	g.Go(func() error {
		for fb := range frames {
			for i := range fb.recv {
				if err := w.Write(Frame{Recv: fb.recv[i], API: api, Raw: fb.frame(i)}); err != nil {
					return err
				}
			}
			free <- fb // never blocks: there are only as many batches as free can hold
		}
		return gctx.Err()
	})
	return g.Wait()
}

// frameBatch is a run of encoded frames in one buffer, passed from the encoder to the writer
// and recycled.
type frameBatch struct {
	buf  []byte
	ends []int // frame i is buf[ends[i-1]:ends[i]]
	recv []time.Time
}

func (b *frameBatch) reset() *frameBatch {
	b.buf, b.ends, b.recv = b.buf[:0], b.ends[:0], b.recv[:0]
	return b
}

func (b *frameBatch) frame(i int) []byte {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.buf[start:b.ends[i]]
}

func (b *frameBatch) add(recv time.Time) {
	b.ends = append(b.ends, len(b.buf))
	b.recv = append(b.recv, recv)
}

// synthEncoder turns a generated market's events into frames. The events of one step (one
// pair, one time) become one trade frame holding the step's trades — a taker order's fills,
// as Kraken's trade channel sends them — followed by a frame per book message.
type synthEncoder struct {
	enc         *kraken.Encoder
	cfg         *SynthConfig
	st          *SynthStats
	trade, book bool
	pend        []feed.Trade
	books       []*feed.BookUpdate
	started     bool
}

func newSynthEncoder(cfg *SynthConfig, st *SynthStats) (*synthEncoder, error) {
	enc, err := kraken.NewEncoder(cfg.API, kraken.EncodeDepth(cfg.Depth), kraken.EncodePairs(cfg.Pairs))
	if err != nil {
		return nil, err
	}
	return &synthEncoder{enc: enc, cfg: cfg, st: st,
		trade: slices.Contains(cfg.Channels, "trade"), book: slices.Contains(cfg.Channels, "book")}, nil
}

func (s *synthEncoder) encode(fb *frameBatch, evs []feed.Event) error {
	for i := 0; i < len(evs); {
		j := i + 1
		for j < len(evs) && evs[j].Pair == evs[i].Pair && evs[j].Time.Equal(evs[i].Time) {
			j++
		}
		if err := s.step(fb, evs[i:j]); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// acks opens the recording with the subscription acknowledgements a live recording starts
// with: they say the book depth, which v2 book frames do not carry.
func (s *synthEncoder) acks(fb *frameBatch, t time.Time) error {
	for _, ch := range s.cfg.Channels {
		for _, pc := range s.cfg.Market.Pairs {
			var err error
			if fb.buf, err = s.enc.AppendSubscribed(fb.buf, ch, pc.Info.Pair, t); err != nil {
				return err
			}
			fb.add(t)
			s.st.Frames++
		}
	}
	return nil
}

func (s *synthEncoder) step(fb *frameBatch, evs []feed.Event) error {
	t := evs[0].Time
	if !s.started {
		s.started = true
		s.st.First = t
		if err := s.acks(fb, t); err != nil {
			return err
		}
	}
	s.st.Last = t
	s.pend, s.books = s.pend[:0], s.books[:0]
	for i := range evs {
		switch e := &evs[i]; e.Kind {
		case feed.KindTrade:
			s.pend = append(s.pend, e.Trade)
		case feed.KindBook:
			s.books = append(s.books, e.Book)
		}
	}
	s.st.Trades += int64(len(s.pend))
	var err error
	if s.trade {
		for k := 0; k < len(s.pend); k += MaxTradesPerFrame {
			if fb.buf, err = s.enc.AppendTrades(fb.buf, false, s.pend[k:min(k+MaxTradesPerFrame, len(s.pend))]); err != nil {
				return err
			}
			fb.add(t)
			s.st.Frames++
		}
	}
	clear(s.pend)
	if s.book {
		for _, u := range s.books {
			if fb.buf, err = s.enc.AppendBook(fb.buf, u); err != nil {
				return err
			}
			fb.add(t)
			s.st.Frames++
			s.st.Books++
		}
	}
	clear(s.books)
	return nil
}
