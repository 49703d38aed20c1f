package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// --cpuprofile and --memprofile write profiles pprof can read, on any command.
func TestProfileFlags(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	code, _, stderr := runCLI(t, "version", "--cpuprofile", cpu, "--memprofile", mem)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{cpu, mem} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// pprof files are gzip-compressed protocol buffers.
		if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Fatalf("%s is not a gzip-compressed profile (%d bytes)", f, len(b))
		}
	}
	if code, _, _ := runCLI(t, "version", "--cpuprofile", filepath.Join(dir, "no", "such", "dir", "cpu")); code != 2 {
		t.Fatalf("an unwritable --cpuprofile exits %d, want 2", code)
	}
}
