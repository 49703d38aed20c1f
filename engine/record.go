package engine

import "github.com/papertrade/papertrade/engine/record"

// The record vocabulary lives in engine/record, a leaf every sink imports without linking the
// engine; these aliases keep the engine's own names working.
type (
	// RecordKind is record.Kind.
	RecordKind = record.Kind
	// Record is record.Record.
	Record = record.Record
	// Recorder is record.Recorder.
	Recorder = record.Recorder
	// MemoryRecorder is record.Memory.
	MemoryRecorder = record.Memory
	// Deposit is record.Deposit: a starting balance.
	Deposit = record.Deposit
	// InstanceResult is record.InstanceResult: one instance's final state.
	InstanceResult = record.InstanceResult
)

// The kinds of record, under the engine's names.
const (
	RecordOrder  = record.KindOrder
	RecordFill   = record.KindFill
	RecordEquity = record.KindEquity
	RecordFault  = record.KindFault
	RecordLag    = record.KindLag
	RecordMargin = record.KindMargin
)
