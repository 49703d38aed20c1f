package backtest

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/papertrade/papertrade/engine/report"
)

// Diff compares two backtest result directories: what their inputs differ in (manifest:
// config keys, seed, data hashes, fill models, version) and, per strategy instance, where
// its orders and fills first diverge and why.
type Diff struct {
	A, B       string
	Inputs     []string // differences between the manifests, one per line; empty when the same
	Strategies []StrategyDiff
}

// Same reports whether both runs produced identical orders and fills for every instance.
func (d *Diff) Same() bool {
	for _, s := range d.Strategies {
		if !s.Same() {
			return false
		}
	}
	return true
}

// StrategyDiff compares one instance of the two runs.
type StrategyDiff struct {
	Name             string
	Missing          string // "A" or "B" when the instance is only in the other run
	FillsA, FillsB   int
	OrdersA, OrdersB int
	Order            *Divergence // first differing order (by placement), nil when none
	Fill             *Divergence // first differing fill, nil when none
}

// Same reports whether the instance's orders and fills are identical in both runs.
func (s *StrategyDiff) Same() bool { return s.Missing == "" && s.Order == nil && s.Fill == nil }

// First returns the earlier of the first differing order and fill (in event time; the fill
// on a tie): where the runs started to go apart.
func (s *StrategyDiff) First() *Divergence {
	switch {
	case s.Order == nil:
		return s.Fill
	case s.Fill == nil:
		return s.Order
	case !s.Order.Time.Before(s.Fill.Time):
		return s.Fill // at the same time the fill says more (its model, price, evidence)
	}
	return s.Order
}

// Divergence is the first row where the runs differ.
type Divergence struct {
	What   string // "order" or "fill"
	Index  int    // 1-based position among the instance's orders (by placement) or fills
	Time   time.Time
	Header []string
	A, B   []string // the rows; nil when the run has no such row
	Fields []string // columns that differ
	Cause  string   // signal/order, price, fee, latency/time, model, quantity, liquidity, missing
	Why    string   // one sentence
}

// DiffRuns compares result directories a and b.
func DiffRuns(a, b string) (*Diff, error) {
	d := &Diff{A: a, B: b}
	ma, err := readManifest(a)
	if err != nil {
		return nil, err
	}
	mb, err := readManifest(b)
	if err != nil {
		return nil, err
	}
	d.Inputs = diffManifests(ma, mb)
	fa, err := readRows(filepath.Join(a, "fills.csv"), report.FillsHeader)
	if err != nil {
		return nil, err
	}
	fb, err := readRows(filepath.Join(b, "fills.csv"), report.FillsHeader)
	if err != nil {
		return nil, err
	}
	oa, err := readRows(filepath.Join(a, "orders.csv"), report.OrdersHeader)
	if err != nil {
		return nil, err
	}
	ob, err := readRows(filepath.Join(b, "orders.csv"), report.OrdersHeader)
	if err != nil {
		return nil, err
	}
	names := slices.Clone(ma.Instances)
	for _, n := range mb.Instances {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, n := range names {
		sd := StrategyDiff{Name: n}
		switch {
		case !slices.Contains(ma.Instances, n):
			sd.Missing = "A"
		case !slices.Contains(mb.Instances, n):
			sd.Missing = "B"
		}
		fra, frb := fa[n], fb[n]
		ora, orb := byPlacement(oa[n]), byPlacement(ob[n])
		sd.FillsA, sd.FillsB, sd.OrdersA, sd.OrdersB = len(fra), len(frb), len(ora), len(orb)
		if sd.Missing == "" {
			sd.Fill = firstDiff("fill", report.FillsHeader, fra, frb, 2, explainFill)
			sd.Order = firstDiff("order", report.OrdersHeader, ora, orb, 11, explainOrder)
		}
		d.Strategies = append(d.Strategies, sd)
	}
	return d, nil
}

func readManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("backtest: diff: %s is not a results directory: %w", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("backtest: diff: %s/manifest.json: %w", dir, err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("backtest: diff: %s/manifest.json is not a papertrade run manifest", dir)
	}
	return &m, nil
}

// readRows reads a results CSV and groups its rows by instance (first column), keeping
// their order.
func readRows(path string, header []string) (map[string][][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("backtest: diff: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = false
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("backtest: diff: %s: %w", path, err)
	}
	if len(head) < len(header) || !slices.Equal(head[:len(header)], header) {
		return nil, fmt.Errorf("backtest: diff: %s: unexpected header %v", path, head)
	}
	out := map[string][][]string{}
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("backtest: diff: %s: %w", path, err)
		}
		out[row[0]] = append(out[row[0]], row)
	}
}

// byPlacement orders an instance's orders.csv rows (written as orders end) by when they were
// placed, so that the n-th order of both runs is the n-th decision of the strategy.
func byPlacement(rows [][]string) [][]string {
	out := slices.Clone(rows)
	at := func(r []string) time.Time { t, _ := time.Parse(time.RFC3339Nano, r[11]); return t }
	slices.SortStableFunc(out, func(a, b []string) int { return at(a).Compare(at(b)) })
	return out
}

