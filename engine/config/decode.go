package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"go.yaml.in/yaml/v3"

	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// decoder walks the YAML node tree by hand rather than unmarshalling into structs: every
// value keeps its line, so every message can say where, and money is parsed from the text.
type decoder struct {
	file  string
	reg   *strategy.Registry
	pairs PairTable
	errs  Errors
}

type field struct {
	key string
	fn  func(path string, v *yaml.Node)
}

func (d *decoder) errAt(n *yaml.Node, path, format string, args ...any) {
	e := &Error{File: d.file, Key: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

const maxEntries = 10000

// entries returns a mapping's key/value nodes in order, with YAML merge keys ("<<: *base")
// expanded in place, and reports duplicate keys.
func (d *decoder) entries(n *yaml.Node, path string) (keys, vals []*yaml.Node) {
	seen := make(map[string]bool)
	var walk func(m *yaml.Node, depth int)
	budget := maxEntries
	walk = func(m *yaml.Node, depth int) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			// Merge keys over aliases can expand exponentially; a config is small.
			if budget--; budget < 0 {
				d.errAt(m, path, "more than %d keys (through merge keys)", maxEntries)
				return
			}
			k, v := resolve(m.Content[i]), resolve(m.Content[i+1])
			if k.Tag == "!!merge" && depth < 10 {
				switch {
				case v.Kind == yaml.MappingNode:
					walk(v, depth+1)
				case v.Kind == yaml.SequenceNode:
					for _, e := range v.Content {
						if e = resolve(e); e.Kind == yaml.MappingNode {
							walk(e, depth+1)
						}
					}
				default:
					d.errAt(k, path, "a merge key (<<) needs a mapping")
				}
				continue
			}
			if k.Kind != yaml.ScalarNode {
				d.errAt(k, path, "keys must be plain names")
				continue
			}
			if seen[k.Value] {
				d.errAt(k, join(path, k.Value), "key given twice")
				continue
			}
			seen[k.Value] = true
			keys = append(keys, k)
			vals = append(vals, v)
		}
	}
	walk(n, 0)
	return keys, vals
}

// mapping decodes mapping n through fields; a key no field knows is an error listing the
// known ones. A null n (an empty section) is accepted as empty.
func (d *decoder) mapping(n *yaml.Node, path string, fields []field) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errAt(n, path, "want a mapping of keys to values, got %s", describe(n))
		return
	}
	keys, vals := d.entries(n, path)
	for i, k := range keys {
		j := slices.IndexFunc(fields, func(f field) bool { return f.key == k.Value })
		if j < 0 {
			names := make([]string, len(fields))
			for i, f := range fields {
				names[i] = f.key
			}
			slices.Sort(names)
			d.errAt(k, join(path, k.Value), "unknown key (known here: %s)", strings.Join(names, ", "))
			continue
		}
		fields[j].fn(join(path, k.Value), vals[i])
	}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "something else"
}

// scalar returns n's text; it reports an error for a missing value, a list or a mapping.
func (d *decoder) scalar(n *yaml.Node, path string) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errAt(n, path, "want a value, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) str(dst *string) func(string, *yaml.Node) {
	return func(path string, n *yaml.Node) {
		if s, ok := d.scalar(n, path); ok {
			*dst = s
		}
	}
}

func (d *decoder) integer(dst *int, lo, hi int) func(string, *yaml.Node) {
	return func(path string, n *yaml.Node) {
		s, ok := d.scalar(n, path)
		if !ok {
			return
		}
		v, err := strconv.Atoi(s)
		if err != nil {
			d.errAt(n, path, "want a whole number, got %q", s)
			return
		}
		if v < lo || v > hi {
			d.errAt(n, path, "%d is outside %d..%d", v, lo, hi)
			return
		}
		*dst = v
	}
}

func (d *decoder) uint64(dst *uint64) func(string, *yaml.Node) {
	return func(path string, n *yaml.Node) {
		s, ok := d.scalar(n, path)
		if !ok {
			return
		}
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			d.errAt(n, path, "want a whole number from 0 to %d, got %q", uint64(math.MaxUint64), s)
			return
		}
		*dst = v
	}
}

func (d *decoder) boolean(dst *bool) func(string, *yaml.Node) {
	return func(path string, n *yaml.Node) {
		s, ok := d.scalar(n, path)
		if !ok {
			return
		}
		v, err := strconv.ParseBool(s)
		if err != nil {
			d.errAt(n, path, "want true or false, got %q", s)
			return
		}
		*dst = v
	}
}

// decimalValue parses an exact decimal from the YAML text (never through float64).
func (d *decoder) decimalValue(n *yaml.Node, path string) (decimal.Decimal, bool) {
	s, ok := d.scalar(n, path)
	if !ok {
		return decimal.Decimal{}, false
	}
	v, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil || v.Exponent() < -64 || v.Exponent() > 64 {
		d.errAt(n, path, "want a decimal number, got %q", s)
		return decimal.Decimal{}, false
	}
	return v, true
}

