package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// TestConsoleLogPrintsStacksAsLines: a strategy fault carries its panic's stack; on the
// console it must read as lines, not one escaped line (issue 18 item 8).
func TestConsoleLogPrintsStacksAsLines(t *testing.T) {
	var b bytes.Buffer
	log, err := newLogger("info", "console", &b)
	if err != nil {
		t.Fatal(err)
	}
	fault := errors.New("strategy a panicked: boom\ngoroutine 7 [running]:\nmain.(*S).OnTrade(...)\n\t/src/s.go:12")
	log.Error("strategy stopped", zap.String("instance", "a"), zap.Error(fault))
	out := b.String()
	for _, want := range []string{"strategy stopped", `"instance": "a"`, "\n  error:\n    strategy a panicked: boom\n    goroutine 7 [running]:\n    main.(*S).OnTrade(...)\n    \t/src/s.go:12\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("console log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, `\n`) {
		t.Errorf("console log has escaped newlines:\n%s", out)
	}
	b.Reset()
	jlog, _ := newLogger("info", "json", &b)
	jlog.Error("strategy stopped", zap.Error(fault))
	if !strings.Contains(b.String(), `goroutine 7 [running]:\nmain`) || strings.Count(b.String(), "\n") != 1 {
		t.Errorf("JSON log must stay one line per entry:\n%s", b.String())
	}
}