// firstDiff finds the first differing row of two instance's row lists; timeCol is the
// column whose time is the row's time.
func firstDiff(what string, header []string, a, b [][]string, timeCol int, explain func(*Divergence)) *Divergence {
	n := max(len(a), len(b))
	for i := range n {
		var ra, rb []string
		if i < len(a) {
			ra = a[i]
		}
		if i < len(b) {
			rb = b[i]
		}
		if ra != nil && rb != nil && slices.Equal(ra, rb) {
			continue
		}
		d := &Divergence{What: what, Index: i + 1, Header: header, A: ra, B: rb}
		row := ra
		if row == nil {
			row = rb
		}
		d.Time, _ = time.Parse(time.RFC3339Nano, row[timeCol])
		if ra != nil && rb != nil {
			if tb, err := time.Parse(time.RFC3339Nano, rb[timeCol]); err == nil && tb.Before(d.Time) {
				d.Time = tb
			}
			for j := range min(len(ra), len(rb)) {
				if ra[j] != rb[j] {
					d.Fields = append(d.Fields, header[j])
				}
			}
		}
		explain(d)
		return d
	}
	return nil
}

func has(fields []string, names ...string) bool {
	for _, n := range names {
		if slices.Contains(fields, n) {
			return true
		}
	}
	return false
}

func explainFill(d *Divergence) {
	switch {
	case d.A == nil || d.B == nil:
		run := "A"
		if d.A == nil {
			run = "B"
		}
		d.Cause, d.Why = "missing", fmt.Sprintf("only run %s has this fill: the other run's order did not fill (or was not placed)", run)
	case has(d.Fields, "model"):
		d.Cause, d.Why = "model", fmt.Sprintf("the instances ran under different fill models (%s vs %s)", d.A[10], d.B[10])
	case has(d.Fields, "pair", "side"):
		d.Cause, d.Why = "signal/order", "a different order filled: the strategy decided differently before this point"
	case has(d.Fields, "order_id") && !has(d.Fields, "price", "qty", "time"):
		d.Cause, d.Why = "signal/order", "the same execution belongs to a different order: the runs placed orders differently before this point"
	case has(d.Fields, "time"):
		why := fmt.Sprintf("the same order filled at a different time (%s vs %s): latency, jitter or seed", d.A[2], d.B[2])
		if has(d.Fields, "price", "qty") {
			why += ", and so at a different price or quantity"
		}
		d.Cause, d.Why = "latency/time", why
	case has(d.Fields, "price"):
		why := "filled at a different price"
		if strings.Contains(d.A[11]+d.B[11], "slippage") {
			why += " (slippage setting)"
		} else if d.A[11] != d.B[11] {
			why += fmt.Sprintf(": different evidence (%s vs %s)", d.A[11], d.B[11])
		}
		d.Cause, d.Why = "price", why
	case has(d.Fields, "qty"):
		d.Cause, d.Why = "quantity", "filled a different quantity: queue position, printed volume or available liquidity"
	case has(d.Fields, "fee", "fee_asset"):
		d.Cause, d.Why = "fee", fmt.Sprintf("the same fill paid a different fee (%s vs %s): fee tier or override", d.A[7], d.B[7])
	case has(d.Fields, "liquidity"):
		d.Cause, d.Why = "liquidity", "the same fill was maker in one run and taker in the other"
	default:
		d.Cause, d.Why = "evidence", "the same fill with different provenance"
	}
}

func explainOrder(d *Divergence) {
	switch {
	case d.A == nil || d.B == nil:
		run := "A"
		if d.A == nil {
			run = "B"
		}
		d.Cause, d.Why = "signal/order", fmt.Sprintf("only run %s placed this order", run)
	case has(d.Fields, "pair", "side", "type", "qty", "price", "price2", "time_in_force", "post_only"):
		d.Cause, d.Why = "signal/order", "the strategy placed a different order"
	case has(d.Fields, "created"):
		// Placement happens on an event, before any latency: a different placement time is a
		// different decision, not a slower network.
		d.Cause, d.Why = "signal/order", "the strategy placed the same order on a different event"
	case has(d.Fields, "status", "filled", "avg_price", "fee", "reason", "updated"):
		// Same request, same placement: the difference is in its execution, which starts
		// when the later of the two runs updated it.
		ua, _ := time.Parse(time.RFC3339Nano, d.A[12])
		ub, _ := time.Parse(time.RFC3339Nano, d.B[12])
		d.Time = ua
		if ub.Before(ua) {
			d.Time = ub
		}
		switch {
		case has(d.Fields, "updated") && !has(d.Fields, "status", "filled"):
			d.Cause, d.Why = "latency/time", fmt.Sprintf("the same order executed at a different time (%s vs %s): latency, jitter or seed", d.A[12], d.B[12])
		case has(d.Fields, "fee") && !has(d.Fields, "filled", "avg_price", "status", "updated"):
			d.Cause, d.Why = "fee", "the same execution paid a different fee: fee tier or override"
		case has(d.Fields, "avg_price") && !has(d.Fields, "filled", "status"):
			d.Cause, d.Why = "price", fmt.Sprintf("the same order filled at a different average price (%s vs %s)", d.A[15], d.B[15])
		default:
			d.Cause, d.Why = "execution", fmt.Sprintf("the same order ended differently (%s, filled %s vs %s, filled %s)", d.A[13], d.A[14], d.B[13], d.B[14])
		}
	case has(d.Fields, "order_id"):
		d.Cause, d.Why = "seed", "the same order got another id: a different seed"
	default:
		d.Cause, d.Why = "other", "the order rows differ"
	}
}

