package sim

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

var update = flag.Bool("update", false, "rewrite the golden files of the scenario tests")

// The scenario language. One command per line; '#' starts a comment (at the start of a line or
// after a blank). Setup commands come
// first (the exchange is built at the first other command):
//
//	pair BTC/USD [pd=1 lot=8 cost=5 tick=0.1 ordermin=0.0001 costmin=0.5 status=online]
//	config [model=default|optimistic|pessimistic] [latency=50ms] [jitter=0] [seed=1]
//	       [slippage=BPS] [fraction=0.5] [feevolume=USD] [maker=PCT taker=PCT] [depth=N] [strictlot]
//	       [rollingfee]
//	       [mpp=PCT] [nompp] [pslip=BPS]
//	balance ASSET AMOUNT
//
// Market events advance the clock by 1ms, or by +DUR when given, then go to OnEvent:
//
//	trade buy|sell PRICE QTY [id=N] [+DUR] [pair=P]         (side is the taker's)
//	book snapshot|update [bids P:Q ...] [asks P:Q ...] [+DUR] [pair=P]
//	ticker BID ASK [+DUR] [pair=P]
//	status online|maintenance|cancel_only|post_only [+DUR]
//	pairstatus STATUS [+DUR] [pair=P]                       (an instrument update)
//	gap book [+DUR] [pair=P]
//	advance DUR                                             (Advance, no market event)
//
// Requests are made at the current clock, as if by a strategy handling the last event:
//
//	submit NAME buy|sell TYPE QTY [@ PRICE] [price2=P] [postonly] [ioc] [gtd=+DUR]
//	       [pct] [nompp] [stp=cancel-newest|cancel-oldest|cancel-both] [quote=AMOUNT]
//	       [fcib] [fciq] [spec=+-#N[%]] [spec2=...] [start=+DUR] [closepct]
//	       [close=TYPE@PRICE[/PRICE2]] [userref=N] [pair=P]
//	cancel NAME | cancelall | amend NAME [qty=Q] [price=P] [trigger=P]
//	deadman DUR                                             (CancelAllOrdersAfter; 0 disarms)
//	show                                                    (balances, positions, orders)
//
// Every command's effects are printed under it; the final state is printed at the end, and
// Exchange.Check runs after every command.

var t0 = time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)

func dd(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// testPairs are the pair rules scenarios start from (Kraken's values as in PROTOCOL.md §6–7).
func testPairs() map[feed.Pair]*feed.PairInfo {
	taker := tiers("0:0.40", "10000:0.35", "50000:0.24", "100000:0.22", "250000:0.20", "500000:0.18", "1000000:0.16", "2500000:0.14", "5000000:0.12", "10000000:0.10")
	maker := tiers("0:0.25", "10000:0.20", "50000:0.14", "100000:0.12", "250000:0.10", "500000:0.08", "1000000:0.06", "2500000:0.04", "5000000:0.02", "10000000:0.00")
	mk := func(p feed.Pair, pd, lot, cost int32, tick, omin, cmin string) *feed.PairInfo {
		return &feed.PairInfo{Pair: p, Base: p.Base(), Quote: p.Quote(), PriceDecimals: pd, LotDecimals: lot, CostDecimals: cost,
			Tick: dd(tick), OrderMin: dd(omin), CostMin: dd(cmin), Status: feed.PairOnline, Taker: taker, Maker: maker, FeeVolumeCurrency: "USD"}
	}
	return map[feed.Pair]*feed.PairInfo{
		"BTC/USD": mk("BTC/USD", 1, 8, 5, "0.1", "0.0001", "0.5"),
		"ETH/USD": mk("ETH/USD", 2, 8, 5, "0.01", "0.002", "0.5"),
		"ETH/BTC": mk("ETH/BTC", 5, 8, 10, "0.00001", "0.002", "0.00002"),
	}
}

type scenario struct {
	t       *testing.T
	out     *bytes.Buffer
	pairs   map[feed.Pair]*feed.PairInfo
	first   feed.Pair
	cfg     Config
	led     *ledger.Ledger
	ex      *Exchange
	now     time.Time
	seq     uint64
	names   map[strategy.OrderID]string
	byName  map[string]strategy.OrderID
	balance [][2]string
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "scenarios", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenarios")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			got := runScenario(t, f)
			golden := strings.TrimSuffix(f, ".txt") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run go test ./engine/sim -run TestScenarios -update to accept):\n%s", golden, diff(string(want), string(got)))
			}
			// Determinism: a second run gives the same bytes.
			if again := runScenario(t, f); !bytes.Equal(got, again) {
				t.Errorf("second run differs:\n%s", diff(string(got), string(again)))
			}
		})
	}
}

