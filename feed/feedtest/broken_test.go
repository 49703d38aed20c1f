package feedtest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/feedtest"
)

// brokenEnv names the broken source TestBrokenSourceChild runs the suite on.
const brokenEnv = "FEEDTEST_BROKEN_SOURCE"

// brokenSources each break one rule of the contract; want is what the suite must say.
var brokenSources = []struct {
	name, want string
	run        func(ctx context.Context, out chan<- []feed.Event, block chan struct{}) error
}{
	{"mutates a sent batch", "changed after it was sent", func(ctx context.Context, out chan<- []feed.Event, _ chan struct{}) error {
		b := []feed.Event{trade("BTC/USD", 1, 0, "1", "1")}
		if err := send(ctx, out, b); err != nil {
			return err
		}
		if err := send(ctx, out, []feed.Event{trade("BTC/USD", 2, 1, "1", "1")}); err != nil {
			return err
		}
		// The receiver took the second batch, so it is done reading the first: a change now
		// is no data race, only a broken promise the suite must see.
		b[0].Trade.Qty = b[0].Trade.Qty.Add(b[0].Trade.Qty)
		return nil
	}},
	{"closes out", "never closes out", func(ctx context.Context, out chan<- []feed.Event, _ chan struct{}) error {
		if err := send(ctx, out, []feed.Event{trade("BTC/USD", 1, 0, "1", "1")}); err != nil {
			return err
		}
		close(out)
		return nil
	}},
	{"wrong error on cancel", "want ctx.Err()", func(ctx context.Context, out chan<- []feed.Event, _ chan struct{}) error {
		if err := send(ctx, out, []feed.Event{trade("BTC/USD", 1, 0, "1", "1")}); err != nil {
			return errors.New("boom")
		}
		return send(ctx, out, []feed.Event{trade("BTC/USD", 2, 1, "1", "1")})
	}},
	{"leaks a goroutine", "goroutines left", func(ctx context.Context, out chan<- []feed.Event, block chan struct{}) error {
		go func() { <-block }() // nobody waits for it
		return send(ctx, out, []feed.Event{trade("BTC/USD", 1, 0, "1", "1")})
	}},
	{"stamps Seq", "stamped Seq 1", func(ctx context.Context, out chan<- []feed.Event, _ chan struct{}) error {
		e := trade("BTC/USD", 1, 0, "1", "1")
		e.Seq = 1
		return send(ctx, out, []feed.Event{e})
	}},
	{"fails at the end", "a finite source returns nil", func(ctx context.Context, out chan<- []feed.Event, _ chan struct{}) error {
		if err := send(ctx, out, []feed.Event{trade("BTC/USD", 1, 0, "1", "1")}); err != nil {
			return err
		}
		return errors.New("read error")
	}},
}

func send(ctx context.Context, out chan<- []feed.Event, b []feed.Event) error {
	select {
	case out <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestBrokenSourceChild runs the suite on one broken source in a child process started by
// TestSuiteCatchesBrokenSources (it must fail there); run directly, it skips.
func TestBrokenSourceChild(t *testing.T) {
	name := os.Getenv(brokenEnv)
	if name == "" {
		t.Skip("runs only as TestSuiteCatchesBrokenSources' child")
	}
	for _, bs := range brokenSources {
		if bs.name == name {
			block := make(chan struct{})
			feedtest.Run(t, func(t *testing.T) feed.Source {
				return feed.SourceFunc(func(ctx context.Context, out chan<- []feed.Event) error { return bs.run(ctx, out, block) })
			})
			return
		}
	}
	t.Fatalf("no broken source %q", name)
}

// TestSuiteCatchesBrokenSources: the suite fails each broken source, saying why. Each runs in
// a child test process, since a failing suite fails the test that runs it.
func TestSuiteCatchesBrokenSources(t *testing.T) {
	if os.Getenv(brokenEnv) != "" {
		t.Skip("in the child")
	}
	for _, bs := range brokenSources {
		t.Run(bs.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenSourceChild$", "-test.v")
			cmd.Env = append(os.Environ(), brokenEnv+"="+bs.name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the suite passed a source that %s (err %v):\n%s", bs.name, err, out)
			}
			if !strings.Contains(string(out), bs.want) {
				t.Errorf("the suite failed a source that %s without saying %q:\n%s", bs.name, bs.want, out)
			}
		})
	}
}