// diffManifests lists how the inputs of two runs differ.
func diffManifests(a, b *Manifest) []string {
	var out []string
	if a.Papertrade != b.Papertrade {
		out = append(out, fmt.Sprintf("papertrade version: %s → %s", a.Papertrade, b.Papertrade))
	}
	if a.Seed != b.Seed {
		out = append(out, fmt.Sprintf("seed: %d → %d", a.Seed, b.Seed))
	}
	if !slices.Equal(a.FillModels, b.FillModels) {
		out = append(out, fmt.Sprintf("fill models: %s → %s", strings.Join(a.FillModels, ","), strings.Join(b.FillModels, ",")))
	}
	if a.From != b.From || a.To != b.To {
		out = append(out, fmt.Sprintf("data range: [%s, %s) → [%s, %s)", a.From, a.To, b.From, b.To))
	}
	da, db := map[string]string{}, map[string]string{}
	for _, f := range a.Data {
		da[f.Path] = f.SHA256
	}
	for _, f := range b.Data {
		db[f.Path] = f.SHA256
	}
	for _, p := range sortedUnion(da, db) {
		switch {
		case da[p] == "":
			out = append(out, "data: "+p+" only in B")
		case db[p] == "":
			out = append(out, "data: "+p+" only in A")
		case da[p] != db[p]:
			out = append(out, "data: "+p+" differs (sha256)")
		}
	}
	if a.ConfigHash != b.ConfigHash {
		ka, kb := flattenYAML(a.Config), flattenYAML(b.Config)
		n := len(out)
		for _, k := range sortedUnion(ka, kb) {
			va, oka := ka[k]
			vb, okb := kb[k]
			switch {
			case !oka:
				out = append(out, fmt.Sprintf("config %s: (unset) → %s", k, vb))
			case !okb:
				out = append(out, fmt.Sprintf("config %s: %s → (unset)", k, va))
			case va != vb:
				out = append(out, fmt.Sprintf("config %s: %s → %s", k, va, vb))
			}
		}
		if len(out) == n {
			out = append(out, "config: same settings, different text (comments or layout)")
		}
	}
	return out
}

func sortedUnion(a, b map[string]string) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// flattenYAML maps every leaf of a YAML document to its path ("strategies[0].params.fast").
func flattenYAML(text string) map[string]string {
	out := map[string]string{}
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(text), &root); err != nil {
		out["(unparsable)"] = text
		return out
	}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], joinPath(path, n.Content[i].Value))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		case yaml.AliasNode:
			if n.Alias != nil {
				walk(n.Alias, path)
			}
		default:
			out[path] = n.Value
		}
	}
	walk(&root, "")
	return out
}

func joinPath(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

// Write prints the comparison for people.
func (d *Diff) Write(w io.Writer) error {
	bw := &errWriter{w: w}
	bw.printf("A: %s\nB: %s\n", d.A, d.B)
	if len(d.Inputs) == 0 {
		bw.printf("inputs: identical (config, seed, data, fill models, version)\n")
	} else {
		bw.printf("inputs differ:\n")
		for _, l := range d.Inputs {
			bw.printf("  %s\n", l)
		}
	}
	for i := range d.Strategies {
		s := &d.Strategies[i]
		switch {
		case s.Missing != "":
			bw.printf("\n%s: only in run %s\n", s.Name, map[string]string{"A": "B", "B": "A"}[s.Missing])
			continue
		case s.Same():
			bw.printf("\n%s: identical (%d orders, %d fills)\n", s.Name, s.OrdersA, s.FillsA)
			continue
		}
		bw.printf("\n%s: %d vs %d orders, %d vs %d fills\n", s.Name, s.OrdersA, s.OrdersB, s.FillsA, s.FillsB)
		first := s.First()
		for _, dv := range []*Divergence{s.Order, s.Fill} {
			if dv == nil {
				continue
			}
			tag := ""
			if dv == first {
				tag = " (first divergence)"
			}
			bw.printf("  %s #%d at %s%s — %s: %s\n", dv.What, dv.Index, dv.Time.UTC().Format(time.RFC3339Nano), tag, dv.Cause, dv.Why)
			if len(dv.Fields) > 0 {
				bw.printf("    differs in: %s\n", strings.Join(dv.Fields, ", "))
			}
			bw.printf("    A: %s\n    B: %s\n", rowText(dv.A), rowText(dv.B))
		}
	}
	if d.Same() {
		bw.printf("\nresults: identical\n")
	}
	return bw.err
}

func rowText(r []string) string {
	if r == nil {
		return "(none)"
	}
	return strings.Join(r, ",")
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
