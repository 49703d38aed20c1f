package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// cliProc runs one CLI command in the background with its stdout as a stream of lines.
type cliProc struct {
	t      *testing.T
	cancel context.CancelFunc
	lines  chan string
	code   chan int
	stderr strings.Builder
}

func startCLI(t *testing.T, args ...string) *cliProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	p := &cliProc{t: t, cancel: cancel, lines: make(chan string, 1024), code: make(chan int, 1)}
	go func() {
		code := Run(ctx, args, strings.NewReader(""), pw, &p.stderr)
		pw.Close()
		p.code <- code
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	return p
}

// next returns the next stdout line (the timer only turns a hang into a failure).
func (p *cliProc) next() string {
	p.t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			p.t.Fatalf("command ended; stderr: %s", p.stderr.String())
		}
		return l
	case <-time.After(30 * time.Second):
		p.t.Fatalf("no output for 30s; stderr: %s", p.stderr.String())
	}
	return ""
}

// until reads lines until one matches re, and returns it.
func (p *cliProc) until(re *regexp.Regexp) string {
	p.t.Helper()
	for {
		if l := p.next(); re.MatchString(l) {
			return l
		}
	}
}

// stop interrupts the command, as SIGINT does, and returns its exit code and remaining output.
func (p *cliProc) stop() (int, []string) {
	p.cancel()
	var rest []string
	guard := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if ok {
				rest = append(rest, l)
				continue
			}
			return <-p.code, rest
		case <-guard:
			p.t.Fatalf("command did not stop within 30s; stderr: %s", p.stderr.String())
		}
	}
}

var servingLine = regexp.MustCompile(`^serving Kraken v1 at (ws://127\.0\.0\.1:\d+) and v2 at (ws://127\.0\.0\.1:\d+/v2) \(REST at (http://127\.0\.0\.1:\d+)/0/public/\.\.\.\)$`)

func TestServeAndWatch(t *testing.T) {
	defer goleak.VerifyNone(t)
	srv := startCLI(t, "serve", "--synth", "--pairs", "BTC/USD,ETH/USD", "--rate", "300")
	m := servingLine.FindStringSubmatch(srv.next())
	if m == nil {
		t.Fatal("first line does not name the endpoints")
	}
	v1, v2, rest := m[1], m[2], m[3]
	if l := srv.next(); !strings.HasPrefix(l, "data: generated market BTC/USD,ETH/USD (seed 1) at 300 events/s") {
		t.Errorf("second line %q", l)
	}
	resp, err := http.Get(rest + "/0/public/SystemStatus")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"status":"online"`) {
		t.Errorf("REST SystemStatus %s", body)
	}

	trade := regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{6} BTC/USD (buy|sell) [0-9.]+ @ [0-9.]+( #\d+)?$`)
	book := regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{6} BTC/USD book bid [0-9.]+ x [0-9.]+ \| ask [0-9.]+ x [0-9.]+$`)
	for _, tc := range []struct {
		url, api string
		id       bool
	}{{v2, "", true}, {v1, "", false}, {v1, "v1", false}} {
		args := []string{"watch", "--url", tc.url, "--pairs", "BTC/USD", "--channels", "trade,book"}
		if tc.api != "" {
			args = append(args, "--api", tc.api)
		}
		w := startCLI(t, args...)
		w.until(regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{6} status online \(version [0-9.]+, connection 1\)$`))
		w.until(regexp.MustCompile(`subscribed trade BTC/USD$`))
		w.until(regexp.MustCompile(`subscribed book BTC/USD \(depth 10\)$`))
		if l := w.until(trade); strings.Contains(l, "#") != tc.id {
			t.Errorf("%s: trade line %q (v2 lines carry the trade id, v1 lines cannot)", tc.url, l)
		}
		w.until(book)
		code, tail := w.stop()
		if code != ExitOK || len(tail) == 0 || !strings.HasPrefix(tail[len(tail)-1], "watched ") ||
			!strings.Contains(tail[len(tail)-1], "0 checksum mismatches, 0 malformed frames") {
			t.Errorf("%s: watch exit %d, last lines %q, stderr %s", tc.url, code, tail, w.stderr.String())
		}
	}
	code, tail := srv.stop()
	if code != ExitOK || len(tail) != 1 || !regexp.MustCompile(`^stopped: 3 connections, 6 subscriptions, \d+ frames sent$`).MatchString(tail[0]) {
		t.Errorf("serve exit %d, output %q, stderr %s", code, tail, srv.stderr.String())
	}
}