// diff shows the first differing lines.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\nwant: %s\ngot:  %s", i+1, a, b)
		}
	}
	return "(same lines)"
}

func runScenario(t *testing.T, file string) []byte {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := &scenario{t: t, out: &bytes.Buffer{}, pairs: testPairs(), now: t0,
		names: map[strategy.OrderID]string{}, byName: map[string]strategy.OrderID{}}
	s.cfg.Seed = 1
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		text = stripComment(text)
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		fmt.Fprintf(s.out, "> %s\n", text)
		if err := s.do(strings.Fields(text)); err != nil {
			t.Fatalf("%s:%d: %v", file, line, err)
		}
		if s.ex != nil {
			if err := s.ex.Check(); err != nil {
				t.Errorf("%s:%d: invariant: %v", file, line, err)
				fmt.Fprintf(s.out, "  INVARIANT VIOLATED: %v\n", err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	s.build()
	fmt.Fprintln(s.out, "== final")
	s.show()
	return s.out.Bytes()
}

// stripComment drops a comment: '#' at the start of the line or after a space or tab (so a
// relative price such as spec=#1% is not one).
func stripComment(text string) string {
	for i := 0; i < len(text); i++ {
		if text[i] == '#' && (i == 0 || text[i-1] == ' ' || text[i-1] == '\t') {
			return text[:i]
		}
	}
	return text
}

func (s *scenario) build() {
	if s.ex != nil {
		return
	}
	if s.first == "" {
		s.first = "BTC/USD"
	}
	s.led = ledger.New("USD")
	for _, b := range s.balance {
		if err := s.led.Deposit(b[0], dd(b[1])); err != nil {
			s.t.Fatal(err)
		}
	}
	s.ex = New(s.cfg, func(p feed.Pair) (*feed.PairInfo, bool) {
		pi, ok := s.pairs[p]
		return pi, ok
	}, s.led)
}

// opts splits "key=value" and bare flags out of args.
func opts(args []string) (pos []string, kv map[string]string) {
	kv = map[string]string{}
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok {
			kv[k] = v
		} else if strings.HasPrefix(a, "+") {
			kv["+"] = a[1:]
		} else {
			pos = append(pos, a)
		}
	}
	return pos, kv
}

func (s *scenario) pairOf(kv map[string]string) feed.Pair {
	if p, ok := kv["pair"]; ok {
		return feed.Pair(p)
	}
	return s.first
}

// tick advances the clock for a market event and returns the event skeleton.
func (s *scenario) event(kind feed.Kind, kv map[string]string) (*feed.Event, error) {
	step := time.Millisecond
	if v, ok := kv["+"]; ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, err
		}
		step = d
	}
	s.now = s.now.Add(step)
	s.seq++
	return &feed.Event{Seq: s.seq, Kind: kind, Pair: s.pairOf(kv), Time: s.now}, nil
}

