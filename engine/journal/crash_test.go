package journal_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/feed"
)

const crashSeed, crashSteps = 21, 60000

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// crashChild is the child side of TestCrashKeepsAPrefix: it journals a run that never ends on
// its own and prints the committed record count after every commit, until it is killed.
func crashChild() bool {
	path := os.Getenv("JOURNAL_CRASH_CHILD")
	if path == "" {
		return false
	}
	fail := func(err error) bool {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
		return true
	}
	batches, err := genMarket(crashSeed, crashSteps)
	if err != nil {
		return fail(err)
	}
	j, err := journal.Open(path, journal.Options{Pairs: pairs.Lookup, MaxBatch: 64, OnCommit: func(s journal.Stats) {
		fmt.Printf("committed %d\n", s.Committed)
	}})
	if err != nil {
		return fail(err)
	}
	ins := instances()
	if _, err := j.Begin(context.Background(), sessionConfig("crash", ins)); err != nil {
		return fail(err)
	}
	src := feed.SourceFunc(func(ctx context.Context, out chan<- []feed.Event) error {
		for _, b := range batches {
			select {
			case out <- append([]feed.Event(nil), b...):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		<-ctx.Done() // a live feed: it ends only when the process does
		return ctx.Err()
	})
	_, err = engine.Run(context.Background(), engine.Config{Sources: []feed.Source{src}, Instances: ins, Pairs: pairs.Lookup,
		Recorder: j, EquityInterval: 10 * time.Second})
	return fail(fmt.Errorf("the run ended: %v", err))
}

// A journal killed mid-session (SIGKILL, nothing flushed on purpose) holds, per instance, a
// prefix of the records an uninterrupted run makes; the next session marks it crashed and
// resumes from exactly that prefix.
func TestCrashKeepsAPrefix(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	ctx := context.Background()
	path := dbPath(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "JOURNAL_CRASH_CHILD="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		n, _ := strconv.Atoi(strings.TrimPrefix(sc.Text(), "committed "))
		if n >= 3000 {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	// The uninterrupted reference.
	batches := market(t, crashSeed, crashSteps)
	var ref counting
	run(t, ctx, batches, instances(), &ref)

	r, err := journal.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.Records(ctx, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 3000 {
		t.Fatalf("only %d records survived, the child reported 3000 committed", len(got))
	}
	fills := map[string]int{}
	for _, name := range []string{"btc", "eth"} {
		var mine []engine.Record
		for _, x := range got {
			if x.Instance == name {
				mine = append(mine, x)
			}
		}
		want := ref.of(name)
		if len(mine) > len(want) {
			t.Fatalf("%s: %d records journaled, the whole run makes %d", name, len(mine), len(want))
		}
		if g, w := render(mine), render(want[:len(mine)]); g != w {
			t.Fatalf("%s: journal is not a prefix of the run:\n%s", name, firstDiff(g, w))
		}
		for _, x := range mine {
			if x.Kind == engine.RecordFill {
				fills[name]++
			}
		}
	}

	j, err := journal.Open(path, journal.Options{Pairs: pairs.Lookup})
	if err != nil {
		t.Fatal(err)
	}
	start, err := j.Begin(ctx, sessionConfig("crash", instances()))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if start.Previous.Status != "crashed" {
		t.Fatalf("previous session status %q, want crashed", start.Previous.Status)
	}
	for _, st := range start.States {
		if st.Fills != uint64(fills[st.Name]) {
			t.Errorf("%s: restored after %d fills, %d were journaled", st.Name, st.Fills, fills[st.Name])
		}
		// Independently: the deposits plus the first k fills of the reference run.
		bal := map[string]decimal.Decimal{"USD": decimal.NewFromInt(100000)}
		k := 0
		for _, x := range ref.of(st.Name) {
			if x.Kind != engine.RecordFill || k == fills[st.Name] {
				continue
			}
			k++
			f := x.Fill
			cost := f.Price.Mul(f.Qty)
			if f.Side == feed.Buy {
				bal[f.Pair.Base()] = bal[f.Pair.Base()].Add(f.Qty)
				bal["USD"] = bal["USD"].Sub(cost).Sub(f.Fee)
			} else {
				bal[f.Pair.Base()] = bal[f.Pair.Base()].Sub(f.Qty)
				bal["USD"] = bal["USD"].Add(cost).Sub(f.Fee)
			}
		}
		for _, b := range st.Ledger.Balances {
			if !bal[b.Asset].Equal(b.Total) {
				t.Errorf("%s: restored %s %s, the reference after %d fills has %s", st.Name, b.Asset, b.Total, k, bal[b.Asset])
			}
		}
	}
}
