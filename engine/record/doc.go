// Package record is the vocabulary of what a run produces: the records each strategy
// instance's worker emits (order updates, fills, equity samples, faults, lag reports), the
// Recorder interface every sink implements (journal, report collectors, metrics, dashboard),
// the starting deposits and an instance's final state.
//
// It is a leaf of the engine: it imports only feed, strategy and decimal, so a sink can
// consume records without linking the engine, the simulator or the ledger (DESIGN §3: no
// engine/* package imports engine). The engine re-exports these types under their old
// names (engine.Record, engine.Recorder, …) as aliases.
package record
