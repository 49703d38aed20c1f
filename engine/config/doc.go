// Package config is papertrade's run configuration: the YAML file that `papertrade backtest`,
// `papertrade sweep` and `papertrade live` share. It says which strategy instances run, on
// which pairs, with which starting balances and parameters, and how the simulated exchange
// behaves (latency, fill model, slippage, fees); backtests read the data section and sweeps
// the sweep section, live sessions the live section, and each ignores the others.
//
// # Contract
//
// Loading is strict and complete: every key must be known (a typo is an error, not a
// silently ignored setting), every value must parse, every strategy type and parameter must
// exist in the strategy registry, every pair in the pair table, and no balance may be
// negative. Load checks all of this before anything starts and reports every problem it
// finds at once, each as an *Error naming the file, the line and column, and the key path
// ("strategies[1].balances.USD"). Numbers that become money (balances, fees, slippage) are
// read from the YAML text as decimals, never through float64.
//
// A loaded Config is plain data: it holds no strategy instances and no registry, and it does
// not import the engine (DESIGN's arrows: engine/* never imports engine). backtest.Instances
// and backtest.NewInstance build fresh engine instances from it each time they are called (a
// sweep builds thousands), so one Config can configure any number of runs.
//
// # Determinism
//
// Everything that reaches a run is ordered as written in the file (strategies, pairs,
// balances) or sorted; no map order leaks. Each instance's simulator seed derives from the
// run seed and the instance's name (SeedFor), so adding an instance does not change the
// others' latency draws.
//
// ExampleYAML is a commented example that runs as-is on a tape made by `papertrade tape
// synth` with its default pairs.
package config
