package feed

import "fmt"

// Side is the side of an order or, for a trade, the side of its taker (aggressor).
type Side uint8

const (
	Buy Side = iota + 1
	Sell
)

// String returns "buy" or "sell" (Kraken v2 spelling).
func (s Side) String() string {
	switch s {
	case Buy:
		return "buy"
	case Sell:
		return "sell"
	}
	return fmt.Sprintf("side(%d)", uint8(s))
}

// Opposite returns the other side.
func (s Side) Opposite() Side {
	if s == Buy {
		return Sell
	}
	return Buy
}

// ParseSide accepts Kraken's spellings: "buy"/"sell" (v2) and "b"/"s" (v1, REST).
func ParseSide(s string) (Side, error) {
	switch s {
	case "buy", "b":
		return Buy, nil
	case "sell", "s":
		return Sell, nil
	}
	return 0, fmt.Errorf("feed: unknown side %q", s)
}

// OrdType is the order type of a trade's taker as Kraken reports it.
type OrdType uint8

const (
	OrdUnknown OrdType = iota
	OrdLimit
	OrdMarket
)

// String returns "limit", "market" or "" when unknown.
func (o OrdType) String() string {
	switch o {
	case OrdLimit:
		return "limit"
	case OrdMarket:
		return "market"
	}
	return ""
}

// ParseOrdType accepts "limit"/"market" (v2) and "l"/"m" (v1, REST).
func ParseOrdType(s string) (OrdType, error) {
	switch s {
	case "limit", "l":
		return OrdLimit, nil
	case "market", "m":
		return OrdMarket, nil
	}
	return OrdUnknown, fmt.Errorf("feed: unknown order type %q", s)
}
