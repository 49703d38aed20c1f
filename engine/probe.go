package engine

import (
	"sync"

	"github.com/papertrade/papertrade/engine/record"
)

// Probe reads a running engine's per-instance state from another goroutine: give one to
// Config.Probe, then call Backlog while Run runs (a metrics scrape, the dashboard). Before
// Run builds its workers, and for a Probe never given to a run, it reports nothing. A Probe
// serves one run. It is safe for concurrent use.
type Probe struct {
	mu      sync.Mutex
	workers []*worker
}

// Backlog is record.Backlog: one instance's queue.
type Backlog = record.Backlog

func (p *Probe) attach(ws []*worker) {
	p.mu.Lock()
	p.workers = ws
	p.mu.Unlock()
}

// Backlog returns every instance's backlog, in the order of Config.Instances. Each entry
// costs one short lock of that worker's inbox.
func (p *Probe) Backlog() []Backlog {
	p.mu.Lock()
	ws := p.workers
	p.mu.Unlock()
	out := make([]Backlog, 0, len(ws))
	for _, w := range ws {
		out = append(out, Backlog{Instance: w.in.Name, Events: w.inbox.queued(), Stopped: w.isStopped()})
	}
	return out
}