func (s *scenario) do(f []string) error {
	cmd, args := f[0], f[1:]
	pos, kv := opts(args)
	switch cmd {
	case "pair":
		if s.ex != nil {
			return fmt.Errorf("pair after the exchange was built")
		}
		p := feed.Pair(pos[0])
		if s.first == "" {
			s.first = p
		}
		pi, ok := s.pairs[p]
		if !ok {
			pi = &feed.PairInfo{Pair: p, Base: p.Base(), Quote: p.Quote(), PriceDecimals: 2, LotDecimals: 8, CostDecimals: 5, Tick: dd("0.01"), Status: feed.PairOnline}
			s.pairs[p] = pi
		}
		for k, v := range kv { // each key sets an independent field
			switch k {
			case "pd":
				n, _ := strconv.Atoi(v)
				pi.PriceDecimals = int32(n)
			case "lot":
				n, _ := strconv.Atoi(v)
				pi.LotDecimals = int32(n)
			case "cost":
				n, _ := strconv.Atoi(v)
				pi.CostDecimals = int32(n)
			case "tick":
				pi.Tick = dd(v)
			case "lotstep":
				pi.LotStep = dd(v)
			case "ordermin":
				pi.OrderMin = dd(v)
			case "costmin":
				pi.CostMin = dd(v)
			case "status":
				pi.Status = feed.PairStatus(v)
			case "nofees":
				pi.Taker, pi.Maker = nil, nil
			case "levbuy", "levsell":
				var levels []int
				for _, x := range strings.Split(v, ",") {
					n, err := strconv.Atoi(x)
					if err != nil {
						return err
					}
					levels = append(levels, n)
				}
				if k == "levbuy" {
					pi.LeverageBuy = levels
				} else {
					pi.LeverageSell = levels
				}
			case "margincall":
				pi.MarginCall = dd(v)
			case "marginstop":
				pi.MarginStop = dd(v)
			case "longlimit":
				pi.LongPositionLimit = dd(v)
			case "shortlimit":
				pi.ShortPositionLimit = dd(v)
			default:
				return fmt.Errorf("pair: unknown key %q", k)
			}
		}
		return nil
	case "config":
		if s.ex != nil {
			return fmt.Errorf("config after the exchange was built")
		}
		for _, p := range pos {
			switch p {
			case "strictlot":
				s.cfg.StrictLot = true
			case "nompp":
				s.cfg.NoMarketProtection = true
			case "rollingfee":
				s.cfg.RollingFeeVolume = true
			default:
				return fmt.Errorf("config: unknown flag %q", p)
			}
		}
		for k, v := range kv { // independent fields
			var err error
			switch k {
			case "model":
				s.cfg.Model, err = ParseFillModel(v)
			case "latency":
				s.cfg.Latency, err = time.ParseDuration(v)
			case "jitter":
				s.cfg.Jitter, err = time.ParseDuration(v)
			case "seed":
				s.cfg.Seed, err = strconv.ParseUint(v, 10, 64)
			case "slippage":
				s.cfg.SlippageBps = dd(v)
			case "fraction":
				s.cfg.PessimisticFraction = dd(v)
			case "feevolume":
				s.cfg.FeeVolume = dd(v)
			case "maker":
				s.cfg.FeeOverride, s.cfg.MakerFee = true, dd(v)
			case "taker":
				s.cfg.FeeOverride, s.cfg.TakerFee = true, dd(v)
			case "depth":
				s.cfg.BookDepth, err = strconv.Atoi(v)
			case "mpp":
				s.cfg.MarketProtectionPct = dd(v)
			case "pslip":
				s.cfg.PessimisticSlippageBps = dd(v)
			case "marginrate":
				asset, pct, _ := strings.Cut(v, ":")
				if s.cfg.MarginRates == nil {
					s.cfg.MarginRates = map[string]decimal.Decimal{}
				}
				s.cfg.MarginRates[asset] = dd(pct)
			case "rolloverrate":
				asset, pct, _ := strings.Cut(v, ":")
				if s.cfg.RolloverRates == nil {
					s.cfg.RolloverRates = map[string]decimal.Decimal{}
				}
				s.cfg.RolloverRates[asset] = dd(pct)
			default:
				return fmt.Errorf("config: unknown key %q", k)
			}
			if err != nil {
				return err
			}
		}
		return nil
	case "balance":
		if s.ex != nil {
			return s.led.Deposit(pos[0], dd(pos[1]))
		}
		s.balance = append(s.balance, [2]string{pos[0], pos[1]})
		return nil
	}
	s.build()
	switch cmd {
	case "trade":
		ev, err := s.event(feed.KindTrade, kv)
		if err != nil {
			return err
		}
		side, err := feed.ParseSide(pos[0])
		if err != nil {
			return err
		}
		ev.Trade = feed.Trade{Pair: ev.Pair, Side: side, Price: dd(pos[1]), Qty: dd(pos[2]), Time: ev.Time}
		if v, ok := kv["id"]; ok {
			ev.Trade.ID, _ = strconv.ParseUint(v, 10, 64)
		}
		s.feed(ev)
	case "book":
		ev, err := s.event(feed.KindBook, kv)
		if err != nil {
			return err
		}
		u := &feed.BookUpdate{Pair: ev.Pair, Snapshot: pos[0] == "snapshot", Time: ev.Time}
		var side *[]feed.BookLevel
		for _, a := range pos[1:] {
			switch a {
			case "bids":
				side = &u.Bids
				continue
			case "asks":
				side = &u.Asks
				continue
			}
			ps, qs, ok := strings.Cut(a, ":")
			if !ok || side == nil {
				return fmt.Errorf("book: bad level %q", a)
			}
			p, err := feed.ParseFixed([]byte(ps))
			if err != nil {
				return err
			}
			q, err := feed.ParseFixed([]byte(qs))
			if err != nil {
				return err
			}
			*side = append(*side, feed.BookLevel{Price: p, Qty: q})
		}
		ev.Book = u
		s.feed(ev)
	case "ticker":
		ev, err := s.event(feed.KindTicker, kv)
		if err != nil {
			return err
		}
		ev.Ticker = &feed.Ticker{Pair: ev.Pair, Bid: dd(pos[0]), Ask: dd(pos[1])}
		s.feed(ev)
	case "status":
		ev, err := s.event(feed.KindStatus, kv)
		if err != nil {
			return err
		}
		ev.Pair = ""
		ev.Status = &feed.Status{System: feed.SystemState(pos[0])}
		s.feed(ev)
	case "pairstatus":
		ev, err := s.event(feed.KindInstrument, kv)
		if err != nil {
			return err
		}
		ev.Instrument = &feed.Instrument{Pairs: []feed.PairInfo{{Pair: ev.Pair, Status: feed.PairStatus(pos[0])}}}
		ev.Pair = ""
		s.feed(ev)
	case "gap":
		ev, err := s.event(feed.KindGap, kv)
		if err != nil {
			return err
		}
		ev.Gap = &feed.Gap{Channel: pos[0]}
		s.feed(ev)
	case "advance":
		d, err := time.ParseDuration(pos[0])
		if err != nil {
			return err
		}
		s.now = s.now.Add(d)
		s.print(s.ex.Advance(s.now))
	case "submit":
		return s.submit(pos, kv)
	case "cancel":
		if err := s.ex.Cancel(s.now, s.id(pos[0])); err != nil {
			fmt.Fprintf(s.out, "  rejected: %v\n", err)
		}
	case "cancelall":
		n, err := s.ex.CancelAll(s.now)
		if err != nil {
			fmt.Fprintf(s.out, "  rejected: %v\n", err)
		} else {
			fmt.Fprintf(s.out, "  cancelling %d\n", n)
		}
	case "amend":
		var a Amendment
		for k, v := range kv {
			switch k {
			case "qty":
				a.Qty = dd(v)
			case "price":
				a.LimitPrice = dd(v)
			case "trigger":
				a.TriggerPrice = dd(v)
			default:
				return fmt.Errorf("amend: unknown key %q", k)
			}
		}
		if err := s.ex.Amend(s.now, s.id(pos[0]), a); err != nil {
			fmt.Fprintf(s.out, "  rejected: %v\n", err)
		}
	case "deadman":
		d, err := time.ParseDuration(pos[0])
		if err != nil {
			return err
		}
		at, err := s.ex.CancelAllOrdersAfter(s.now, d)
		switch {
		case err != nil:
			fmt.Fprintf(s.out, "  rejected: %v\n", err)
		case at.IsZero():
			fmt.Fprintln(s.out, "  disarmed")
		default:
			fmt.Fprintf(s.out, "  cancels all at t=%s\n", at.Sub(t0))
		}
	case "show":
		s.show()
	default:
		return fmt.Errorf("unknown command %q", cmd)
	}
	return nil
}