// nonNegDecimal decodes a decimal that may not be negative; set, when not nil, records that
// the key was given.
func (d *decoder) nonNegDecimal(dst *decimal.Decimal, set *bool) func(string, *yaml.Node) {
	return func(path string, n *yaml.Node) {
		v, ok := d.decimalValue(n, path)
		if !ok {
			return
		}
		if v.Sign() < 0 {
			d.errAt(n, path, "%s is negative", v)
			return
		}
		*dst = v
		if set != nil {
			*set = true
		}
	}
}

// MaxMarginRatePct bounds a margin fee rate: Kraken's are 0.01-0.025% (support.kraken.com
// 206161568); 1% every 4 hours would be over 500% a year.
var MaxMarginRatePct = decimal.NewFromInt(1)

// marginRates decodes a mapping of asset to margin fee rate (percent), in [0, 1].
func (d *decoder) marginRates(dst *map[string]decimal.Decimal) func(string, *yaml.Node) {
	return func(path string, n *yaml.Node) {
		rn := resolve(n)
		if isNull(rn) {
			return
		}
		if rn.Kind != yaml.MappingNode {
			d.errAt(rn, path, "want a mapping of asset to percent of the amount lent, e.g. {USD: 0.025, BTC: 0.01}, got %s", describe(rn))
			return
		}
		keys, vals := d.entries(rn, path)
		for i, k := range keys {
			p := join(path, k.Value)
			if k.Value == "" || strings.ContainsAny(k.Value, " \t/") {
				d.errAt(k, p, "%q is not an asset name (e.g. USD, BTC)", k.Value)
				continue
			}
			v, ok := d.decimalValue(vals[i], p)
			if !ok {
				continue
			}
			if v.Sign() < 0 || v.GreaterThan(MaxMarginRatePct) {
				d.errAt(vals[i], p, "%s%% is outside 0..1%%: rates are percent of the amount lent (Kraken charges 0.01 to 0.025)", v)
				continue
			}
			if *dst == nil {
				*dst = map[string]decimal.Decimal{}
			}
			(*dst)[k.Value] = v
		}
	}
}

// ParseDuration parses a duration in Go's syntax ("90s", "1h30m") extended with days and
// weeks ("30d", "2w", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var total time.Duration
	rest := s
	for _, u := range []struct {
		suffix byte
		unit   time.Duration
	}{{'w', 7 * 24 * time.Hour}, {'d', 24 * time.Hour}} {
		i := strings.IndexByte(rest, u.suffix)
		if i < 0 {
			continue
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || n < 0 || n > 1000*52 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		total += time.Duration(n) * u.unit
		rest = rest[i+1:]
	}
	if rest != "" {
		v, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q (want e.g. 50ms, 90s, 1h30m, 30d)", s)
		}
		total += v
	}
	if rest == "" && total == 0 && s != "0d" && s != "0w" {
		return 0, fmt.Errorf("bad duration %q (want e.g. 50ms, 90s, 1h30m, 30d)", s)
	}
	return total, nil
}

func (d *decoder) duration(dst *time.Duration, set *bool) func(string, *yaml.Node) {
	return func(path string, n *yaml.Node) {
		s, ok := d.scalar(n, path)
		if !ok {
			return
		}
		v, err := ParseDuration(s)
		if err != nil {
			d.errAt(n, path, "%v", err)
			return
		}
		if v < 0 {
			d.errAt(n, path, "duration %s is negative", s)
			return
		}
		*dst = v
		if set != nil {
			*set = true
		}
	}
}

// ParseTime parses a time as RFC 3339 ("2025-01-02T15:04:05Z", with any offset), or a UTC
// date ("2025-01-02") or date and time without zone ("2025-01-02T15:04:05", "2025-01-02
// 15:04").
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q (want RFC 3339, e.g. 2025-01-02T15:04:05Z, or a date 2025-01-02)", s)
}

func (d *decoder) timeValue(dst *time.Time) func(string, *yaml.Node) {
	return func(path string, n *yaml.Node) {
		s, ok := d.scalar(n, path)
		if !ok {
			return
		}
		t, err := ParseTime(s)
		if err != nil {
			d.errAt(n, path, "%v", err)
			return
		}
		*dst = t
	}
}

// list returns a sequence's items; a single scalar counts as a one-item list.
func (d *decoder) list(n *yaml.Node, path string) []*yaml.Node {
	n = resolve(n)
	switch {
	case isNull(n):
		return nil
	case n.Kind == yaml.SequenceNode:
		out := make([]*yaml.Node, len(n.Content))
		for i, e := range n.Content {
			out[i] = resolve(e)
		}
		return out
	case n.Kind == yaml.ScalarNode:
		return []*yaml.Node{n}
	}
	d.errAt(n, path, "want a list, got %s", describe(n))
	return nil
}

func (d *decoder) strings(dst *[]string) func(string, *yaml.Node) {
	return func(path string, n *yaml.Node) {
		for i, e := range d.list(n, path) {
			if s, ok := d.scalar(e, fmt.Sprintf("%s[%d]", path, i)); ok {
				*dst = append(*dst, s)
			}
		}
	}
}

