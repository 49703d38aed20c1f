package tape

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrClosed is returned by Writer methods after Close.
	ErrClosed = errors.New("tape: writer is closed")
	// ErrVersion reports a manifest written by a newer (or unknown) format version.
	ErrVersion = errors.New("unsupported tape version")
	// ErrNoData reports a path that holds no manifest and no segment.
	ErrNoData = errors.New("no tape found")
	// ErrManifest reports a manifest that cannot be trusted to describe its recording: a
	// segment outside the manifest's directory, a segment listed twice, or a compression
	// this build does not read.
	ErrManifest = errors.New("bad tape manifest")
	// ErrMissingSegment reports a segment the manifest lists as finished that cannot be
	// opened: replaying around it would silently leave a hole in the data.
	ErrMissingSegment = errors.New("segment missing")
)

// PosError is a read error with its place: the file and, when known, the line (1-based, in
// the decompressed stream) and a byte offset (in the decompressed stream for segment errors,
// in the file for manifest errors).
type PosError struct {
	File   string
	Line   int64 // 0 when not tied to a line
	Offset int64 // -1 when unknown
	Err    error
}

// Error says "tape: FILE: line L (byte O): what".
func (e *PosError) Error() string {
	var b strings.Builder
	b.WriteString("tape: ")
	b.WriteString(e.File)
	switch {
	case e.Line > 0:
		fmt.Fprintf(&b, ": line %d (byte %d)", e.Line, e.Offset)
	case e.Offset > 0:
		fmt.Fprintf(&b, ": byte %d", e.Offset)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *PosError) Unwrap() error { return e.Err }

// Warning is a problem the Reader worked around: a torn tail after a crash, a missing
// manifest, a segment listed but missing, a frame the decoder rejected. File, Line and Offset
// mean what they mean in PosError.
type Warning struct {
	File   string
	Line   int64
	Offset int64
	Msg    string
}

// String says "FILE: line L (byte O): what".
func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("%s: line %d (byte %d): %s", w.File, w.Line, w.Offset, w.Msg)
	}
	return fmt.Sprintf("%s: %s", w.File, w.Msg)
}
