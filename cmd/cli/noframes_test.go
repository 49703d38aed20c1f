package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// watch and record that receive nothing exit 6 (finished, incomplete) and say why, instead of
// exiting 0 as if the feed had been quiet (issue 18 item 7). Port 1 on loopback refuses at once,
// so no network is needed; --duration ends the runs.
func TestNoFramesExitIncomplete(t *testing.T) {
	const url = "ws://127.0.0.1:1/v2"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"watch", []string{"watch", "--url", url, "--duration", "300ms"}, "received no frames from " + url},
		{"record", []string{"record", "--url", url, "--pairs", "BTC/USD", "--out", t.TempDir(), "--duration", "300ms", "--status", "0"}, "recorded no frames"},
		{"live", []string{"live", "-c", writeConfig(t, t.TempDir(), liveConfig), "--url", url, "--db", filepath.Join(t.TempDir(), "paper.db"), "--duration", "300ms", "--status", "0"}, "received no frames from the feed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := tpRun(t, tc.args...)
			if code != ExitIncomplete || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "refused") {
				t.Errorf("%v: exit %d, stderr %q; want exit %d, %q and the dial problem", tc.args, code, errOut, ExitIncomplete, tc.want)
			}
		})
	}
}
