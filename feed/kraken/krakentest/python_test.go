package krakentest_test

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed/kraken/krakentest"
)

// pythonWithWebsocketClient returns a Python interpreter that has the websocket-client
// library (pip install websocket-client, or Debian's python3-websocket), or skips.
func pythonWithWebsocketClient(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3", "python"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import websocket").Run() == nil {
			return path
		}
	}
	t.Skip("no Python with the websocket-client library (pip install websocket-client, or apt-get install python3-websocket)")
	return ""
}

// TestKrakenPythonExamples runs the two clients of Kraken's Python support article (a
// blocking one and an event-driven one, testdata/python; websocket-client) unchanged but for
// the URL, and reads what they print until they have shown live data.
func TestKrakenPythonExamples(t *testing.T) {
	py := pythonWithWebsocketClient(t)
	info := pairInfo(t, "BTC/USD")
	srv := newServer(t, krakentest.WithMarket(newTestMarket(3, info), 200))
	for _, tc := range []struct {
		script string
		want   []string // substrings that must each appear on some line
	}{
		{"testdata/python/sync_client.py", []string{
			`"event":"systemStatus"`,
			`"channelName":"trade","event":"subscriptionStatus","pair":"XBT/USD","status":"subscribed"`,
			`"event":"subscriptionStatus","pair":"XBT/EUR","status":"subscribed"`,
			`,"trade","XBT/USD"]`,
		}},
		{"testdata/python/async_client.py", []string{
			`"channelName":"book-10","event":"subscriptionStatus","pair":"XBT/USD","status":"subscribed"`,
			`{"as":[[`,
			`,"book-10","XBT/USD"]`,
			`,"ticker","XBT/USD"]`,
		}},
	} {
		t.Run(tc.script, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a hang fails, it does not pace
			defer cancel()
			cmd := exec.CommandContext(ctx, py, tc.script, srv.URLv1())
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			missing := map[string]bool{}
			for _, w := range tc.want {
				missing[w] = true
			}
			sc := bufio.NewScanner(out)
			sc.Buffer(nil, 1<<20)
			var lines int
			for len(missing) > 0 && sc.Scan() {
				lines++
				line := sc.Text()
				if strings.HasPrefix(line, "error:") {
					t.Errorf("the client reported %s", line)
				}
				for w := range missing {
					if strings.Contains(line, w) {
						delete(missing, w)
					}
				}
			}
			cmd.Process.Kill()
			cmd.Wait() //nolint:errcheck // killed on purpose
			if len(missing) > 0 {
				t.Errorf("after %d lines the client never printed %q (stderr: %s)", lines, keysOfSet(missing), stderr.String())
			}
		})
	}
}

func keysOfSet(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
