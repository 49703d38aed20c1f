package engine

import "fmt"

// Where a recovered panic happened (PanicError.Where).
const (
	PanicInStrategy  = "strategy"  // the strategy's own code, in one of its callbacks
	PanicInSimulator = "simulator" // the instance's simulated exchange or its ledger
	PanicInEngine    = "engine"    // the worker itself or a recorder it called
)

// PanicError is the fault of an instance stopped by a panic. Where says whose code
// panicked, so that a bug in the simulator is not reported as the strategy's: only a panic
// raised by the strategy's own code is PanicInStrategy, even when the simulator was
// reached through a Context call inside a callback.
type PanicError struct {
	Instance string
	Where    string // PanicInStrategy, PanicInSimulator or PanicInEngine
	Value    any    // what was passed to panic
	Stack    string // the panicking goroutine's stack
}

func (e *PanicError) Error() string {
	switch e.Where {
	case PanicInStrategy:
		return fmt.Sprintf("strategy %s panicked: %v\n%s", e.Instance, e.Value, e.Stack)
	case PanicInSimulator:
		return fmt.Sprintf("simulated exchange of %s panicked (a papertrade bug, not the strategy's: please report it with this stack): %v\n%s", e.Instance, e.Value, e.Stack)
	}
	return fmt.Sprintf("engine panicked running %s (a papertrade bug: please report it with this stack): %v\n%s", e.Instance, e.Value, e.Stack)
}

// site is the code a worker is running, kept up to date at every hand-over (engine →
// strategy callback → simulator through the Context, and back) so that a recovered panic
// can be attributed. It is set and reset by plain assignments, never deferred: a deferred
// reset would run during the panic's unwinding, before the recover reads it.
type site uint8

const (
	inEngine site = iota
	inStrategy
	inSimulator
)

func (s site) String() string {
	switch s {
	case inStrategy:
		return PanicInStrategy
	case inSimulator:
		return PanicInSimulator
	}
	return PanicInEngine
}