func (s *scenario) id(name string) strategy.OrderID {
	if id, ok := s.byName[name]; ok {
		return id
	}
	return strategy.OrderID(name)
}

func (s *scenario) submit(pos []string, kv map[string]string) error {
	if len(pos) < 4 {
		return fmt.Errorf("submit: want NAME SIDE TYPE QTY")
	}
	name := pos[0]
	side, err := feed.ParseSide(pos[1])
	if err != nil {
		return err
	}
	typ, err := strategy.ParseOrderType(pos[2])
	if err != nil {
		return err
	}
	o := strategy.Order{Pair: s.pairOf(kv), Side: side, Type: typ, Qty: dd(pos[3])}
	closePct := false
	rest := pos[4:]
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case "@":
			i++
			o.Price = dd(rest[i])
		case "postonly":
			o.PostOnly = true
		case "ioc":
			o.TimeInForce = strategy.IOC
		case "pct":
			o.Offset = strategy.OffsetPercent
		case "nompp":
			o.NoMPP = true
		case "fcib":
			o.FeeInBase = true
		case "fciq":
			o.FeeInQuote = true
		case "closepct":
			closePct = true
		case "reduceonly":
			o.ReduceOnly = true
		default:
			return fmt.Errorf("submit: unknown word %q", rest[i])
		}
	}
	for k, v := range kv {
		switch k {
		case "price2":
			o.Price2 = dd(v)
		case "gtd":
			d, err := time.ParseDuration(strings.TrimPrefix(v, "+"))
			if err != nil {
				return err
			}
			o.TimeInForce, o.ExpireTime = strategy.GTD, s.now.Add(d)
		case "userref":
			n, _ := strconv.Atoi(v)
			o.UserRef = int32(n)
		case "close":
			ts, ps, _ := strings.Cut(v, "@")
			ct, err := strategy.ParseOrderType(ts)
			if err != nil {
				return err
			}
			c := &strategy.CloseOrder{Type: ct}
			p1, p2, two := strings.Cut(ps, "/")
			c.Price = dd(p1)
			if two {
				c.Price2 = dd(p2)
			}
			o.Close = c
		case "stp":
			switch v {
			case "cancel-newest":
				o.STP = strategy.STPCancelNewest
			case "cancel-oldest":
				o.STP = strategy.STPCancelOldest
			case "cancel-both":
				o.STP = strategy.STPCancelBoth
			default:
				return fmt.Errorf("submit: unknown stp %q", v)
			}
		case "quote":
			o.QuoteQty = dd(v)
		case "lev":
			o.Leverage, _ = strconv.Atoi(v)
		case "spec":
			o.PriceSpec = v
		case "spec2":
			o.Price2Spec = v
		case "start":
			d, err := time.ParseDuration(strings.TrimPrefix(v, "+"))
			if err != nil {
				return err
			}
			o.StartTime = s.now.Add(d)
		case "pair":
		default:
			return fmt.Errorf("submit: unknown key %q", k)
		}
	}
	if closePct && o.Close != nil {
		o.Close.Offset = strategy.OffsetPercent
	}
	id, err := s.ex.Submit(s.now, s.seq, o)
	if err != nil {
		fmt.Fprintf(s.out, "  rejected: %v\n", err)
		return nil
	}
	s.names[id] = name
	s.byName[name] = id
	fmt.Fprintf(s.out, "  accepted %s = %s\n", name, id)
	return nil
}