// TestServeReplaysData replays a v1 recording raw (the default: v1 clients get the recorded
// frames) and decoded (--replay events: v2 clients get its trades too).
func TestServeReplaysData(t *testing.T) {
	defer goleak.VerifyNone(t)
	dir := t.TempDir()
	frames := `[0,[["5541.20000","0.15850568","1534614057.321597","s","l",""],["6060.00000","0.02455000","1534614057.324998","b","l",""]],"trade","XBT/USD"]` + "\n"
	path := dir + "/frames.jsonl"
	if err := writeFile(path, frames); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode, data, api, line string
		url                   int
	}{
		{"raw", "data: recording " + path + " (1 frames, raw) at speed 50, from the first subscription", "v1",
			`^\d\d:\d\d:\d\d\.\d{6} BTC/USD sell 0.15850568 @ 5541.2$`, 1},
		{"events", "data: recording " + path + " (2 events) at speed 50", "v2",
			`^\d\d:\d\d:\d\d\.\d{6} BTC/USD sell 0.15850568 @ 5541.2 #\d+$`, 2},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			srv := startCLI(t, "serve", "--data", path, "--loop", "--speed", "50", "--replay", tc.mode)
			m := servingLine.FindStringSubmatch(srv.next())
			if m == nil {
				t.Fatal("no endpoints line")
			}
			if l := srv.next(); l != tc.data {
				t.Errorf("data line %q, want %q", l, tc.data)
			}
			w := startCLI(t, "watch", "--url", m[tc.url], "--api", tc.api, "--pairs", "BTC/USD")
			w.until(regexp.MustCompile(tc.line))
			if code, _ := w.stop(); code != ExitOK {
				t.Errorf("watch exit %d: %s", code, w.stderr.String())
			}
			if code, _ := srv.stop(); code != ExitOK {
				t.Errorf("serve exit %d: %s", code, srv.stderr.String())
			}
		})
	}
}

func TestServeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--data", "x", "--synth"},
		{"serve", "--pairs", "NOPE/USD"},
		{"serve", "--pairs", "ARB/USD"},
		{"serve", "--price", "BTC/USD=-1"},
		{"serve", "--speed", "0"},
		{"serve", "--rate", "Inf"},
		{"serve", "--rate", "NaN"},
		{"serve", "--rate", "-1"},
		{"serve", "--rate", "1e9"},
		{"serve", "--rate", "1e6", "--speed", "2"},
		{"serve", "--speed", "NaN"},
		{"serve", "--speed", "+Inf"},
		{"serve", "--addr", "0.0.0.0:0"},
		{"serve", "--addr", ":0"},
		{"serve", "--addr", "[::]:0"},
		{"serve", "--addr", "192.0.2.1:0"},
		{"serve", "--addr", "nonsense"},
		{"serve", "--drop-every", "-1s"},
		{"serve", "extra"},
		{"serve", "--replay", "cooked"},
		{"serve", "--depth", "0"},
		{"serve", "--pairs-file", "/nonexistent/assetpairs.json"},
		{"live", "-c", "/nonexistent/run.yaml", "--pairs-file", "/nonexistent/assetpairs.json"},
	} {
		var out, errOut strings.Builder
		if code := Run(context.Background(), args, strings.NewReader(""), &out, &errOut); code != ExitUsage {
			t.Errorf("%q: exit %d, want %d (stderr %s)", args, code, ExitUsage, errOut.String())
		}
	}
	var out, errOut strings.Builder
	if code := Run(context.Background(), []string{"serve", "--data", t.TempDir() + "/missing"}, strings.NewReader(""), &out, &errOut); code != ExitError {
		t.Errorf("missing data: exit %d", code)
	}
}

