package kraken

import (
	"strings"

	"github.com/papertrade/papertrade/feed"
)

// AssetV1ToV2 maps a v1 asset code (as in v1 pair names and REST wsname) to its v2 code. XBT
// (BTC) and XDG (DOGE) are the only codes known to differ (PROTOCOL.md §6); any other code is
// returned unchanged.
func AssetV1ToV2(asset string) string {
	switch asset {
	case "XBT":
		return "BTC"
	case "XDG":
		return "DOGE"
	}
	return asset
}

// AssetV2ToV1 maps a v2 asset code to its v1 code, the inverse of AssetV1ToV2.
func AssetV2ToV1(asset string) string {
	switch asset {
	case "BTC":
		return "XBT"
	case "DOGE":
		return "XDG"
	}
	return asset
}

// V1ToV2 maps a v1 pair name to the canonical v2 pair, asset by asset: V1ToV2("XBT/USD") is
// "BTC/USD", V1ToV2("ETH/XBT") is "ETH/BTC". A name that is already a v2 name maps to itself.
// It does not check that the pair exists or is well formed (see feed.ParsePair).
func V1ToV2(name string) feed.Pair {
	base, quote, ok := strings.Cut(name, "/")
	if !ok {
		return feed.Pair(name)
	}
	b, q := AssetV1ToV2(base), AssetV1ToV2(quote)
	if b == base && q == quote {
		return feed.Pair(name)
	}
	return feed.Pair(b + "/" + q)
}

// V2ToV1 maps a v2 pair to the name v1 uses: V2ToV1("BTC/USD") is "XBT/USD".
func V2ToV1(p feed.Pair) string {
	base, quote, ok := strings.Cut(string(p), "/")
	if !ok {
		return string(p)
	}
	b, q := AssetV2ToV1(base), AssetV2ToV1(quote)
	if b == base && q == quote {
		return string(p)
	}
	return b + "/" + q
}

// maxInterned bounds each intern table, so that a stream of ever-new (or hostile) names cannot
// grow a Decoder without limit; past it, names are still decoded, just allocated per frame.
const maxInterned = 4096

// symbolTable interns pair names: decoding a known name returns the same feed.Pair string
// without allocating. Lookups index the map with string(b), which Go does not allocate for.
// It is owned by one Decoder and not safe for concurrent use.
type symbolTable struct {
	v1 map[string]feed.Pair // v1 wire name → v2 pair
	v2 map[string]feed.Pair // v2 wire name → the same name, interned
}

// pair returns the canonical pair for a wire name of the given API, or ok false when the name
// is not BASE/QUOTE.
func (t *symbolTable) pair(api feed.API, b []byte) (feed.Pair, bool) {
	m := t.v2
	if api == feed.APIV1 {
		m = t.v1
	}
	if p, ok := m[string(b)]; ok {
		return p, true
	}
	if !validPairName(b) {
		return "", false
	}
	name := string(b)
	p := feed.Pair(name)
	if api == feed.APIV1 {
		p = V1ToV2(name)
	}
	if m == nil {
		m = make(map[string]feed.Pair)
		if api == feed.APIV1 {
			t.v1 = m
		} else {
			t.v2 = m
		}
	}
	if len(m) < maxInterned {
		m[name] = p
	}
	return p, true
}

// validPairName reports whether b is BASE/QUOTE with non-empty sides, one slash and no
// whitespace or control characters (feed.ParsePair's rule, without allocating).
func validPairName(b []byte) bool {
	slash := -1
	for i, c := range b {
		switch {
		case c == '/':
			if slash >= 0 {
				return false
			}
			slash = i
		case c <= ' ' || c == 0x7f:
			return false
		}
	}
	return slash > 0 && slash < len(b)-1
}
