package kraken

import (
	"strconv"
	"strings"

	"github.com/papertrade/papertrade/feed"
)

// Reason classifies why a frame could not be decoded; Stats counts malformed frames by it.
type Reason uint8

const (
	ReasonNone      Reason = iota
	ReasonNotJSON          // not JSON at all, e.g. a proxy's "CloudFlare WebSocket proxy restarting"
	ReasonSyntax           // invalid JSON
	ReasonTruncated        // the frame ends in the middle of a value
	ReasonShape            // valid JSON of the wrong shape: missing or mistyped fields, wrong element counts
	ReasonNumber           // a number that is not exact, in range, or of the allowed sign
	ReasonTime             // a timestamp that cannot be parsed
	ReasonSymbol           // a pair name that is not BASE/QUOTE
	numReasons
)

var reasonNames = [numReasons]string{"", "not JSON", "syntax", "truncated", "shape", "number", "time", "symbol"}

// String returns the reason's name.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// DecodeError is the error Decode returns for a malformed frame. It says what was wrong
// (Reason, Msg) and where: the byte Offset in the frame and the Path of the field in the
// message, e.g. "data[0].price" (v2) or "[1][0][0]" (v1 array element indexes).
type DecodeError struct {
	API    feed.API // APINone when the frame's version could not be told
	Reason Reason
	Offset int    // byte offset in the frame; -1 when unknown
	Path   string // field path; empty for the frame itself
	Msg    string
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("kraken: ")
	if e.API != feed.APINone {
		b.WriteString(e.API.String())
		b.WriteByte(' ')
	}
	b.WriteString("frame")
	if e.Path != "" {
		b.WriteString(": ")
		b.WriteString(e.Path)
	}
	if e.Offset >= 0 {
		b.WriteString(" at byte ")
		b.WriteString(strconv.Itoa(e.Offset))
	}
	b.WriteString(": ")
	if e.Msg == "" {
		b.WriteString(e.Reason.String())
	} else {
		b.WriteString(e.Msg)
	}
	return b.String()
}

// inPath prefixes err's path with seg ("data[0]", "price", "[1]"). It is called on the way out
// of nested parsers, so only on the error path.
func inPath(err error, seg string) error {
	de, ok := err.(*DecodeError)
	if !ok {
		return err
	}
	switch {
	case de.Path == "":
		de.Path = seg
	case strings.HasPrefix(de.Path, "["):
		de.Path = seg + de.Path
	default:
		de.Path = seg + "." + de.Path
	}
	return de
}

// inIndex prefixes err's path with "[i]".
func inIndex(err error, i int) error { return inPath(err, "["+strconv.Itoa(i)+"]") }

// inField prefixes err's path with "name[i]".
func inField(err error, name string, i int) error {
	return inPath(err, name+"["+strconv.Itoa(i)+"]")
}

// MalformedCounts counts malformed frames by Reason.
type MalformedCounts struct {
	NotJSON   uint64
	Syntax    uint64
	Truncated uint64
	Shape     uint64
	Number    uint64
	Time      uint64
	Symbol    uint64
}

func (m *MalformedCounts) add(r Reason) {
	switch r {
	case ReasonNotJSON:
		m.NotJSON++
	case ReasonSyntax:
		m.Syntax++
	case ReasonTruncated:
		m.Truncated++
	case ReasonNumber:
		m.Number++
	case ReasonTime:
		m.Time++
	case ReasonSymbol:
		m.Symbol++
	default:
		m.Shape++
	}
}

// Total returns the number of malformed frames.
func (m MalformedCounts) Total() uint64 {
	return m.NotJSON + m.Syntax + m.Truncated + m.Shape + m.Number + m.Time + m.Symbol
}

// Stats are a Decoder's counters since it was created.
type Stats struct {
	Frames        uint64 // frames given to Decode
	Events        uint64 // events produced
	Unknown       uint64 // well-formed messages ignored: unknown or private channels, events and methods
	UnknownFields uint64 // unknown keys or extra array elements skipped inside known messages
	Malformed     MalformedCounts
}
