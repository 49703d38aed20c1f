package tape

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// readErr reads path to the end and returns the first error.
func readErr(t *testing.T, path string, opts ...ReadOption) (int, error) {
	t.Helper()
	r, err := Open(path, opts...)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, err := range r.Frames(t.Context(), Range{}) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// wantPosError checks that err names file and, when line > 0, that line.
func wantPosError(t *testing.T, err error, file string, line int64, text string) {
	t.Helper()
	var pe *PosError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T), want a *PosError", err, err)
	}
	if pe.File != file || (line > 0 && pe.Line != line) || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), text) {
		t.Fatalf("error %q (file %s, line %d), want file %s, line %d, text %q", err, pe.File, pe.Line, file, line, text)
	}
}

// zstdFile writes content as a finished zstd frame.
func zstdFile(t *testing.T, path string, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	enc, _ := zstd.NewWriter(nil)
	if err := os.WriteFile(path, enc.EncodeAll([]byte(content), nil), 0o644); err != nil {
		t.Fatal(err)
	}
}

func onlySegment(t *testing.T, dir string) string {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(dir, "*", "*"+SegmentSuffix))
	if len(segs) != 1 {
		t.Fatalf("segments %v", segs)
	}
	return segs[0]
}

func TestCorruptZstd(t *testing.T) {
	for _, where := range []float64{0.25, 0.5, 0.75} {
		dir := t.TempDir()
		write(t, dir, testFrames(5000, 1, t0, time.Millisecond))
		seg := onlySegment(t, dir)
		b, _ := os.ReadFile(seg)
		b[int(float64(len(b))*where)] ^= 0x5a
		if err := os.WriteFile(seg, b, 0o644); err != nil {
			t.Fatal(err)
		}
		n, err := readErr(t, dir)
		wantPosError(t, err, seg, 0, "")
		t.Logf("flip at %.0f%%: %d frames, then %v", where*100, n, err)
	}
}

func TestTruncatedClosedSegment(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, testFrames(3000, 1, t0, time.Millisecond))
	seg := onlySegment(t, dir)
	fi, _ := os.Stat(seg)
	if err := os.Truncate(seg, fi.Size()-10); err != nil {
		t.Fatal(err)
	}
	_, err := readErr(t, dir)
	wantPosError(t, err, seg, 0, "manifest says was closed")
}

func TestGarbageLine(t *testing.T) {
	dir := t.TempDir()
	l1, _ := AppendLine(nil, testFrame(0, 1, t0, 0))
	l2, _ := AppendLine(nil, testFrame(1, 1, t0, time.Second))
	seg := filepath.Join(dir, "2026-11-24", "seg-20261124T101500.123Z-000001.jsonl.zst")
	zstdFile(t, seg, string(l1)+string(l2)+"hello, not a tape line\n"+string(l1))
	n, err := readErr(t, dir)
	if n != 2 {
		t.Errorf("read %d frames before the garbage, want 2", n)
	}
	wantPosError(t, err, seg, 3, "not a tape line")
	if pe := err.(*PosError); pe.Offset != int64(len(l1)+len(l2)) {
		t.Errorf("offset %d, want %d", pe.Offset, len(l1)+len(l2))
	}
	if !strings.Contains(err.Error(), "line 3 (byte ") {
		t.Errorf("message %q does not say the line", err)
	}
}

func TestIncompleteLastLineInFinishedStream(t *testing.T) {
	// a complete zstd frame whose last line lacks its newline: with no manifest, a torn tail
	dir := t.TempDir()
	l1, _ := AppendLine(nil, testFrame(0, 1, t0, 0))
	seg := filepath.Join(dir, "2026-11-24", "seg-20261124T101500.123Z-000001.jsonl.zst")
	zstdFile(t, seg, string(l1)+`{"recv":1,"api":"v2","co`)
	_, r := readAll(t, dir, Range{})
	if r.TornTails() != 1 || r.Stats().Frames != 1 {
		t.Errorf("torn %d, frames %d, warnings %v", r.TornTails(), r.Stats().Frames, r.Warnings())
	}
}

