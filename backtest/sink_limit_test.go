//go:build unix

package backtest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed/kraken"
)

// Issue 15 item 15: a backtest of 1,500 instances under a 256-file limit. The sink used to
// hold three part files per instance (a 1024 limit failed past ~338 instances with "too many
// open files"); it now holds three for the whole run, and fills.csv still lists the
// instances in order.
func TestManyInstancesUnderLowFileLimit(t *testing.T) {
	const n = 1500
	var b strings.Builder
	fmt.Fprintf(&b, "seed: 3\nequity_interval: 30m\ndata:\n  path: %s\nstrategies:\n", filepath.Join("testdata", "tape"))
	for i := range n {
		fmt.Fprintf(&b, "  - name: f%04d\n    type: flip\n    pairs: [BTC/USD]\n    balances: {USD: \"5000\"}\n    params: {every: %d, size: \"0.01\"}\n", i, 10+10*(i%9))
	}
	c, err := config.Parse([]byte(b.String()), "many.yaml", testRegistry(), kraken.DefaultPairs())
	if err != nil {
		t.Fatal(err)
	}
	c.Data.Path = filepath.Join("testdata", "tape")

	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	low := old
	low.Cur = 256
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skipf("setrlimit: %v", err)
	}
	defer func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
			t.Errorf("restoring the file limit: %v", err)
		}
	}()

	out := tempOut(t)
	// The tape's first 20 minutes (~10 fills per instance) keep the run short.
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	res, err := Run(context.Background(), Options{Config: c, Registry: testRegistry(), Out: out, Version: "test",
		From: from, To: from.Add(20 * time.Minute)})
	if err != nil {
		t.Fatalf("%d instances under a %d-file limit: %v", n, low.Cur, err)
	}
	if len(res.Summary.Strategies) != n {
		t.Fatalf("%d strategies in the summary, want %d", len(res.Summary.Strategies), n)
	}
	// Every instance's fills, in instance order, each instance's rows together.
	f, err := os.Open(filepath.Join(out, "fills.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	last, seen, rows := "", map[string]bool{}, 0
	for sc.Scan() {
		name, _, _ := strings.Cut(sc.Text(), ",")
		if name != last {
			if seen[name] || name < last {
				t.Fatalf("row %d: %s after %s (instances out of order or split)", rows, name, last)
			}
			seen[name], last = true, name
		}
		rows++
	}
	if len(seen) != n {
		t.Errorf("fills.csv has rows of %d instances, want %d", len(seen), n)
	}
	var want uint64
	for _, s := range res.Summary.Strategies {
		want += s.Fills
	}
	if uint64(rows) != want {
		t.Errorf("fills.csv has %d rows, the summary counts %d fills", rows, want)
	}
	if _, err := os.Stat(filepath.Join(out, ".parts")); !os.IsNotExist(err) {
		t.Errorf("part files left behind: %v", err)
	}
}
