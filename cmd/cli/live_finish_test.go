package cli

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/engine/session"
)

// TestLiveSummaryAfterOverflow (issue 15 item 20): a session stopped because frames arrived
// faster than they were processed still prints its summary and the journal's state, and the
// error says what rate the session sustained. Before, live returned the error alone.
func TestLiveSummaryAfterOverflow(t *testing.T) {
	ov := &session.OverflowError{Limit: 65536, ForEngine: 65536, Received: 200_000, Handed: 134_464, Recorded: 134_464, Span: 20 * time.Second}
	res := &sessionResult{Session: 3, Journal: "paper.db", Summary: &report.Summary{}, Engine: &engine.Result{Events: 1234}}
	var out strings.Builder
	err := finishSession(&out, res, ov)
	if !errors.Is(err, session.ErrOverflow) {
		t.Fatalf("finishSession: %v, want the overflow", err)
	}
	if got := out.String(); !strings.Contains(got, "session 3: 1234 events; journal paper.db") {
		t.Errorf("output %q has no session line", got)
	}
	for _, want := range []string{"the engine (strategies and the journal) takes them", "sent 200000 frames (10000/s)", "sustained 134464 (6723/s)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	// No engine result (refused before the feed connected): the error alone.
	out.Reset()
	if err := finishSession(&out, nil, ov); !errors.Is(err, session.ErrOverflow) || out.Len() != 0 {
		t.Errorf("without a result: %v and %q, want the error and no output", err, out.String())
	}
}
