package strategy

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"go.uber.org/zap"
)

// Factory creates one strategy instance from its parameters. It decodes params into its
// typed parameter struct (params.Decode) and returns the error if they are wrong; log is the
// instance's logger (also available later as Context.Log). A factory must not start
// goroutines or do I/O: it may be called many times (one instance per account, thousands in
// a sweep).
type Factory func(params Params, log *zap.Logger) (Strategy, error)

// Info describes a registered strategy for listings (`papertrade strategies`), config
// validation and sweeps.
type Info struct {
	Name   string
	Help   string      // one paragraph
	Params []ParamSpec // in declaration order
}

// Registry maps strategy names to factories. It is a value that the program builds at start
// (builtin.Register(r) adds the samples; a user's module adds its own next to them) and
// hands to the engine; there is no global registry.
//
// Register is meant for program start; all methods are safe for concurrent use.
type Registry struct {
	mu      sync.RWMutex
	entries map[string]entry
}

type entry struct {
	info    Info
	factory Factory
}

// NewRegistry returns an empty registry. The zero Registry is also ready to use.
func NewRegistry() *Registry { return &Registry{} }

// Register adds a strategy under name. paramsProto is the strategy's parameter struct (or a
// pointer to it, or nil when it has none); its tags are read once here so that listings and
// sweeps need no instance. help is a paragraph for `papertrade strategies`.
//
// Register panics, like database/sql.Register, when name is empty or not a valid parameter
// style name (lower case letters, digits, '_', '-', '.'), when it is already registered,
// when f is nil, or when paramsProto's tags are malformed: all are programming errors that
// must surface at start, not in the middle of a run.
func (r *Registry) Register(name string, f Factory, paramsProto any, help string) {
	if !validName(name) {
		panic(fmt.Sprintf("strategy: Register: bad strategy name %q", name))
	}
	if f == nil {
		panic("strategy: Register: nil factory for " + name)
	}
	specs, err := DescribeParams(paramsProto)
	if err != nil {
		panic(fmt.Sprintf("strategy: Register %s: %v", name, err))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.entries[name]; dup {
		panic("strategy: Register called twice for " + name)
	}
	if r.entries == nil {
		r.entries = make(map[string]entry)
	}
	r.entries[name] = entry{info: Info{Name: name, Help: strings.TrimSpace(help), Params: specs}, factory: f}
}

// Lookup returns the factory registered under name.
func (r *Registry) Lookup(name string) (Factory, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.entries[name]
	return e.factory, ok
}

// Describe returns what is known about the strategy registered under name.
func (r *Registry) Describe(name string) (Info, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.entries[name]
	e.info.Params = slices.Clone(e.info.Params)
	return e.info, ok
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.namesLocked()
}

// ErrUnknownStrategy is wrapped by New's error for a name that is not registered.
var ErrUnknownStrategy = errors.New("unknown strategy")

// New creates an instance of the strategy registered under name. Before calling the factory
// it rejects parameter names the strategy does not declare (so a typo fails even if the
// factory ignores its params); it turns a factory panic into an error, because a factory is
// plug-in code and one bad instance must not bring the run down. A nil log means
// zap.NewNop().
func (r *Registry) New(name string, params Params, log *zap.Logger) (s Strategy, err error) {
	r.mu.RLock()
	e, ok := r.entries[name]
	known := r.namesLocked()
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (registered: %s)", ErrUnknownStrategy, name, strings.Join(known, ", "))
	}
	var errs []error
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.ContainsFunc(e.info.Params, func(p ParamSpec) bool { return p.Name == k }) {
			names := make([]string, len(e.info.Params))
			for i, p := range e.info.Params {
				names[i] = p.Name
			}
			slices.Sort(names)
			list := strings.Join(names, ", ")
			if list == "" {
				list = "none"
			}
			errs = append(errs, &ParamError{Key: k, Value: params[k], Err: fmt.Errorf("%w (known: %s)", ErrUnknownParam, list)})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("strategy %s: %w", name, err)
	}
	if log == nil {
		log = zap.NewNop()
	}
	defer func() {
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("strategy %s: factory panicked: %v\n%s", name, p, debug.Stack())
		}
	}()
	s, err = e.factory(params, log)
	if err != nil {
		return nil, fmt.Errorf("strategy %s: %w", name, err)
	}
	if s == nil {
		return nil, fmt.Errorf("strategy %s: factory returned no strategy", name)
	}
	return s, nil
}

func (r *Registry) namesLocked() []string {
	names := make([]string, 0, len(r.entries))
	for n := range r.entries {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
