package feed

// BatchRecycler is implemented by a Source that can reuse the batches it sent instead of
// allocating a fresh one for every send (a replay sends one 256-event batch per 256 events,
// about 60 KB each). A receiver that knows when nothing reads a batch any more — every
// consumer finished with it and nobody kept a pointer into it — may hand it back with
// Recycle; from then on the source may overwrite it. Events copied out of a batch (values,
// and the payloads their pointers share) stay valid. Handing batches back is optional: a
// receiver that never calls Recycle is correct, and the source allocates when it has none.
//
// Recycle may be called from any goroutine, concurrently with Run, and never blocks.
//
// It is an optional ability found by type assertion (as http.Flusher is), public so that a
// Source written outside papertrade can offer it to the engine too.
type BatchRecycler interface {
	Recycle(batch []Event)
}
