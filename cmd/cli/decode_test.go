package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// runDecodeCmd runs "papertrade decode args..." with stdin and returns exit code, stdout, stderr.
func runDecodeCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), append([]string{"decode"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// GST/EUR book-10 snapshot and update from gocryptotrader's capture (checksum 69619317; the
// update repeats a price, the last one wins).
const (
	decodeTestSnapshot = `[8912,{"as":[["0.01300","850.00000000","1690230914.230506"],["0.01400","323483.99590510","1690256356.615823"],["0.01500","100287.34442717","1690219133.193345"],["0.01600","67995.78441017","1690118389.451216"],["0.01700","41776.38397740","1689676303.381189"],["0.01800","11785.76177777","1688631951.812452"],["0.01900","23700.00000000","1686935422.319042"],["0.02000","3941.17000000","1689415829.176481"],["0.02100","16598.69173066","1689420942.541943"],["0.02200","17572.51572836","1689851425.907427"]],"bs":[["0.01200","14220.66466572","1690256540.842831"],["0.01100","160223.61546438","1690256401.072463"],["0.01000","63083.48958963","1690256604.037673"],["0.00900","6750.00000000","1690252470.633938"],["0.00800","213059.49706376","1690256360.386301"],["0.00700","1000.00000000","1689869458.464975"],["0.00600","4000.00000000","1690221333.528698"],["0.00100","245000.00000000","1690051368.753455"]]},"book-10","GST/EUR"]`
	decodeTestUpdate   = `[8912,{"b":[["0.01000","60583.48958963","1690256620.206768"],["0.01000","63083.48958963","1690256620.206783"]],"c":"69619317"},"book-10","GST/EUR"]`
)

func TestDecodeStdin(t *testing.T) {
	in := strings.Join([]string{
		`{"src":"x","seq":0,"ts":null,"dir":"out","msg":{"event":"subscribe","pair":["XBT/USD"],"subscription":{"name":"trade"}}}`,
		`{"src":"x","seq":1,"ts":"1618678132.8253062","dir":"in","msg":[0,[["5541.20000","0.15850568","1534614057.321597","s","l",""]],"trade","XBT/USD"]}`,
		``,
		`{"channel":"trade","type":"update","data":[{"symbol":"MATIC/USD","side":"sell","price":0.5117,"qty":40.0,"ord_type":"market","trade_id":4665906,"timestamp":"2023-09-25T07:49:37.708706Z"}]}`,
		`{"event":"heartbeat"}`,
	}, "\n")
	want := `{"kind":"trade","api":"v1","pair":"BTC/USD","time":"2018-08-18T17:40:57.321597Z","recv":"2021-04-17T16:48:52.8253062Z","side":"sell","ord_type":"limit","price":"5541.20000","qty":"0.15850568"}
{"kind":"trade","api":"v2","pair":"MATIC/USD","time":"2023-09-25T07:49:37.708706Z","side":"sell","ord_type":"market","price":"0.5117","qty":"40.0","trade_id":4665906}
{"kind":"heartbeat","api":"v1"}
`
	for _, args := range [][]string{nil, {"-"}, {"--raw"}} {
		code, out, errOut := runDecodeCmd(t, in, args...)
		want := want
		if len(args) == 0 || args[0] != "--raw" {
			// The connection rules drop heartbeats; --raw shows every frame.
			want = strings.TrimSuffix(want, "{\"kind\":\"heartbeat\",\"api\":\"v1\"}\n")
		}
		if code != ExitOK || out != want || errOut != "" {
			t.Errorf("decode %v: exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", args, code, out, want, errOut)
		}
	}
}

func TestDecodeBadLines(t *testing.T) {
	in := strings.Join([]string{
		`{"event":"heartbeat"}`,
		`CloudFlare WebSocket proxy restarting`,
		`[0,[["-1.0","0.1","1534614057.321597","s","l",""]],"trade","XBT/USD"]`,
		`{"channel":"heartbeat"}`,
		`{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1,"qty":`,
	}, "\n")
	code, out, errOut := runDecodeCmd(t, in, "--raw")
	if code != ExitBadInput {
		t.Errorf("exit %d, want %d", code, ExitBadInput)
	}
	if want := "{\"kind\":\"heartbeat\",\"api\":\"v1\"}\n{\"kind\":\"heartbeat\",\"api\":\"v2\"}\n"; out != want {
		t.Errorf("stdout %q, want %q (good lines still decoded)", out, want)
	}
	for _, want := range []string{
		`<stdin>:2: kraken: frame at byte 0: not JSON: "CloudFlare WebSocket proxy restarting"`,
		`<stdin>:3: kraken: v1 frame: [1][0][0] at byte 5: -1.0 is not a positive price`,
		`<stdin>:5: kraken: v2 frame: data[0].qty at byte 92: frame ends where a number was expected`,
		`papertrade: decode: 3 lines could not be decoded`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "<stdin>:1:") || strings.Contains(errOut, "<stdin>:4:") {
		t.Errorf("good lines reported as bad:\n%s", errOut)
	}
}

func TestDecodeBooks(t *testing.T) {
	bad := strings.Replace(decodeTestUpdate, `"c":"69619317"`, `"c":"12345"`, 1)
	tests := []struct {
		name       string
		in         []string
		code       int
		summary    string
		mismatches int // "checksum mismatch" reports on stderr
	}{
		{"clean", []string{decodeTestSnapshot, decodeTestUpdate}, ExitOK, "books: 1 updates, 0 checksum mismatches\n", 0},
		// After a mismatch the book is reported once and ignored until the next snapshot.
		{"mismatch once then resync", []string{decodeTestSnapshot, bad, bad, decodeTestUpdate, decodeTestSnapshot, decodeTestUpdate}, ExitChecksum, "books: 2 updates, 1 checksum mismatches\n", 1},
		// An update before any snapshot is skipped, not checked.
		{"update before snapshot", []string{decodeTestUpdate, decodeTestSnapshot, decodeTestUpdate}, ExitOK, "books: 1 updates, 0 checksum mismatches\nbooks: 1 updates skipped while waiting for a snapshot\n", 0},
		// Checksum mismatches (3) win over bad lines (4).
		{"3 wins over 4", []string{decodeTestSnapshot, "garbage", bad}, ExitChecksum, "books: 1 updates, 1 checksum mismatches\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runDecodeCmd(t, strings.Join(tt.in, "\n"), "--books", "-q")
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, errOut)
			}
			if out != "" {
				t.Errorf("--quiet printed %q", out)
			}
			if !strings.Contains(errOut, tt.summary) {
				t.Errorf("stderr lacks %q:\n%s", tt.summary, errOut)
			}
			if n := strings.Count(errOut, "checksum mismatch:"); n != tt.mismatches {
				t.Errorf("%d mismatch reports, want %d:\n%s", n, tt.mismatches, errOut)
			}
		})
	}
}

