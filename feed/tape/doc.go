// Package tape records raw market-data frames and replays them: the Writer stores every
// WebSocket frame as it arrived, with its receive time, and the Reader streams frames back in
// receive order, or turns them into feed.Events through the same normaliser a live feed uses
// (Events, Source). Because the raw frames are kept, a decoder or connection-rule fix applies
// to old recordings.
//
// # Format, version 1
//
// This is a contract: scripts outside papertrade may read and write it. Anything that would
// change the meaning of a version-1 file gets a new version number; a reader refuses a
// manifest whose version it does not know.
//
// A recording is what one Writer produced: a manifest and its segments. A directory may hold
// any number of recordings (several connections, restarts after a crash); a Reader opening the
// directory merges them all.
//
//	DIR/<name>-<YYYYMMDDTHHMMSS.mmmZ>.manifest.json
//	DIR/<YYYY-MM-DD>/<name>-<YYYYMMDDTHHMMSS.mmmZ>-<NNNNNN>.jsonl.zst
//
// <name> is the writer's name (default "seg"; letters, digits, '.', '_', '-'). A segment's
// time stamp is the receive time of its first frame in UTC, truncated to milliseconds, and
// its date directory is that day; NNNNNN counts the recording's segments from 000001. The
// manifest takes the name and time of the recording's first segment. Names therefore sort by
// time, and the time comes from the data, not the wall clock, so imported history lands under
// the days it happened.
//
// A segment is one zstd frame (RFC 8878; `zstd -dc` reads it) of JSON lines, one line per
// recorded frame, each ending in "\n". The canonical line is
//
//	{"recv":<int>,"api":"<api>","conn":<uint>,"raw":<frame>}
//
// with exactly this member order and no spaces. recv is the receive time in nanoseconds since
// the Unix epoch; api is "v2" or "v1" when the frame has the shape of that Kraken WebSocket
// API (received, or written in that shape by an importer or generator, which the manifest's
// meta then says) and "" for other data; conn is the connection number within the recording
// (0 to 4294967295). Then comes exactly one payload member, always last:
//
//   - "raw": the frame byte for byte, when it is one JSON value in valid UTF-8 with no newline
//     and no whitespace before or after it (every Kraken frame is);
//   - "text": the frame as a JSON string, when it is other valid UTF-8 (a proxy's error page);
//   - "b64": the frame in standard padded base64, when it is not valid UTF-8.
//
// Every line is therefore a JSON object, and every frame reads back byte for byte. Readers
// must ignore members they do not know; a later version-1 writer may add members, but only
// before the payload, which stays last so that a reader can take everything between `"raw":`
// and the line's final `}` as the frame without parsing it.
//
// The manifest is a JSON object (see Manifest for every member): format "papertrade-tape",
// version 1, the writer's name, compression "zstd", the pairs, channels and free-form meta
// the producer declared, the receive-time range and frame count of closed segments, whether
// the writer was closed cleanly, and the segments in order with their path (relative to the
// manifest, '/'-separated), receive-time range, frame count, compressed and raw sizes, and
// whether each was closed: its zstd frame finished and the file synced before the manifest
// said so. The manifest is replaced atomically (temporary file, sync, rename) when a segment
// opens or closes and when the writer closes.
//
// # Crash safety
//
// The Writer flushes at a bounded interval (WithFlushInterval, default 1 s) from a goroutine
// it owns. A flush ends the current zstd block, so everything written before it decodes even
// though the zstd frame is unfinished: a killed process loses at most the frames of the last
// interval. Flushes reach the operating system, not the disk; a closed segment and the
// manifest are synced. Rotation (WithMaxSegmentBytes, WithMaxSegmentAge) closes a segment
// and opens the next at the following frame.
//
// The Reader treats the end of a segment its manifest does not call closed (the segment a
// crash cut off, or one still being written) as a torn tail: it delivers every complete line,
// drops the incomplete rest, and reports it as a Warning with file and line and in
// TornTails, never as an error. Damage anywhere else (a corrupt zstd stream in a closed
// segment, a line that is not a tape line, a manifest of an unknown version) is an error
// naming the file and the line or byte offset. Segments that no manifest lists are read with
// a warning, grouped by writer name.
//
// # Importing history
//
// ImportCSV (Kraken's Time-and-Sales CSV), ImportREST (saved REST Trades responses) and
// Download (REST Trades, paged) write trade history as recordings that replay like live
// data: v2 trade frames exactly as the v2 WebSocket prints them (numbers at the pair's
// precision, never through float64), API v2, connection 0, receive time = trade time, one
// frame per run of same-time trades. Fields the source lacks are left out of the frames (the
// CSV has no trade id or order type); the CSV's taker side is inferred by the tick rule (see
// ImportCSV), and the caller records that in the manifest's meta.
//
// # Reading and replaying
//
// Open takes a directory (searched recursively), a manifest or a single segment. Frames of
// one recording come back in the order they were written; recordings are merged by receive
// time, ties going to the recording whose manifest path sorts first, so a replay is
// deterministic. Lines are split and their envelopes scanned by hand, without reflection or
// per-frame allocation; a frame's Raw is valid until the iteration moves on.
//
// Events and Source run each frame, with its connection number, through a Decoder
// (kraken.Normalizer in practice: the live client's connection rules — trades re-sent after
// a reconnect delivered once, gaps, verified books — over frames told v1 from v2 by their
// shape) and filter the events by receive time, pair and kind.
// A frame the decoder rejects is counted and reported as a warning, never fatal: one bad
// frame must not end a replay. Source is the feed.Source a backtest runs: batches of up to
// BatchSize events, each a slice the receiver owns and may hand back to be refilled
// (feed.BatchRecycler); it never closes its channel and every send also watches the context.
//
// # Concurrency
//
// A Writer is safe for concurrent use and owns one goroutine, the periodic flusher, which
// Close stops and waits for. A Reader runs one iteration at a time; with ReadConcurrency
// above 1 each open segment decodes ahead in zstd's goroutines, which end with the
// iteration.
package tape