// decode parses the whole document.
func (d *decoder) decode(data []byte) *Config {
	c := &Config{EquityInterval: DefaultEquityInterval}
	c.Sim.Latency = sim.DefaultLatency
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errAt(nil, "", "the file is empty: it needs at least a strategies list")
		} else {
			d.errs = append(d.errs, yamlError(d.file, err))
		}
		return c
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := 0
		if err == nil {
			line = extra.Line
		}
		d.errs = append(d.errs, &Error{File: d.file, Line: line, Msg: "more than one YAML document (---): put everything in one"})
		return c
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	var (
		feeVolSet, makerSet, takerSet       bool
		feesNode, strategiesNode, sweepNode *yaml.Node
		models                              []string
		modelsNode, liveNode                *yaml.Node
	)
	d.mapping(root, "", []field{
		{"seed", d.uint64(&c.Seed)},
		{"equity_interval", func(path string, n *yaml.Node) {
			d.duration(&c.EquityInterval, nil)(path, n)
			if !d.durationWithin(n, path, c.EquityInterval, MinEquityInterval, MaxEquityInterval, "1s", "30d",
				"an equity sample per second is the finest a report can use; for a long run use e.g. 1h or 1d") {
				c.EquityInterval = DefaultEquityInterval
			}
		}},
		{"latency", func(path string, n *yaml.Node) {
			d.duration(&c.Sim.Latency, nil)(path, n)
			d.durationWithin(n, path, c.Sim.Latency, 0, MaxLatency, "0", "1m", "Kraken's order latency is tens to hundreds of milliseconds")
		}},
		{"jitter", func(path string, n *yaml.Node) {
			d.duration(&c.Sim.Jitter, nil)(path, n)
			d.durationWithin(n, path, c.Sim.Jitter, 0, MaxLatency, "0", "1m", "Kraken's order latency is tens to hundreds of milliseconds")
		}},
		{"fill_model", func(path string, n *yaml.Node) {
			if s, ok := d.scalar(n, path); ok {
				m, err := sim.ParseFillModel(s)
				if err != nil {
					d.errAt(n, path, "unknown fill model %q (want default, optimistic or pessimistic)", s)
					return
				}
				c.Sim.Model = m
			}
		}},
		{"fill_models", func(path string, n *yaml.Node) { modelsNode = n; d.strings(&models)(path, n) }},
		{"slippage_bps", func(path string, n *yaml.Node) {
			d.nonNegDecimal(&c.Sim.SlippageBps, nil)(path, n)
			if c.Sim.SlippageBps.GreaterThan(maxSlippageBps) {
				d.errAt(n, path, "%s is above 10000 (100%% of the price); basis points: 2.5 means 0.025%%", n.Value)
				c.Sim.SlippageBps = decimal.Decimal{}
			}
		}},
		{"fees", func(path string, n *yaml.Node) {
			feesNode = n
			d.mapping(n, path, []field{
				{"volume_30d", func(path string, n *yaml.Node) {
					d.nonNegDecimal(&c.Sim.FeeVolume, &feeVolSet)(path, n)
					d.amountWithin(n, path, c.Sim.FeeVolume)
				}},
				{"rolling_volume", d.boolean(&c.Sim.RollingFeeVolume)},
				{"maker", d.nonNegDecimal(&c.Sim.MakerFee, &makerSet)},
				{"taker", d.nonNegDecimal(&c.Sim.TakerFee, &takerSet)},
			})
		}},
		{"book_depth", func(path string, n *yaml.Node) {
			d.integer(&c.Sim.BookDepth, 0, 1000)(path, n)
			if v := c.Sim.BookDepth; v != 0 && !slices.Contains(krakenDepths, v) {
				d.errAt(n, path, "book depth %d is not one of Kraken's (10, 25, 100, 500, 1000; 0 infers it)", v)
			}
		}},
		{"strict_lot", d.boolean(&c.Sim.StrictLot)},
		{"margin", func(path string, n *yaml.Node) {
			d.mapping(n, path, []field{
				{"opening", d.marginRates(&c.Sim.MarginOpening)},
				{"rollover", d.marginRates(&c.Sim.MarginRollover)},
			})
		}},
		{"data", func(path string, n *yaml.Node) {
			d.mapping(n, path, []field{
				{"path", d.str(&c.Data.Path)},
				{"from", d.timeValue(&c.Data.From)},
				{"to", d.timeValue(&c.Data.To)},
			})
			if !c.Data.From.IsZero() && !c.Data.To.IsZero() && !c.Data.From.Before(c.Data.To) {
				d.errAt(n, path, "from (%s) must be before to (%s)", c.Data.From.Format(time.RFC3339), c.Data.To.Format(time.RFC3339))
			}
		}},
		{"strategies", func(_ string, n *yaml.Node) { strategiesNode = n }},
		{"live", func(path string, n *yaml.Node) { liveNode = n }},
		{"sweep", func(_ string, n *yaml.Node) { sweepNode = n }},
	})
	d.live(&c.Live, liveNode, "live")
	for i, s := range models {
		m, err := sim.ParseFillModel(s)
		if err != nil {
			d.errAt(d.list(modelsNode, "fill_models")[i], fmt.Sprintf("fill_models[%d]", i), "unknown fill model %q (want default, optimistic or pessimistic)", s)
			continue
		}
		if slices.Contains(c.FillModels, m) {
			d.errAt(d.list(modelsNode, "fill_models")[i], fmt.Sprintf("fill_models[%d]", i), "fill model %s listed twice", m)
			continue
		}
		c.FillModels = append(c.FillModels, m)
	}
	if makerSet || takerSet {
		switch {
		case feeVolSet:
			d.errAt(feesNode, "fees", "give either volume_30d (a Kraken fee tier) or maker and taker (an override), not both")
		case !makerSet || !takerSet:
			d.errAt(feesNode, "fees", "an override needs both maker and taker (percent, e.g. maker: 0.16, taker: 0.26)")
		default:
			c.Sim.FeeOverride = true
			for _, f := range []struct {
				name string
				v    decimal.Decimal
			}{{"maker", c.Sim.MakerFee}, {"taker", c.Sim.TakerFee}} {
				if f.v.GreaterThan(decimal.NewFromInt(10)) {
					d.errAt(feesNode, "fees."+f.name, "%s%% is above 10%%: fees are percent (0.26 means 0.26%%)", f.v)
				}
			}
		}
	}
	if root.Kind == yaml.MappingNode || isNull(root) {
		d.strategies(c, strategiesNode, root)
	}
	if sweepNode != nil && !isNull(resolve(sweepNode)) {
		c.Sweep = d.sweep(c, sweepNode)
	}
	return c
}