// TestServePairsFile: a saved instrument message adds its pairs to what serve offers.
func TestServePairsFile(t *testing.T) {
	defer goleak.VerifyNone(t)
	path := t.TempDir() + "/instrument.json"
	msg := `{"channel":"instrument","type":"snapshot","data":{"assets":[],"pairs":[{"symbol":"NEW/USD","base":"NEW","quote":"USD","status":"online","qty_precision":4,"qty_increment":0.0001,"price_precision":3,"cost_precision":5,"marginable":false,"has_index":false,"cost_min":0.5,"tick_size":0.001,"price_increment":0.001,"qty_min":1.0}]}}`
	if err := writeFile(path, msg); err != nil {
		t.Fatal(err)
	}
	srv := startCLI(t, "serve", "--pairs-file", path, "--synth", "--pairs", "NEW/USD", "--price", "NEW/USD=2", "--depth", "30")
	m := servingLine.FindStringSubmatch(srv.next())
	if m == nil {
		t.Fatal("no endpoints line")
	}
	resp, err := http.Get(m[3] + "/0/public/AssetPairs?pair=NEWUSD")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"wsname":"NEW/USD"`) || !strings.Contains(string(body), `"pair_decimals":3`) {
		t.Errorf("AssetPairs NEWUSD: %s", body)
	}
	if code, _ := srv.stop(); code != ExitOK {
		t.Errorf("serve exit %d: %s", code, srv.stderr.String())
	}
}

// TestServeCCXT runs ccxt's Kraken classes (npm ccxt, scripts/ccxt-check/check.mjs) against
// serve with only their URLs changed: loadMarkets, watchTrades, watchOrderBook, watchTicker,
// watchOHLCV and three REST fetches (issue 14). ccxt is installed with npm into the user
// cache (about 10 s the first time); the test skips without node/npm or when the npm
// registry cannot be reached.
func TestServeCCXT(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no npm install")
	}
	node, err1 := exec.LookPath("node")
	npm, err2 := exec.LookPath("npm")
	if err1 != nil || err2 != nil {
		t.Skip("node and npm are needed for the ccxt check")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = t.TempDir()
	}
	dir := filepath.Join(cache, "papertrade", "ccxt-check")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"package.json", "check.mjs"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "scripts", "ccxt-check", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // a hang fails, it does not pace
	defer cancel()
	install := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--silent")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Skipf("npm install ccxt failed (registry unreachable?): %v\n%s", err, out)
	}

	defer goleak.VerifyNone(t)
	srv := startCLI(t, "serve", "--synth", "--pairs", "BTC/USD,ETH/USD", "--rate", "100")
	m := servingLine.FindStringSubmatch(srv.next())
	if m == nil {
		t.Fatal("no endpoints line")
	}
	check := exec.CommandContext(ctx, node, filepath.Join(dir, "check.mjs"), m[3], m[1], m[2], "BTC/USD")
	out, err := check.CombinedOutput()
	if err != nil {
		t.Errorf("ccxt check failed: %v\n%s", err, out)
	} else {
		t.Logf("ccxt:\n%s", out)
	}
	if code, _ := srv.stop(); code != ExitOK {
		t.Errorf("serve exit %d: %s", code, srv.stderr.String())
	}
}

// Issue 15 item 16: every interface only with --allow-remote (usage errors above without it),
// and the fastest generated market still stops when interrupted.
func TestServeAllowRemoteAndMaxRate(t *testing.T) {
	defer goleak.VerifyNone(t)
	p := startCLI(t, "serve", "--addr", "0.0.0.0:0", "--allow-remote", "--rate", "1e6")
	if l := p.next(); !strings.HasPrefix(l, "serving Kraken v1 at ws://") {
		t.Fatalf("first line %q", l)
	}
	if l := p.next(); !strings.Contains(l, "at 1e+06 events/s") {
		t.Fatalf("data line %q", l)
	}
	if code, rest := p.stop(); code != ExitOK {
		t.Fatalf("exit %d: %v %s", code, rest, p.stderr.String())
	}
}
