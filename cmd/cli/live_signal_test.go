package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
)

// TestLiveSignalChild is the child of TestLiveHangupEndsCleanly: a live session under Main's
// signal handling. It does nothing in a normal test run.
func TestLiveSignalChild(t *testing.T) {
	args := os.Getenv("PAPERTRADE_SIGNAL_CHILD")
	if args == "" {
		t.Skip("the child of TestLiveHangupEndsCleanly")
	}
	var a []string
	if err := json.Unmarshal([]byte(args), &a); err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	code := Run(ctx, a, strings.NewReader(""), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// SIGHUP (a closed terminal) ends a live session like SIGTERM: the summary is printed, the
// journal closes the session cleanly and the exit code is 0 (issue 18 item 5).
func TestLiveHangupEndsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: re-executes the test binary")
	}
	srv, err := krakentest.Listen("127.0.0.1:0", krakentest.WithMarket(liveMarket(t, 4), 300))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, liveConfig)
	db := filepath.Join(dir, "paper.db")
	args := []string{"live", "-c", cfg, "--url", srv.URLv2(), "--db", db, "--record", filepath.Join(dir, "rec"), "--http", "", "--status", "100ms", "--duration", "2m", "--log-level", "error"}
	b, _ := json.Marshal(args)
	child := exec.Command(os.Args[0], "-test.run=^TestLiveSignalChild$")
	child.Env = append(os.Environ(), "PAPERTRADE_SIGNAL_CHILD="+string(b))
	child.Stderr = os.Stderr
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.Contains(sc.Text(), "feed connected") { // running and connected
	}
	if err := child.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stdout)
	err = child.Wait()
	if err != nil {
		t.Fatalf("after SIGHUP: %v\n%s", err, rest)
	}
	if !strings.Contains(string(rest), "session 1: ") {
		t.Errorf("no summary after SIGHUP:\n%s", rest)
	}
	r, err := journal.OpenReader(db)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ss, err := r.Sessions(context.Background())
	if err != nil || len(ss) != 1 || ss[0].Status != "closed" {
		t.Fatalf("sessions %+v, %v; want one closed session", ss, err)
	}
}