var krakenDepths = []int{10, 25, 100, 500, 1000}

// Bounds on values no run could mean (issue 15 item 18: 44-digit balances, 1e30 sizes, a
// 100000 h latency and a 1 ns equity interval were accepted, to fail or crawl later).
const (
	MinEquityInterval = time.Second
	MaxEquityInterval = 30 * 24 * time.Hour
	MaxLatency        = time.Minute // latency and jitter each
	// MaxDecimals is the most decimal places of an amount (Kraken's assets have at most 10).
	MaxDecimals = 18
)

// MaxAmount bounds balances, the fee tier's 30-day volume and decimal or float parameters:
// 10^15 of anything is beyond every Kraken balance, price and order size.
var MaxAmount = decimal.New(1, 15)

var maxSlippageBps = decimal.NewFromInt(10000)

// durationWithin reports whether v lies in [lo, hi], and reports the error when it does not.
func (d *decoder) durationWithin(n *yaml.Node, path string, v, lo, hi time.Duration, loText, hiText, hint string) bool {
	switch {
	case v < lo:
		d.errAt(n, path, "%s is below %s: %s", strings.TrimSpace(resolve(n).Value), loText, hint)
	case v > hi:
		d.errAt(n, path, "%s is above %s: %s", strings.TrimSpace(resolve(n).Value), hiText, hint)
	default:
		return true
	}
	return false
}

// amountWithin reports whether an amount is at most MaxAmount with at most MaxDecimals
// places, and reports the error when it is not.
func (d *decoder) amountWithin(n *yaml.Node, path string, v decimal.Decimal) bool {
	switch {
	case v.Abs().GreaterThan(MaxAmount):
		d.errAt(n, path, "%s is above %s: no Kraken account holds or trades that much", strings.TrimSpace(resolve(n).Value), MaxAmount)
	case v.Exponent() < -MaxDecimals && !v.Equal(v.Truncate(MaxDecimals)):
		d.errAt(n, path, "%s has more than %d decimal places", strings.TrimSpace(resolve(n).Value), MaxDecimals)
	default:
		return true
	}
	return false
}

// paramWithin bounds decimal and float parameters (sizes, prices, fractions) by ±MaxAmount
// and refuses NaN and infinities; a strategy's own min/max tags and Validate draw finer lines.
func (d *decoder) paramWithin(n *yaml.Node, path, typ, v string) bool {
	var x decimal.Decimal
	switch typ {
	case "decimal":
		var err error
		if x, err = decimal.NewFromString(strings.TrimSpace(v)); err != nil {
			return true // Check accepted it: its own syntax, not ours to judge
		}
	case "float64":
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return true
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			d.errAt(n, path, "%s is not a finite number", v)
			return false
		}
		if math.Abs(f) <= 1e15 {
			return true
		}
		x = decimal.NewFromFloat(f)
	default:
		return true
	}
	if x.Abs().GreaterThan(MaxAmount) {
		d.errAt(n, path, "%s is beyond ±%s: no Kraken price or order size is that large", v, MaxAmount)
		return false
	}
	return true
}

// yamlError turns a yaml syntax error ("yaml: line 3: ...") into an Error with its line.
func yamlError(file string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{File: file, Msg: "YAML syntax: " + msg}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				e.Line, e.Column = n, 1
				e.Msg = "YAML syntax:" + rest[i+1:]
			}
		}
	}
	return e
}