func (s *scenario) feed(ev *feed.Event) {
	s.print(s.ex.OnEvent(ev))
}

func (s *scenario) name(id strategy.OrderID) string {
	if n, ok := s.names[id]; ok {
		return n
	}
	return string(id)
}

func (s *scenario) print(reports []Report) {
	for i := range reports {
		switch reports[i].Kind {
		case ReportFill:
			s.printFill(&reports[i].Fill)
		case ReportMargin:
			s.printMargin(&reports[i].Margin)
		default:
			s.printUpdate(&reports[i].Update)
		}
	}
}

func (s *scenario) printMargin(m *MarginEvent) {
	fmt.Fprintf(s.out, "  margin %s", m.Kind)
	if m.Order != "" {
		fmt.Fprintf(s.out, " %s", s.name(m.Order))
	}
	if m.Pair != "" {
		fmt.Fprintf(s.out, " %s %s %s", m.Pair, m.Side, m.Qty)
	}
	switch m.Kind {
	case MarginFill:
		fmt.Fprintf(s.out, " @ %s lev=%d fee=%s opening=%s pnl=%s", m.Price, m.Leverage, m.Fee, m.OpenFee, m.PnL)
	case MarginRollover:
		fmt.Fprintf(s.out, " fee %s", m.Fee)
	case MarginSettle:
		fmt.Fprintf(s.out, " for %s", m.Cost)
	default:
		fmt.Fprintf(s.out, " level=%s%% equity=%s used=%s", m.Level.StringFixed(2), m.Equity.StringFixed(5), m.UsedMargin.StringFixed(5))
	}
	fmt.Fprintf(s.out, " t=%s\n", m.Time.Sub(t0))
}