func TestNotZstd(t *testing.T) {
	dir := t.TempDir()
	seg := filepath.Join(dir, "x.jsonl.zst")
	if err := os.WriteFile(seg, []byte("{\"recv\":1}\n this is not zstd at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := readErr(t, dir)
	wantPosError(t, err, seg, 1, "zstd")
}

func TestLineTooLong(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, testFrames(10, 1, t0, time.Second))
	_, err := readErr(t, dir, ReadMaxLine(100))
	wantPosError(t, err, onlySegment(t, dir), 1, "longer than 100 bytes")
}

func TestManifestErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, testFrames(10, 1, t0, time.Second))
	man := filepath.Join(dir, "seg-20261124T101500.123Z.manifest.json")
	good, err := os.ReadFile(man)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(change func(*Manifest)) []byte {
		var m Manifest
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		change(&m)
		return must(json.Marshal(&m))
	}
	tests := []struct {
		name    string
		content []byte
		want    string
		is      error
	}{
		{"newer version", bytes.Replace(good, []byte(`"version": 1`), []byte(`"version": 2`), 1), "format version 2, this build reads versions 1 to 1", ErrVersion},
		{"version zero", bytes.Replace(good, []byte(`"version": 1`), []byte(`"version": 0`), 1), "format version 0", ErrVersion},
		{"other format", bytes.Replace(good, []byte(`papertrade-tape`), []byte(`something-else`), 1), `format "something-else"`, nil},
		{"syntax", good[:40], "byte ", nil},
		{"types", bytes.Replace(good, []byte(`"version": 1`), []byte(`"version": "1"`), 1), "malformed manifest", nil},
		{"absolute segment", bytes.Replace(good, []byte(`"path": "2026`), []byte(`"path": "/2026`), 1), "want a relative path", nil},
		// issue 15 item 9: a manifest names files only beside or under itself, each once, in zstd
		{"segment outside", edit(func(m *Manifest) { m.Segments[0].Path = "../../../../etc/passwd" }), "outside the tape directory", ErrManifest},
		{"segment climbs out", edit(func(m *Manifest) { m.Segments[0].Path = "2026-11-24/../../x" + SegmentSuffix }), "outside the tape directory", ErrManifest},
		{"segment twice", edit(func(m *Manifest) { m.Segments = append(m.Segments, m.Segments[0], m.Segments[0]) }), "listed again", ErrManifest},
		{"segment twice spelled apart", edit(func(m *Manifest) {
			m.Segments = append(m.Segments, m.Segments[0])
			m.Segments[1].Path = "./" + m.Segments[1].Path
		}), "listed again", ErrManifest},
		{"unknown compression", edit(func(m *Manifest) { m.Compression = "gzip" }), `compression "gzip"`, ErrManifest},
		{"no compression", edit(func(m *Manifest) { m.Compression = "" }), `compression ""`, ErrManifest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(man, tt.content, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(dir)
			wantPosError(t, err, man, 0, tt.want)
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}

func TestEmptyAndMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "2026-11-24"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir)
	if !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), dir) {
		t.Errorf("empty directory: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing path: %v", err)
	}
}

func TestListedSegmentMissing(t *testing.T) {
	dir := t.TempDir()
	frames := testFrames(180, 1, t0, time.Second)
	write(t, dir, frames, WithMaxSegmentAge(time.Minute))
	gone := filepath.Join(dir, "2026-11-24", "seg-20261124T101600.123Z-000002.jsonl.zst")
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	// A finished segment that is gone is a hole in the data: reading stops with an error
	// naming it (issue 15 item 12: backtest replayed around it, or replayed nothing, and
	// exited 0 after a warning).
	n, err := readErr(t, dir)
	wantPosError(t, err, gone, 0, "listed in the manifest as finished")
	if !errors.Is(err, ErrMissingSegment) || n != 60 {
		t.Errorf("error %v after %d frames, want ErrMissingSegment after 60", err, n)
	}
}

// FuzzSegmentReader feeds arbitrary bytes to the reader as a segment file, raw or
// zstd-compressed: it must end with frames and/or an error naming the file, never a panic.
func FuzzSegmentReader(f *testing.F) {
	var good bytes.Buffer
	for i := range 20 {
		good.Write(must(AppendLine(nil, testFrame(i, 1, t0, time.Millisecond))))
	}
	enc, _ := zstd.NewWriter(nil)
	f.Add(enc.EncodeAll(good.Bytes(), nil), false)
	f.Add(enc.EncodeAll(good.Bytes(), nil)[:100], false)
	f.Add(good.Bytes(), true)
	f.Add(good.Bytes()[:good.Len()-7], true)
	f.Add([]byte("{\"recv\":1,\"api\":\"v2\",\"conn\":0,\"raw\":{}}\ngarbage\n"), true)
	f.Add([]byte("\n\n\n"), true)
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0}, false)
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		if compress {
			data = enc.EncodeAll(data, nil)
		}
		dir := t.TempDir()
		seg := filepath.Join(dir, "seg-20261124T101500.123Z-000001.jsonl.zst")
		if err := os.WriteFile(seg, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := readErr(t, dir, ReadMaxWindow(1<<20), ReadMaxLine(1<<16))
		if err != nil {
			var pe *PosError
			if !errors.As(err, &pe) || pe.File != seg {
				t.Fatalf("error %v does not name the segment", err)
			}
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// FuzzManifest: any bytes as a manifest end in a manifest or a PosError naming the file, and
// an accepted manifest names each segment once, inside its directory, in zstd.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(`{"format":"papertrade-tape","version":1,"name":"seg","compression":"zstd","segments":[{"path":"a/seg.jsonl.zst"}]}`))
	f.Add([]byte(`{"format":"papertrade-tape","version":1,"compression":"zstd","segments":[{"path":"a/../../b"},{"path":"./a"}]}`))
	f.Add([]byte(`{"format":"papertrade-tape","version":1,"compression":"zstd","segments":[{"path":"a"},{"path":"a/"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseManifest("m"+ManifestSuffix, data)
		if err != nil {
			var pe *PosError
			if !errors.As(err, &pe) || pe.File != "m"+ManifestSuffix {
				t.Fatalf("error %v does not name the manifest", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, s := range m.Segments {
			p := filepath.Clean(filepath.FromSlash(s.Path))
			if !filepath.IsLocal(p) || seen[p] {
				t.Fatalf("accepted segment %q (seen %v)", s.Path, seen[p])
			}
			seen[p] = true
		}
		if m.Compression != "zstd" {
			t.Fatalf("accepted compression %q", m.Compression)
		}
	})
}
