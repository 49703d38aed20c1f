package session

import (
	"fmt"
	"io"
	"strings"

	"github.com/papertrade/papertrade/engine/record"
)

// Parity compares the fills a live session journaled with the fills its replay produced.
type Parity struct {
	Session   int64
	Instances []InstanceParity
	// First is the first fill that differs (nil when every compared fill is equal).
	First *Divergence
	// Crashed is set when the session did not close cleanly: its journal and its recording
	// may each have lost a different tail, so only their common part is compared.
	Crashed bool
}

// InstanceParity is one instance's comparison.
type InstanceParity struct {
	Name    string
	Journal int // fills in the journal
	Replay  int // fills in the replay
	Equal   int // leading fills that are equal
}

// Divergence is the first fill that differs.
type Divergence struct {
	Instance string
	Index    int    // 0-based, among the instance's fills
	Journal  string // "" when the journal has no such fill
	Replay   string // "" when the replay has no such fill
}

// OK reports whether the replay reproduced the session: every fill equal and, for a session
// that closed cleanly, the same number of fills.
func (p *Parity) OK() bool {
	if p.First != nil {
		return false
	}
	for _, in := range p.Instances {
		if !p.Crashed && in.Journal != in.Replay {
			return false
		}
	}
	return true
}

// FillKey renders what must be equal between a fill and its replay: the event that caused it,
// its time, order, pair, side, quantity, price, fee, liquidity and provenance.
func FillKey(r *record.Record) string {
	f := &r.Fill
	return fmt.Sprintf("seq=%d t=%d %s %s %s %s@%s fee=%s %s %s %s %v %v q=%s %q", r.Seq, r.Time.UnixNano(), f.OrderID, f.Pair, f.Side,
		f.Qty, f.Price, f.Fee, f.FeeAsset, f.Liquidity, f.Provenance.Model, f.Provenance.TradeIDs, f.Provenance.Levels,
		f.Provenance.QueueAhead, f.Provenance.Note)
}

// CompareFills compares journaled and replayed records, instance by instance in the order of
// names. In a crashed session a replay or journal that stops early is not a divergence; a
// different fill always is.
func CompareFills(session int64, crashed bool, names []string, journal, replay []record.Record) *Parity {
	p := &Parity{Session: session, Crashed: crashed}
	fills := func(recs []record.Record, name string) []string {
		var out []string
		for i := range recs {
			if recs[i].Kind == record.KindFill && recs[i].Instance == name {
				out = append(out, FillKey(&recs[i]))
			}
		}
		return out
	}
	for _, name := range names {
		j, r := fills(journal, name), fills(replay, name)
		ip := InstanceParity{Name: name, Journal: len(j), Replay: len(r)}
		for ip.Equal < len(j) && ip.Equal < len(r) && j[ip.Equal] == r[ip.Equal] {
			ip.Equal++
		}
		p.Instances = append(p.Instances, ip)
		if p.First != nil {
			continue
		}
		n := ip.Equal
		switch {
		case n < len(j) && n < len(r):
			p.First = &Divergence{Instance: name, Index: n, Journal: j[n], Replay: r[n]}
		case crashed:
		case n < len(j):
			p.First = &Divergence{Instance: name, Index: n, Journal: j[n]}
		case n < len(r):
			p.First = &Divergence{Instance: name, Index: n, Replay: r[n]}
		}
	}
	return p
}

// Write prints the comparison for a terminal.
func (p *Parity) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "replay of session %d", p.Session)
	if p.Crashed {
		b.WriteString(" (the session crashed: comparing what both kept)")
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "  %-24s %8s %8s %8s\n", "instance", "journal", "replay", "equal")
	total := 0
	for _, in := range p.Instances {
		fmt.Fprintf(&b, "  %-24s %8d %8d %8d\n", in.Name, in.Journal, in.Replay, in.Equal)
		total += in.Equal
	}
	if p.OK() {
		fmt.Fprintf(&b, "parity: OK — %d fills compared, all equal\n", total)
	} else if d := p.First; d != nil {
		fmt.Fprintf(&b, "parity: FAILED — first divergence at %s fill #%d\n  journal: %s\n  replay:  %s\n", d.Instance, d.Index+1, orNone(d.Journal), orNone(d.Replay))
	} else {
		b.WriteString("parity: FAILED — fill counts differ\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
