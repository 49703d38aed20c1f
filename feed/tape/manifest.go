package tape

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// Format identifies a tape manifest; Version is the format version this package writes and
// the newest it reads. See the package documentation for what each version guarantees.
const (
	Format  = "papertrade-tape"
	Version = 1
)

// ManifestSuffix ends every manifest file name; SegmentSuffix every segment file name.
const (
	ManifestSuffix = ".manifest.json"
	SegmentSuffix  = ".jsonl.zst"
)

// Manifest describes one recording: the segments one Writer produced, in order. It is
// rewritten atomically (write to a temporary file, sync, rename) whenever a segment opens or
// closes and when the Writer closes, so after a crash it still lists every segment, the last
// one with Closed false.
type Manifest struct {
	Format      string            `json:"format"`  // always "papertrade-tape"
	Version     int               `json:"version"` // format version, 1
	Name        string            `json:"name"`    // the writer's name; prefixes every file
	Compression string            `json:"compression"`
	Pairs       []feed.Pair       `json:"pairs,omitempty"`    // as declared by the producer
	Channels    []string          `json:"channels,omitempty"` // as declared by the producer
	Meta        map[string]string `json:"meta,omitempty"`     // free-form, e.g. "source"
	FirstRecv   time.Time         `json:"first_recv,omitzero"`
	LastRecv    time.Time         `json:"last_recv,omitzero"`
	Frames      int64             `json:"frames"` // frames in closed segments
	Closed      bool              `json:"closed"` // the Writer was closed cleanly
	Segments    []SegmentInfo     `json:"segments"`
}

// SegmentInfo describes one segment file. Frames, Bytes, RawBytes and LastRecv are final only
// when Closed is true; an open segment (still being written, or cut short by a crash) has
// FirstRecv set and the rest zero.
type SegmentInfo struct {
	Path      string    `json:"path"` // relative to the manifest's directory, '/'-separated
	FirstRecv time.Time `json:"first_recv,omitzero"`
	LastRecv  time.Time `json:"last_recv,omitzero"`
	Frames    int64     `json:"frames"`
	Bytes     int64     `json:"bytes"`     // compressed size on disk
	RawBytes  int64     `json:"raw_bytes"` // size of the JSON lines before compression
	Closed    bool      `json:"closed"`    // the zstd frame was finished and the file synced
}

// ReadManifest reads and checks a manifest file. It fails, naming the file, for malformed
// JSON (with the byte offset), another format, or a version newer than this package reads.
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tape: %w", err)
	}
	return parseManifest(path, b)
}

func parseManifest(path string, b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		off := int64(-1)
		switch {
		case errors.As(err, &se):
			off = se.Offset
		case errors.As(err, &te):
			off = te.Offset
		}
		return nil, &PosError{File: path, Offset: off, Err: fmt.Errorf("malformed manifest: %w", err)}
	}
	if m.Format != Format {
		return nil, &PosError{File: path, Err: fmt.Errorf("not a tape manifest: format %q, want %q", m.Format, Format)}
	}
	if m.Version < 1 || m.Version > Version {
		return nil, &PosError{File: path, Err: fmt.Errorf("%w: format version %d, this build reads versions 1 to %d", ErrVersion, m.Version, Version)}
	}
	if err := m.check(); err != nil {
		return nil, &PosError{File: path, Err: err}
	}
	return &m, nil
}

// check refuses what a Writer never writes and a reader must not follow (issue 15 item 9): a
// segment path that leaves the manifest's directory (../, absolute: a hand-edited or hostile
// manifest made the reader open /etc/passwd), a segment listed twice (its frames were
// replayed twice), and a compression other than zstd (it was ignored and the file read as
// zstd anyway). The check is lexical: symbolic links inside the directory are the user's.
func (m *Manifest) check() error {
	if m.Compression != "zstd" {
		return fmt.Errorf("%w: compression %q, this build reads only \"zstd\" (convert the segments with zstd and set \"compression\": \"zstd\")", ErrManifest, m.Compression)
	}
	seen := make(map[string]int, len(m.Segments))
	for i, s := range m.Segments {
		p := filepath.FromSlash(s.Path)
		switch {
		case s.Path == "" || filepath.IsAbs(p):
			return fmt.Errorf("%w: malformed manifest: segment %d has path %q, want a relative path", ErrManifest, i, s.Path)
		case !filepath.IsLocal(p):
			return fmt.Errorf("%w: segment %d has path %q, outside the tape directory; a manifest lists only files in its directory or below", ErrManifest, i, s.Path)
		}
		clean := filepath.Clean(p)
		if j, ok := seen[clean]; ok {
			return fmt.Errorf("%w: segment %d (%q) is listed again (first as segment %d); remove the repeated entry so its frames are read once", ErrManifest, i, s.Path, j)
		}
		seen[clean] = i
	}
	return nil
}

// writeManifest replaces path atomically with m: a crash leaves either the old or the new
// manifest, never a torn one.
func writeManifest(path string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}