func (s *scenario) printFill(f *strategy.Fill) {
	fmt.Fprintf(s.out, "  fill %s %s %s @ %s fee %s %s %s model=%s", s.name(f.OrderID), f.Side, f.Qty, f.Price, f.Fee, f.FeeAsset, f.Liquidity, f.Provenance.Model)
	if len(f.Provenance.TradeIDs) > 0 {
		fmt.Fprintf(s.out, " trades=%v", f.Provenance.TradeIDs)
	}
	for _, l := range f.Provenance.Levels {
		fmt.Fprintf(s.out, " level=%s:%s", l.Price, l.Qty)
	}
	if !f.Provenance.QueueAhead.IsZero() {
		fmt.Fprintf(s.out, " queue=%s", f.Provenance.QueueAhead)
	}
	if f.Provenance.Note != "" {
		fmt.Fprintf(s.out, " note=%q", f.Provenance.Note)
	}
	fmt.Fprintf(s.out, " t=%s\n", f.Time.Sub(t0))
}

func (s *scenario) printUpdate(u *strategy.OrderUpdate) {
	if u.Reason == ReasonClose {
		// A conditional close has no name of its own: give it one.
		s.names[u.Order.ID] = "close" + strconv.Itoa(len(s.names))
	}
	fmt.Fprintf(s.out, "  order %s %s %s %s %s", s.name(u.Order.ID), u.Status, u.Order.Side, u.Order.Type, u.Order.Qty)
	if !u.Order.Price.IsZero() {
		fmt.Fprintf(s.out, " @ %s", u.Order.Price)
	}
	if !u.Order.Price2.IsZero() {
		fmt.Fprintf(s.out, " price2=%s", u.Order.Price2)
	}
	if !u.Filled.IsZero() {
		fmt.Fprintf(s.out, " filled=%s avg=%s fee=%s", u.Filled, u.AvgPrice, u.Fee)
	}
	if u.Reason != "" {
		fmt.Fprintf(s.out, " (%s)", u.Reason)
	}
	fmt.Fprintf(s.out, " t=%s\n", u.Time.Sub(t0))
}

func (s *scenario) show() {
	for _, b := range s.ex.Ledger().Balances() {
		fmt.Fprintf(s.out, "  balance %s total=%s reserved=%s\n", b.Asset, b.Total, b.Reserved)
	}
	for _, p := range s.ex.Ledger().Positions() {
		fmt.Fprintf(s.out, "  position %s qty=%s avg=%s realised=%s unrealised=%s\n", p.Pair, p.Qty, p.AvgEntry, p.RealizedPnL, p.UnrealizedPnL)
		if m := p.Margin; m.Open() {
			fmt.Fprintf(s.out, "  margin position %s %s qty=%s cost=%s avg=%s lev=%d used=%s unrealised=%s fees=%s opening=%s rollover=%s next=%s\n",
				p.Pair, m.Side, m.Qty, m.Cost, m.AvgPrice.StringFixed(5), m.Leverage, m.UsedMargin.StringFixed(5), m.UnrealizedPnL, m.TradeFees, m.OpenFees, m.Rollover, m.NextRollover.Sub(t0))
		}
	}
	if a, err := s.ex.MarginAccount(); err == nil && a.Positions > 0 {
		fmt.Fprintf(s.out, "  margin account equity=%s used=%s free=%s level=%s%%\n", a.Equity.StringFixed(5), a.UsedMargin.StringFixed(5), a.FreeMargin.StringFixed(5), a.Level.StringFixed(2))
	}
	for _, o := range s.ex.OpenOrders("") {
		u, _ := s.ex.Order(o.ID)
		fmt.Fprintf(s.out, "  open %s %s %s %s %s", s.name(o.ID), u.Status, o.Side, o.Type, o.Qty)
		if !o.Price.IsZero() {
			fmt.Fprintf(s.out, " @ %s", o.Price)
		}
		if !u.Filled.IsZero() {
			fmt.Fprintf(s.out, " filled=%s", u.Filled)
		}
		fmt.Fprintln(s.out)
	}
	if eq, err := s.ex.Ledger().Equity(); err == nil {
		fmt.Fprintf(s.out, "  equity USD %s\n", eq.StringFixed(5))
	} else {
		fmt.Fprintf(s.out, "  equity: %v\n", err)
	}
}