// TestDecodeBooksFixtures is the gate: every captured book stream decodes with zero checksum
// mismatches. The captures whose licence lets them live in the repository are in
// feed/kraken/testdata; the others are read from the shared folder when it exists.
func TestDecodeBooksFixtures(t *testing.T) {
	local := filepath.Join("..", "..", "feed", "kraken", "testdata", "fixtures")
	files := []string{
		filepath.Join(local, "cryptofeed", "KRAKEN.ws.50.0.jsonl"),
		filepath.Join(local, "gocryptotrader", "v1-book-captures-2023-07-25.jsonl"),
	}
	want := 4269 + 16
	shared := filepath.Join("..", "..", "..", "shared", "kraken", "fixtures", "python-kraken-sdk")
	if _, err := os.Stat(shared); err == nil {
		files = append(files,
			filepath.Join(shared, "orderbook-v1.jsonl"),
			filepath.Join(shared, "orderbook-v1-2023-05-29.jsonl"),
			filepath.Join(shared, "orderbook-v2.jsonl"))
		want += 979 + 110 + 509
	} else {
		t.Logf("shared fixtures absent (%v): checking the in-repository captures only", err)
	}
	code, out, errOut := runDecodeCmd(t, "", append([]string{"--books", "--quiet"}, files...)...)
	if code != ExitOK || out != "" {
		t.Errorf("exit %d, stdout %q\n%s", code, out, errOut)
	}
	if s := "books: " + strconv.Itoa(want) + " updates, 0 checksum mismatches\n"; errOut != s {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, s)
	}
}

