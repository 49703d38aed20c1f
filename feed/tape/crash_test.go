package tape

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashChildEnv, when set to a directory, turns the test binary into the crash test's child.
const crashChildEnv = "PAPERTRADE_TAPE_CRASH_CHILD"

const (
	crashMaxFrames = 5_000_000 // the child stops writing here and waits to be killed
	crashKillAt    = 20_000    // flushed frames the parent waits for before SIGKILL (several segments)
	crashAhead     = 2_000     // and frames written past the last flush (several encoder blocks)
)

// crashChild writes frames as fast as it can into a Writer that flushes every 100 ms and
// rotates every 32 KiB, printing "flushed N" after each flush of N frames in total and
// "wrote N" after every thousandth frame.
func crashChild() {
	dir := os.Getenv(crashChildEnv)
	w, err := NewWriter(dir,
		WithFlushInterval(100*time.Millisecond),
		WithMaxSegmentBytes(32<<10),
		WithOnFlush(func(s WriterStats) { fmt.Fprintf(os.Stdout, "flushed %d\n", s.FlushedFrames) }),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := range crashMaxFrames {
		if err := w.Write(testFrame(i, 1, t0, time.Microsecond)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if i%1000 == 999 {
			fmt.Fprintf(os.Stdout, "wrote %d\n", i+1)
		}
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // the parent kills us before; never exit cleanly by ourselves
	os.Exit(3)
}

// TestCrashSafety kills a writing process with SIGKILL and checks that every frame it had
// reported flushed reads back, in order, and that the torn tail is a warning.
func TestCrashSafety(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a hung child is killed, and fails the test below
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.WaitDelay = 10 * time.Second // bounds the test if the child never dies
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var flushed, wrote int64
	reports, killed := 0, false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		what, num, _ := strings.Cut(sc.Text(), " ")
		n, err := strconv.ParseInt(num, 10, 64)
		switch {
		case err != nil:
			t.Errorf("child said %q", sc.Text())
		case what == "flushed":
			flushed = max(flushed, n) // reports printed before the kill landed are promises too
			reports++
		case what == "wrote":
			wrote = n
		}
		// kill mid-stream: well past a flush, with several encoder blocks written since (or,
		// should this machine be so slow that flushes keep up, soon anyway)
		if !killed && flushed >= crashKillAt && (wrote >= flushed+crashAhead || flushed >= 10*crashKillAt) {
			killed = true
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want SIGKILL; stderr:\n%s", err, stderr.String())
	}
	if !killed {
		t.Fatalf("child reported %d flushes (%d frames)", reports, flushed)
	}

	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for f, err := range r.Frames(t.Context(), Range{}) {
		if err != nil {
			t.Fatalf("after %d frames: %v", n, err)
		}
		checkFrames(t, []Frame{f}, []Frame{testFrame(int(n), 1, t0, time.Microsecond)})
		n++
	}
	if n < flushed {
		t.Fatalf("read %d frames, the child had flushed %d", n, flushed)
	}
	m := r.Recordings()[0].Manifest
	last := m.Segments[len(m.Segments)-1]
	switch {
	case m.Closed:
		t.Errorf("manifest says the killed writer closed cleanly")
	case !last.Closed && (r.TornTails() != 1 || r.WarningCount() != 1):
		t.Errorf("open segment %s: torn tails %d, warnings %v; want exactly one torn tail", last.Path, r.TornTails(), r.Warnings())
	case last.Closed && r.WarningCount() != 0: // killed between closing a segment and listing the next
		t.Errorf("warnings %v with every segment closed", r.Warnings())
	}
	t.Logf("killed after %d flush reports: %d frames promised, %d written, %d read back from %d segments; warnings: %v",
		reports, flushed, wrote, n, len(m.Segments), r.Warnings())
}