func (d *decoder) live(l *Live, n *yaml.Node, path string) {
	var apiNode, depthNode, chNode *yaml.Node
	d.mapping(n, path, []field{
		{"api", func(p string, v *yaml.Node) { apiNode = v; d.str(&l.API)(p, v) }},
		{"url", d.str(&l.URL)},
		{"channels", func(p string, v *yaml.Node) { chNode = v; d.strings(&l.Channels)(p, v) }},
		{"book_depth", func(p string, v *yaml.Node) { depthNode = v; d.integer(&l.BookDepth, 0, 1000)(p, v) }},
		{"record_dir", d.str(&l.RecordDir)},
		{"db", d.str(&l.DB)},
		{"http", d.str(&l.HTTP)},
		{"lag_warn", d.integer(&l.LagWarn, 0, math.MaxInt32)},
		{"lag_limit", d.integer(&l.LagLimit, 0, math.MaxInt32)},
		{"notify", func(p string, v *yaml.Node) { l.Notify = d.notify(v, p) }},
	})
	if l.API == "" {
		l.API = DefaultLiveAPI
	}
	if l.API != "v1" && l.API != "v2" {
		d.errAt(apiNode, join(path, "api"), "unknown API %q (want v1 or v2)", l.API)
	}
	if l.URL == "" {
		l.URL = DefaultLiveURLV2
		if l.API == "v1" {
			l.URL = DefaultLiveURLV1
		}
	}
	if l.BookDepth == 0 {
		l.BookDepth = DefaultLiveBookDepth
	} else if !slices.Contains(krakenDepths, l.BookDepth) {
		d.errAt(depthNode, join(path, "book_depth"), "book depth %d is not one of Kraken's (10, 25, 100, 500, 1000)", l.BookDepth)
	}
	if len(l.Channels) == 0 {
		l.Channels = slices.Clone(DefaultLiveChannels)
	}
	known := []string{"trade", "book", "ticker", "ohlc", "spread", "instrument", "status"}
	for i, ch := range l.Channels {
		if !slices.Contains(known, ch) {
			var at *yaml.Node
			if items := d.list(chNode, ""); i < len(items) {
				at = items[i]
			}
			d.errAt(at, fmt.Sprintf("%s.channels[%d]", path, i), "unknown channel %q (known: %s)", ch, strings.Join(known, ", "))
		}
	}
	if l.LagWarn > 0 && l.LagLimit > 0 && l.LagWarn >= l.LagLimit {
		d.errAt(n, path, "lag_warn (%d) must be below lag_limit (%d)", l.LagWarn, l.LagLimit)
	}
}

// notify reads live.notify: a telegram and/or webhook destination, the events, the rate.
func (d *decoder) notify(n *yaml.Node, path string) *Notify {
	if isNull(resolve(n)) {
		return nil
	}
	nt := &Notify{}
	var eventsNode *yaml.Node
	d.mapping(n, path, []field{
		{"telegram", func(p string, v *yaml.Node) {
			d.mapping(v, p, []field{
				{"token", d.str(&nt.TelegramToken)},
				{"token_env", d.str(&nt.TelegramTokenEnv)},
				{"chat_id", d.str(&nt.TelegramChat)},
			})
			switch {
			case nt.TelegramToken == "" && nt.TelegramTokenEnv == "":
				d.errAt(v, p, "needs token_env (the environment variable holding the bot token) or token")
			case nt.TelegramChat == "":
				d.errAt(v, p, "needs chat_id (the chat the bot writes to; message the bot, then read it from getUpdates)")
			}
		}},
		{"webhook", func(p string, v *yaml.Node) {
			d.mapping(v, p, []field{
				{"url", d.str(&nt.WebhookURL)},
				{"url_env", d.str(&nt.WebhookURLEnv)},
			})
			if nt.WebhookURL == "" && nt.WebhookURLEnv == "" {
				d.errAt(v, p, "needs url_env (the environment variable holding the webhook URL) or url")
			}
		}},
		{"events", func(p string, v *yaml.Node) { eventsNode = v; d.strings(&nt.Events)(p, v) }},
		{"min_interval", d.duration(&nt.MinInterval, nil)},
	})
	known := []string{"fills", "faults", "feed", "daily"}
	for i, e := range nt.Events {
		if !slices.Contains(known, e) {
			var at *yaml.Node
			if items := d.list(eventsNode, ""); i < len(items) {
				at = items[i]
			}
			d.errAt(at, fmt.Sprintf("%s.events[%d]", path, i), "unknown event %q (known: %s)", e, strings.Join(known, ", "))
		}
	}
	if nt.TelegramToken == "" && nt.TelegramTokenEnv == "" && nt.WebhookURL == "" && nt.WebhookURLEnv == "" {
		d.errAt(n, path, "no destination: add telegram: {token_env, chat_id} or webhook: {url_env}")
	}
	return nt
}

// validInstanceName: names become file names, CSV cells and, with "@model", band names.
func validInstanceName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || (i > 0 && (c == '.' || c == '_' || c == '-'))) {
			return false
		}
	}
	return true
}

