package backtest

import (
	"fmt"
	"slices"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/strategy"
)

// NewInstance builds one engine instance for s — a new strategy from reg with s.Params, the
// pairs, balances and account currency, and c.SimConfig(s.Name) — named s.Name. Callers may
// change the returned instance's Name and Sim (a sweep or the PnL band does) before running
// it; s may be a modified copy of one of c.Strategies. log is the parent logger of the
// instance (nil: zap.NewNop()).
//
// It lives here rather than in engine/config because it produces an engine.Instance:
// config is plain data below the engine (DESIGN's arrows: engine/* never imports engine),
// and this package is where runs are assembled from a config, above both.
func NewInstance(c *config.Config, s *config.Strategy, reg *strategy.Registry, log *zap.Logger) (engine.Instance, error) {
	if log == nil {
		log = zap.NewNop()
	}
	ilog := log.Named(s.Name)
	st, err := reg.New(s.Type, s.Params, ilog)
	if err != nil {
		return engine.Instance{}, fmt.Errorf("config: instance %s: %w", s.Name, err)
	}
	var deps []record.Deposit
	for _, d := range s.Balances {
		if d.Amount.Sign() > 0 {
			deps = append(deps, d)
		}
	}
	return engine.Instance{
		Name:            s.Name,
		Type:            s.Type,
		Strategy:        st,
		Pairs:           slices.Clone(s.Pairs),
		Balances:        deps,
		AccountCurrency: s.AccountCurrency,
		Sim:             c.SimConfig(s.Name),
		Log:             ilog,
	}, nil
}
