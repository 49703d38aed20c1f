package backtest

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/strategy"
)

// sink is the run's engine.Recorder: it streams every record of an instance to the run's part
// files (fills, orders, equity) and the instance's report.Collector, and keeps nothing else.
// The engine calls Record from each instance's own goroutine, so an instance's state is
// touched by one goroutine only and needs no lock; the map from names to instances is built
// before the run and only read during it.
//
// Part files: three for the whole run, whatever the number of instances (issue 15 item 15:
// three per instance ran out of file descriptors past ~338 instances at the usual limit of
// 1024). Each instance buffers its rows in memory and, past a threshold, appends the buffer as
// a chunk to the kind's part file: it reserves the chunk's offset with an atomic add and
// writes it with WriteAt (pwrite), so instances never wait for each other. The instance
// remembers its chunks; merge copies them instance by instance, in order, so the results are
// deterministic whatever the scheduling.
type sink struct {
	insts  []*instSink
	byName map[string]*instSink
	dir    string       // where part files go; "" writes no files
	parts  [3]*partFile // fills, orders, equity; nil without dir
	spill  int          // an instance's buffer size that makes a chunk
}

type instSink struct {
	name, model string
	col         *report.Collector
	files       *[3]*partFile
	bufs        [3]instBuf
	spill       int
	open        map[strategy.OrderID]*openOrder
	seq         uint64
	err         error
}

// instBuf is one instance's rows of one kind not yet in the part file, and where its earlier
// rows went.
type instBuf struct {
	buf    bytes.Buffer
	w      *csv.Writer // writes into buf
	chunks []chunk
}

type chunk struct{ off, n int64 }

type openOrder struct {
	seq     uint64
	created time.Time
	last    strategy.OrderUpdate
}

// partFile is one kind's part file, shared by every instance.
type partFile struct {
	f   *os.File
	end atomic.Int64 // bytes reserved so far
}

const (
	partFills = iota
	partOrders
	partEquity
)

var partNames = [3]string{"fills.csv", "orders.csv", "equity.csv"}
var partHeaders = [3][]string{report.FillsHeader, report.OrdersHeader, report.EquityHeader}

// Spill thresholds: an instance's buffer becomes a chunk at spillMax bytes, less when there
// are many instances, so that all buffers together stay near spillBudget (but no chunk is
// smaller than spillMin: tiny writes would cost more than the memory they save).
const (
	spillMax    = 64 << 10
	spillMin    = 4 << 10
	spillBudget = 96 << 20
)

func newSink(dir string, ins []report.Instance) (*sink, error) {
	s := &sink{byName: make(map[string]*instSink, len(ins)), dir: dir}
	s.spill = min(spillMax, max(spillMin, spillBudget/(3*max(1, len(ins)))))
	if dir != "" {
		for k := range s.parts {
			f, err := os.Create(filepath.Join(dir, partNames[k]+".part"))
			if err != nil {
				s.abort()
				return nil, fmt.Errorf("backtest: %w", err)
			}
			s.parts[k] = &partFile{f: f}
		}
	}
	for _, in := range ins {
		is := &instSink{name: in.Name, model: in.FillModel, col: report.NewCollector(in), spill: s.spill,
			open: make(map[strategy.OrderID]*openOrder)}
		if dir != "" {
			is.files = &s.parts
			for k := range is.bufs {
				is.bufs[k].w = csv.NewWriter(&is.bufs[k].buf)
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
	b := &is.bufs[k]
	if err := b.w.Write(row); err != nil {
		is.fail(err)
		return
	}
	// The csv.Writer's own buffer goes into b.buf at once, so b.buf's length is what waits.
	b.w.Flush()
	if b.buf.Len() >= is.spill {
		is.flush(k)
	}
}

func (is *instSink) fail(err error) {
	if is.err == nil {
		is.err = err
	}
}

// flush appends the kind's buffered rows to the shared part file as one chunk.
func (is *instSink) flush(k int) {
	b := &is.bufs[k]
	if err := b.w.Error(); err != nil {
		is.fail(err)
	}
	n := int64(b.buf.Len())
	if n == 0 || is.err != nil {
		return
	}
	pf := is.files[k]
	off := pf.end.Add(n) - n
	if _, err := pf.f.WriteAt(b.buf.Bytes(), off); err != nil {
		is.fail(fmt.Errorf("writing %s: %w", partNames[k], err))
		return
	}
	b.chunks = append(b.chunks, chunk{off, n})
	b.buf.Reset()
}

// finish writes the orders still open, in the order they were placed, and flushes.
func (is *instSink) finish() error {
	if is.files == nil {
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
	for k := range is.bufs {
		is.flush(k)
	}
	return is.err
}

// merge writes outDir/fills.csv, orders.csv and equity.csv: one header, then each
// instance's chunks in instance order (deterministic whatever the scheduling), and removes
// the parts.
func (s *sink) merge(outDir string) error {
	var errs []error
	for _, is := range s.insts {
		errs = append(errs, is.finish())
	}
	if err := errors.Join(errs...); err != nil {
		s.abort()
		return fmt.Errorf("backtest: writing results: %w", err)
	}
	if s.dir == "" {
		return nil
	}
	for k := range partNames {
		if err := s.mergeOne(outDir, k); err != nil {
			s.abort()
			return err
		}
	}
	s.abort() // done with the parts: close and remove them
	return nil
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
	part := s.parts[k].f
	for _, is := range s.insts {
		for _, c := range is.bufs[k].chunks {
			if _, err := io.Copy(w, io.NewSectionReader(part, c.off, c.n)); err != nil {
				f.Close()
				return fmt.Errorf("backtest: writing %s: %w", partNames[k], err)
			}
		}
	}
	if err := errors.Join(cw.Error(), w.Flush(), f.Close()); err != nil {
		return fmt.Errorf("backtest: writing %s: %w", partNames[k], err)
	}
	return nil
}

// abort closes and removes the part files (after a failure, or once merged).
func (s *sink) abort() {
	for i, pf := range s.parts {
		if pf != nil {
			pf.f.Close()
			s.parts[i] = nil
		}
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}