func (d *decoder) strategies(c *Config, n *yaml.Node, root *yaml.Node) {
	n = resolve(n)
	if isNull(n) {
		d.errAt(root, "strategies", "missing: list at least one strategy instance (name, type, pairs, balances)")
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errAt(n, "strategies", "want a list of strategy instances, got %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		d.errAt(n, "strategies", "empty: list at least one strategy instance")
		return
	}
	names := make(map[string]int)
	for i, e := range n.Content {
		e = resolve(e)
		path := fmt.Sprintf("strategies[%d]", i)
		if isNull(e) {
			// A lone "-" (fuzzing found it): the mapping decoder takes null as empty, and an
			// empty instance used to pass with no error and no instance.
			d.errAt(e, path, "empty entry (a lone '-'?): an instance needs name, type, pairs and balances")
			continue
		}
		s, ok := d.strategy(e, path)
		if !ok {
			continue
		}
		if line, dup := names[s.Name]; dup {
			d.errAt(e, path+".name", "instance name %q is already used on line %d", s.Name, line)
			continue
		}
		names[s.Name] = e.Line
		c.Strategies = append(c.Strategies, s)
	}
}

func (d *decoder) strategy(n *yaml.Node, path string) (Strategy, bool) {
	s := Strategy{Line: n.Line}
	var nameNode, typeNode, paramsNode, pairsNode, balNode, ccyNode *yaml.Node
	var paramKeys, paramVals []*yaml.Node
	before := len(d.errs)
	d.mapping(n, path, []field{
		{"name", func(p string, v *yaml.Node) { nameNode = v; d.str(&s.Name)(p, v) }},
		{"type", func(p string, v *yaml.Node) { typeNode = v; d.str(&s.Type)(p, v) }},
		{"params", func(p string, v *yaml.Node) {
			paramsNode = resolve(v)
			if isNull(paramsNode) {
				return
			}
			if paramsNode.Kind != yaml.MappingNode {
				d.errAt(paramsNode, p, "want a mapping of parameter names to values, got %s", describe(paramsNode))
				return
			}
			paramKeys, paramVals = d.entries(paramsNode, p)
		}},
		{"pairs", func(_ string, v *yaml.Node) { pairsNode = v }},
		{"balances", func(_ string, v *yaml.Node) { balNode = v }},
		{"account_currency", func(p string, v *yaml.Node) { ccyNode = v; d.str(&s.AccountCurrency)(p, v) }},
	})
	if n.Kind != yaml.MappingNode {
		return s, false
	}
	switch {
	case nameNode == nil:
		d.errAt(n, path+".name", "missing: every instance needs a unique name")
	case s.Name == "" && isNull(resolve(nameNode)):
		// d.str has reported the missing value.
	case s.Name == "":
		d.errAt(nameNode, path+".name", "empty: every instance needs a unique name (letters, digits, '.', '_' and '-')")
	case !validInstanceName(s.Name):
		d.errAt(nameNode, path+".name", "bad name %q: use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)", s.Name)
	}
	if s.Name != "" {
		path = fmt.Sprintf("%s(%s)", path, s.Name)
	}

	// Type and parameters, checked against the registry.
	var info strategy.Info
	typeOK := false
	switch {
	case typeNode == nil:
		d.errAt(n, path+".type", "missing: the registered strategy to run (registered: %s)", strings.Join(d.reg.Names(), ", "))
	case s.Type != "":
		info, typeOK = d.reg.Describe(s.Type)
		if !typeOK {
			d.errAt(typeNode, path+".type", "unknown strategy %q (registered: %s)", s.Type, strings.Join(d.reg.Names(), ", "))
		}
	}
	if len(paramKeys) > 0 {
		s.Params = make(strategy.Params, len(paramKeys))
	}
	paramsOK := true
	for i, k := range paramKeys {
		p := path + ".params." + k.Value
		v, ok := d.scalar(paramVals[i], p)
		if !ok {
			paramsOK = false
			continue
		}
		s.Params[k.Value] = v
		if !typeOK {
			continue
		}
		j := slices.IndexFunc(info.Params, func(ps strategy.ParamSpec) bool { return ps.Name == k.Value })
		if j < 0 {
			paramsOK = false
			d.errAt(k, p, "unknown parameter of %s (known: %s)", s.Type, paramNames(info.Params))
			continue
		}
		if err := info.Params[j].Check(v); err != nil {
			paramsOK = false
			var pe *strategy.ParamError
			msg := err.Error()
			if errors.As(err, &pe) {
				msg = pe.Err.Error()
			}
			d.errAt(paramVals[i], p, "%s", msg)
			continue
		}
		if !d.paramWithin(paramVals[i], p, info.Params[j].Type, v) {
			paramsOK = false
		}
	}
	if typeOK && paramsOK {
		// The factory runs the rules tags cannot express (fast < slow); it must be cheap
		// and side-effect free, so building one here to validate is fine.
		if _, err := d.reg.New(s.Type, s.Params, nil); err != nil {
			at := paramsNode
			if at == nil || isNull(at) {
				at = typeNode
			}
			msg := err.Error()
			msg = strings.TrimPrefix(msg, "strategy "+s.Type+": ")
			d.errAt(at, path+".params", "%s", msg)
		}
	}

	// Pairs, checked against the pair table.
	if pairsNode == nil || isNull(resolve(pairsNode)) {
		d.errAt(n, path+".pairs", "missing: the pairs the instance trades (e.g. [BTC/USD])")
	} else {
		for i, e := range d.list(pairsNode, path+".pairs") {
			p := fmt.Sprintf("%s.pairs[%d]", path, i)
			v, ok := d.scalar(e, p)
			if !ok {
				continue
			}
			pair, err := feed.ParsePair(strings.TrimSpace(v))
			if err != nil {
				d.errAt(e, p, "%q is not a pair: want BASE/QUOTE, e.g. BTC/USD", v)
				continue
			}
			if _, ok := d.pairs.Lookup(pair); !ok {
				hint := ""
				if v1, ok := d.pairs.(interface {
					LookupV1(string) (*feed.PairInfo, bool)
				}); ok {
					if info, ok := v1.LookupV1(string(pair)); ok {
						hint = fmt.Sprintf(" (did you mean %s? pairs use Kraken's v2 names)", info.Pair)
					}
				}
				d.errAt(e, p, "unknown pair %s%s", pair, hint)
				continue
			}
			if slices.Contains(s.Pairs, pair) {
				d.errAt(e, p, "pair %s listed twice", pair)
				continue
			}
			s.Pairs = append(s.Pairs, pair)
		}
		if len(s.Pairs) == 0 && len(d.errs) == before {
			d.errAt(pairsNode, path+".pairs", "empty: list the pairs the instance trades")
		}
	}

	// Balances: asset → non-negative decimal, in the order written.
	funded := false
	var balKeys []*yaml.Node
	bn := resolve(balNode)
	switch {
	case balNode == nil || isNull(bn):
		d.errAt(n, path+".balances", "missing: the starting balances, e.g. {USD: \"10000\"}")
	case bn.Kind != yaml.MappingNode:
		d.errAt(bn, path+".balances", "want a mapping of asset to amount, e.g. {USD: \"10000\"}, got %s", describe(bn))
	default:
		keys, vals := d.entries(bn, path+".balances")
		for i, k := range keys {
			p := path + ".balances." + k.Value
			amt, ok := d.decimalValue(vals[i], p)
			if !ok {
				continue
			}
			if amt.Sign() < 0 {
				d.errAt(vals[i], p, "balance %s is negative", amt)
				continue
			}
			if !d.amountWithin(vals[i], p, amt) {
				continue
			}
			asset := k.Value
			if len(s.Pairs) > 0 && !d.assetTraded(asset, s.Pairs) {
				d.errAt(k, p, "asset %s is neither base nor quote of the instance's pairs (%s): it could not be valued", asset, pairList(s.Pairs))
				continue
			}
			if amt.Sign() > 0 {
				funded = true
			}
			s.Balances = append(s.Balances, record.Deposit{Asset: asset, Amount: amt})
			balKeys = append(balKeys, k)
		}
		if !funded && len(d.errs) == before {
			d.errAt(bn, path+".balances", "the account starts empty: give at least one positive balance")
		}
	}

	// Account currency: valued through the instance's pairs.
	if len(s.Pairs) > 0 {
		if s.AccountCurrency == "" {
			s.AccountCurrency = s.Pairs[0].Quote()
		} else if !reachable(s.AccountCurrency, s.Pairs) {
			d.errAt(ccyNode, path+".account_currency", "%s cannot value the instance's assets through its pairs (%s)", s.AccountCurrency, pairList(s.Pairs))
			return s, false
		}
		for i, b := range s.Balances {
			if b.Asset != s.AccountCurrency && !connected(b.Asset, s.AccountCurrency, s.Pairs) {
				d.errAt(balKeys[i], path+".balances."+b.Asset, "%s cannot be valued in %s through the instance's pairs (%s)", b.Asset, s.AccountCurrency, pairList(s.Pairs))
			}
		}
	}
	return s, len(d.errs) == before
}

func paramNames(specs []strategy.ParamSpec) string {
	names := make([]string, len(specs))
	for i, p := range specs {
		names[i] = p.Name
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func pairList(ps []feed.Pair) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

func (d *decoder) assetTraded(asset string, pairs []feed.Pair) bool {
	for _, p := range pairs {
		if p.Base() == asset || p.Quote() == asset {
			return true
		}
	}
	return false
}

func reachable(ccy string, pairs []feed.Pair) bool {
	for _, p := range pairs {
		if p.Base() == ccy || p.Quote() == ccy {
			return true
		}
	}
	return false
}

// connected mirrors ledger.Value: directly through one pair, or through one intermediate
// asset.
func connected(from, to string, pairs []feed.Pair) bool {
	direct := func(a, b string) bool {
		return a == b || slices.Contains(pairs, feed.Pair(a+"/"+b)) || slices.Contains(pairs, feed.Pair(b+"/"+a))
	}
	if direct(from, to) {
		return true
	}
	for _, p := range pairs {
		var mid string
		switch from {
		case p.Base():
			mid = p.Quote()
		case p.Quote():
			mid = p.Base()
		default:
			continue
		}
		if direct(mid, to) {
			return true
		}
	}
	return false
}

func (d *decoder) sweep(c *Config, n *yaml.Node) *Sweep {
	sw := &Sweep{Metric: DefaultSweepMetric, Method: "grid", Seed: c.Seed}
	var stratNode, methodNode, metricNode *yaml.Node
	var paramKeys, paramVals []*yaml.Node
	var wfNode *yaml.Node
	d.mapping(n, "sweep", []field{
		{"strategy", func(p string, v *yaml.Node) { stratNode = v; d.str(&sw.Strategy)(p, v) }},
		{"method", func(p string, v *yaml.Node) { methodNode = v; d.str(&sw.Method)(p, v) }},
		{"trials", d.integer(&sw.Trials, 0, 10_000_000)},
		{"seed", d.uint64(&sw.Seed)},
		{"metric", func(p string, v *yaml.Node) { metricNode = v; d.str(&sw.Metric)(p, v) }},
		{"params", func(p string, v *yaml.Node) {
			v = resolve(v)
			if isNull(v) {
				return
			}
			if v.Kind != yaml.MappingNode {
				d.errAt(v, p, "want a mapping of parameter names to a range (\"5:50:5\") or a list of values")
				return
			}
			paramKeys, paramVals = d.entries(v, p)
		}},
		{"parallel", d.integer(&sw.Parallel, 0, 4096)},
		{"db", d.str(&sw.DB)},
		{"out", d.str(&sw.Out)},
		{"walk_forward", func(p string, v *yaml.Node) {
			wfNode = v
			wf := &WalkForward{}
			d.mapping(v, p, []field{
				{"train", d.duration(&wf.Train, nil)},
				{"test", d.duration(&wf.Test, nil)},
			})
			if !isNull(resolve(v)) {
				sw.WalkForward = wf
			}
		}},
	})
	if sw.Method != "grid" && sw.Method != "random" {
		d.errAt(methodNode, "sweep.method", "unknown method %q (want grid or random)", sw.Method)
	}
	if sw.Method == "random" && sw.Trials == 0 {
		sw.Trials = DefaultSweepTrials
	}
	if _, ok := LowerIsBetter(sw.Metric); !ok {
		names := make([]string, len(RankMetrics))
		for i, m := range RankMetrics {
			names[i] = m.Name
		}
		d.errAt(metricNode, "sweep.metric", "unknown metric %q (known: %s)", sw.Metric, strings.Join(names, ", "))
	}
	if wf := sw.WalkForward; wf != nil && (wf.Train <= 0 || wf.Test <= 0) {
		d.errAt(wfNode, "sweep.walk_forward", "needs positive train and test windows, e.g. {train: 30d, test: 7d}")
	}
	// The searched instance.
	var inst *Strategy
	switch {
	case sw.Strategy == "" && len(c.Strategies) == 1:
		sw.Strategy = c.Strategies[0].Name
		inst = &c.Strategies[0]
	case sw.Strategy == "":
		d.errAt(n, "sweep.strategy", "missing: name the instance whose parameters are searched")
	default:
		var ok bool
		if inst, ok = c.Strategy(sw.Strategy); !ok {
			names := make([]string, len(c.Strategies))
			for i, s := range c.Strategies {
				names[i] = s.Name
			}
			d.errAt(stratNode, "sweep.strategy", "no instance named %q (instances: %s)", sw.Strategy, strings.Join(names, ", "))
		}
	}
	if inst == nil {
		return sw
	}
	info, ok := d.reg.Describe(inst.Type)
	if !ok {
		return sw
	}
	if len(paramKeys) == 0 {
		for _, ps := range info.Params {
			if !ps.HasRange() {
				continue
			}
			if _, fixed := inst.Params[ps.Name]; fixed {
				continue // the instance pins it
			}
			vals, err := ps.Grid()
			if err != nil {
				d.errAt(n, "sweep.params", "%s: %v; list its values under sweep.params", ps.Name, err)
				continue
			}
			sw.Params = append(sw.Params, SweepParam{Name: ps.Name, Values: vals})
		}
		if len(sw.Params) == 0 {
			d.errAt(n, "sweep.params", "strategy %s declares no ranges to search: list the values under sweep.params", inst.Type)
		}
		return sw
	}
	for i, k := range paramKeys {
		p := "sweep.params." + k.Value
		j := slices.IndexFunc(info.Params, func(ps strategy.ParamSpec) bool { return ps.Name == k.Value })
		if j < 0 {
			d.errAt(k, p, "unknown parameter of %s (known: %s)", inst.Type, paramNames(info.Params))
			continue
		}
		spec := info.Params[j]
		v := paramVals[i]
		var vals []string
		switch {
		case v.Kind == yaml.ScalarNode && strings.Count(v.Value, ":") >= 1 && spec.Type != "string" && spec.Type != "bool":
			parts := strings.Split(v.Value, ":")
			if len(parts) != 3 {
				d.errAt(v, p, "range %q needs min:max:step", v.Value)
				continue
			}
			g := strategy.ParamSpec{Name: spec.Name, Type: spec.Type, Min: parts[0], Max: parts[1], Step: parts[2]}
			gv, err := g.Grid()
			if err != nil {
				d.errAt(v, p, "%v", err)
				continue
			}
			vals = gv
		case spec.Type == "bool" && v.Kind == yaml.ScalarNode && v.Value == "both":
			vals = []string{"false", "true"}
		default:
			for j, e := range d.list(v, p) {
				if s, ok := d.scalar(e, fmt.Sprintf("%s[%d]", p, j)); ok {
					vals = append(vals, s)
				}
			}
		}
		bad := false
		for _, x := range vals {
			if err := spec.Check(x); err != nil {
				var pe *strategy.ParamError
				msg := err.Error()
				if errors.As(err, &pe) {
					msg = pe.Err.Error()
				}
				d.errAt(v, p, "%s", msg)
				bad = true
				break
			}
		}
		if bad {
			continue
		}
		if len(vals) == 0 {
			d.errAt(v, p, "no values to try")
			continue
		}
		sw.Params = append(sw.Params, SweepParam{Name: spec.Name, Values: vals})
	}
	return sw
}
