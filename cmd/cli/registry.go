package cli

import (
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/builtin"
)

// DefaultRegistry returns a new registry holding the built-in sample strategies. A user's
// module adds its own strategies to it and passes it to Main.
func DefaultRegistry() *strategy.Registry {
	r := strategy.NewRegistry()
	builtin.Register(r)
	return r
}
