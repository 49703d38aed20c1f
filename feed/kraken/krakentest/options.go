package krakentest

import (
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

// Option configures a Server.
type Option func(*config)

type config struct {
	log         *zap.Logger
	pairs       []feed.PairInfo
	market      Market
	rate        float64
	replay      *Recording
	raw         *RawRecording
	speed       float64
	loop        bool
	seed        uint64
	seedSet     bool
	heartbeat   time.Duration
	readLimit   int64
	queueLimit  int
	history     int
	tradeIDBase uint64
	v1Version   string
	v2Version   string
	faults      FaultConfig
}

func defaultConfig() config {
	return config{
		log:         zap.NewNop(),
		speed:       1,
		seed:        1,
		heartbeat:   time.Second,
		readLimit:   64 << 10,
		queueLimit:  1 << 16,
		history:     200_000,
		tradeIDBase: 0,
		v1Version:   "1.9.6",
		v2Version:   "2.0.10",
	}
}

func (c *config) validate() error {
	if len(c.pairs) == 0 {
		c.pairs = kraken.DefaultPairs().All()
	}
	if c.rate < 0 || c.speed <= 0 {
		return errors.New("krakentest: rate must be >= 0 and speed > 0")
	}
	if c.heartbeat <= 0 || c.queueLimit <= 0 || c.readLimit <= 0 {
		return errors.New("krakentest: heartbeat, queue and read limits must be positive")
	}
	if c.market != nil && c.replay != nil {
		return errors.New("krakentest: a generated market and a recording are exclusive")
	}
	if c.raw != nil && (c.market != nil || c.replay != nil) {
		return errRawAndOther
	}
	if c.raw != nil && len(c.raw.Frames) == 0 {
		return errors.New("krakentest: the raw recording has no frames")
	}
	return nil
}

// WithLogger sets the logger (default: none).
func WithLogger(l *zap.Logger) Option { return func(c *config) { c.log = l } }

// WithPairs sets the pair table (default: kraken.DefaultPairs): what can be subscribed (v1 by WSName, v2 by Pair), what
// AssetPairs and the instrument channel list, and each pair's precision on the wire.
func WithPairs(pairs []feed.PairInfo) Option {
	return func(c *config) { c.pairs = append([]feed.PairInfo(nil), pairs...) }
}

// WithMarket streams a generated market at eventsPerSecond (trades and book updates counted
// alike). With a rate of 0 nothing is generated until Step is called, which is what tests
// that need exact control want. Generated events are stamped with the server's clock.
func WithMarket(m Market, eventsPerSecond float64) Option {
	return func(c *config) { c.market, c.rate = m, eventsPerSecond }
}

// WithRecording replays a recording (see LoadRecording) at its recorded pace divided by
// the speed factor (WithSpeed), keeping its timestamps. loop restarts it at the end.
func WithRecording(r *Recording, loop bool) Option {
	return func(c *config) { c.replay, c.loop = r, loop }
}

// WithSpeed sets the replay speed factor (2 = twice as fast); for a generated market it
// multiplies the rate.
func WithSpeed(f float64) Option { return func(c *config) { c.speed = f } }

// WithSeed seeds the connection ids, for tests that want the same ids every run. Without it
// they are random, as Kraken's are, so a client that keys anything on them sees new ones
// on every connection and every run.
func WithSeed(seed uint64) Option { return func(c *config) { c.seed, c.seedSet = seed, true } }

// WithHeartbeat sets the heartbeat interval of subscribed connections (default 1s, as
// Kraken): v1 sends one every interval whatever the traffic, v2 after each idle interval.
func WithHeartbeat(d time.Duration) Option { return func(c *config) { c.heartbeat = d } }

// WithReadLimit bounds the size of a client request (default 64 KiB).
func WithReadLimit(n int64) Option { return func(c *config) { c.readLimit = n } }

// WithQueueLimit bounds the frames queued for one connection; a client that falls further
// behind is dropped (default 65536).
func WithQueueLimit(n int) Option { return func(c *config) { c.queueLimit = n } }

// WithHistory bounds the trades kept per pair for snapshots and REST Trades (default 200000).
func WithHistory(n int) Option { return func(c *config) { c.history = n } }

// WithTradeIDBase sets the id before the first generated trade of each pair (default 0).
func WithTradeIDBase(id uint64) Option { return func(c *config) { c.tradeIDBase = id } }

// WithFaults sets the periodic faults to run from the start (see FaultConfig).
func WithFaults(f FaultConfig) Option { return func(c *config) { c.faults = f } }