func TestDecodeMissingFile(t *testing.T) {
	code, _, errOut := runDecodeCmd(t, "", filepath.Join(t.TempDir(), "nope.jsonl"))
	if code != ExitError || !strings.Contains(errOut, "nope.jsonl") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// Lines of a decompressed recording (feed/tape) decode with their receive time.
func TestDecodeTapeLines(t *testing.T) {
	in := strings.Join([]string{
		`{"recv":1700000000123456789,"api":"v2","conn":0,"raw":{"channel":"heartbeat"}}`,
		`{"recv":1700000001000000000,"api":"v1","conn":1,"text":"CloudFlare WebSocket proxy restarting"}`,
		`{"recv":1700000002000000000,"api":"v1","conn":1,"raw":[0,[["5541.20000","0.15850568","1534614057.321597","s","l",""]],"trade","XBT/USD"]}`,
	}, "\n")
	code, out, errOut := runDecodeCmd(t, in, "--raw")
	want := `{"kind":"heartbeat","api":"v2","recv":"2023-11-14T22:13:20.123456789Z"}
{"kind":"trade","api":"v1","pair":"BTC/USD","time":"2018-08-18T17:40:57.321597Z","recv":"2023-11-14T22:13:22Z","side":"sell","ord_type":"limit","price":"5541.20000","qty":"0.15850568"}
`
	if code != ExitBadInput || out != want || !strings.Contains(errOut, `<stdin>:2: kraken: frame at byte 0: not JSON: "CloudFlare WebSocket proxy restarting"`) {
		t.Errorf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", code, out, want, errOut)
	}
}

// By default decode shows what a replay trades on: the connection rules of the one
// normaliser. A recording with a reconnect whose trade snapshot overlaps shows each trade
// once, and the id gap; --raw shows every frame as it is, the repeat included; --raw and
// --books together are refused.
func TestDecodeNormalised(t *testing.T) {
	trade := func(id int, typ string) string {
		return fmt.Sprintf(`{"channel":"trade","type":"%s","data":[{"symbol":"BTC/USD","side":"buy","price":87000.0,"qty":0.01000000,"ord_type":"limit","trade_id":%d,"timestamp":"2026-03-02T09:00:%02d.000000Z"}]}`, typ, id, id%60)
	}
	var lines []string
	for i, f := range []struct {
		conn int
		raw  string
	}{
		{1, trade(9, "snapshot")}, {1, `{"channel":"heartbeat"}`}, {1, trade(10, "update")}, {1, trade(11, "update")},
		{2, trade(10, "snapshot")}, {2, trade(11, "snapshot")}, {2, trade(13, "update")},
	} {
		lines = append(lines, fmt.Sprintf(`{"recv":%d,"api":"v2","conn":%d,"raw":%s}`, 1_700_000_000_000_000_000+int64(i), f.conn, f.raw))
	}
	in := strings.Join(lines, "\n")
	ids := func(out string) string {
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			switch {
			case strings.Contains(l, `"kind":"trade"`):
				got = append(got, l[strings.Index(l, `"trade_id":`)+len(`"trade_id":`):len(l)-1])
			case strings.Contains(l, `"kind":"gap"`):
				got = append(got, "gap")
			case strings.Contains(l, `"kind":"heartbeat"`):
				got = append(got, "heartbeat")
			}
		}
		return strings.Join(got, " ")
	}
	code, out, errOut := runDecodeCmd(t, in)
	if g, w := ids(out), "10 11 gap 13"; code != ExitOK || g != w {
		t.Errorf("normalised: exit %d, events %q, want %q\n%s", code, g, w, errOut)
	}
	code, out, errOut = runDecodeCmd(t, in, "--raw")
	if g, w := ids(out), "9 heartbeat 10 11 10 11 13"; code != ExitOK || g != w {
		t.Errorf("--raw: exit %d, events %q, want %q\n%s", code, g, w, errOut)
	}
	if code, _, errOut := runDecodeCmd(t, in, "--raw", "--books"); code != ExitUsage || !strings.Contains(errOut, "--raw") {
		t.Errorf("--raw --books: exit %d %q", code, errOut)
	}
}
