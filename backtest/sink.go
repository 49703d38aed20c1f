package backtest

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/strategy"
)

// sink is the run's engine.Recorder: it streams every record of an instance to that
// instance's part files (fills, orders, equity) and its report.Collector, and keeps nothing
// else. The engine calls Record from each instance's own goroutine, so an instance's state
// is touched by one goroutine only and needs no lock; the map from names to instances is
// built before the run and only read during it.
type sink struct {
	insts  []*instSink
	byName map[string]*instSink
	dir    string // where part files go; "" writes no files
}

type instSink struct {
	name, model string
	col         *report.Collector
	files       [3]*partFile // fills, orders, equity
	open        map[strategy.OrderID]*openOrder
	seq         uint64
	err         error
}

type openOrder struct {
	seq     uint64
	created time.Time
	last    strategy.OrderUpdate
}

type partFile struct {
	path string
	f    *os.File
	buf  *bufio.Writer
	w    *csv.Writer
}

const (
	partFills = iota
	partOrders
	partEquity
)

var partNames = [3]string{"fills.csv", "orders.csv", "equity.csv"}
var partHeaders = [3][]string{report.FillsHeader, report.OrdersHeader, report.EquityHeader}

func newSink(dir string, ins []report.Instance) (*sink, error) {
	s := &sink{byName: make(map[string]*instSink, len(ins)), dir: dir}
	for i, in := range ins {
		is := &instSink{name: in.Name, model: in.FillModel, col: report.NewCollector(in), open: make(map[strategy.OrderID]*openOrder)}
		if dir != "" {
			for k := range is.files {
				p := filepath.Join(dir, fmt.Sprintf("%04d.%s", i, partNames[k]))
				f, err := os.Create(p)
				if err != nil {
					s.abort()
					return nil, fmt.Errorf("backtest: %w", err)
				}
				buf := bufio.NewWriterSize(f, 64<<10)
				is.files[k] = &partFile{path: p, f: f, buf: buf, w: csv.NewWriter(buf)}
			}
		}
		s.insts = append(s.insts, is)
		s.byName[in.Name] = is
	}
	return s, nil
}

// Record implements engine.Recorder.
func (s *sink) Record(r *engine.Record) {
	is := s.byName[r.Instance]
	if is == nil {
		return
	}
	is.col.Record(r)
	if s.dir == "" || is.err != nil {
		return
	}
	switch r.Kind {
	case engine.RecordFill:
		is.write(partFills, report.FillRow(is.name, is.model, &r.Fill))
	case engine.RecordEquity:
		is.write(partEquity, report.EquityRow(is.name, r.Time, r.Equity))
	case engine.RecordOrder:
		u := &r.Order
		id := u.Order.ID
		if id == "" || u.Status == strategy.StatusRejected && is.open[id] == nil {
			is.write(partOrders, report.OrderRow(is.name, r.Time, u))
			return
		}
		o := is.open[id]
		if o == nil {
			is.seq++
			o = &openOrder{seq: is.seq, created: r.Time}
			is.open[id] = o
		}
		o.last = *u
		if u.Status.Done() {
			is.write(partOrders, report.OrderRow(is.name, o.created, u))
			delete(is.open, id)
		}
	}
}

func (is *instSink) write(k int, row []string) {
	if err := is.files[k].w.Write(row); err != nil && is.err == nil {
		is.err = err
	}
}

// finish writes the orders still open, in the order they were placed, and flushes.
func (is *instSink) finish() error {
	if is.files[0] == nil {
		return nil
	}
	open := make([]*openOrder, 0, len(is.open))
	for _, o := range is.open {
		open = append(open, o)
	}
	slices.SortFunc(open, func(a, b *openOrder) int { return cmp.Compare(a.seq, b.seq) })
	for _, o := range open {
		is.write(partOrders, report.OrderRow(is.name, o.created, &o.last))
	}
	var errs []error
	for _, pf := range is.files {
		pf.w.Flush()
		errs = append(errs, pf.w.Error(), pf.buf.Flush(), pf.f.Close())
	}
	return errors.Join(append(errs, is.err)...)
}

// merge writes outDir/fills.csv, orders.csv and equity.csv: one header, then each
// instance's part in instance order (deterministic whatever the scheduling), and removes
// the parts.
func (s *sink) merge(outDir string) error {
	var errs []error
	for _, is := range s.insts {
		errs = append(errs, is.finish())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("backtest: writing results: %w", err)
	}
	if s.dir == "" {
		return nil
	}
	for k := range partNames {
		if err := s.mergeOne(outDir, k); err != nil {
			return err
		}
	}
	return os.RemoveAll(s.dir)
}

func (s *sink) mergeOne(outDir string, k int) error {
	f, err := os.Create(filepath.Join(outDir, partNames[k]))
	if err != nil {
		return fmt.Errorf("backtest: %w", err)
	}
	w := bufio.NewWriterSize(f, 256<<10)
	cw := csv.NewWriter(w)
	_ = cw.Write(partHeaders[k])
	cw.Flush()
	for _, is := range s.insts {
		p, err := os.Open(is.files[k].path)
		if err != nil {
			f.Close()
			return fmt.Errorf("backtest: %w", err)
		}
		_, err = io.Copy(w, p)
		p.Close()
		if err != nil {
			f.Close()
			return fmt.Errorf("backtest: writing %s: %w", partNames[k], err)
		}
	}
	if err := errors.Join(cw.Error(), w.Flush(), f.Close()); err != nil {
		return fmt.Errorf("backtest: writing %s: %w", partNames[k], err)
	}
	return nil
}

// abort closes and removes the part files after a failure.
func (s *sink) abort() {
	for _, is := range s.insts {
		for _, pf := range is.files {
			if pf != nil {
				pf.f.Close()
			}
		}
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}
