package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportCommandCSV(t *testing.T) {
	in := t.TempDir()
	csv := filepath.Join(in, "XBTUSD.csv")
	rows := "1381095255,122.0,0.1\n1381095255,123.00000,0.2\n1381095260,x,1\n1381095261,121.9,1.5\n1381095262,121.9,1,2\n"
	if err := os.WriteFile(csv, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code, out, errOut := tpRun(t, "import", csv, "--out", dir)
	if code != ExitBadInput {
		t.Errorf("exit %d, want %d (rows skipped)", code, ExitBadInput)
	}
	wantErr := csv + `:3: price "x": want a positive decimal number (skipped)` + "\n" +
		csv + ":5: 4 columns, want 3 (unix_seconds,price,volume) (skipped)\n" +
		"papertrade: import: 2 rows skipped\n"
	if errOut != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, wantErr)
	}
	if want := csv + ": 3 trades in 2 frames, 2013-10-06T21:34:15Z to 2013-10-06T21:34:21Z, 2 rows skipped → " + dir + "\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	events := tpMust(t, "decode", dir)
	want := `{"kind":"trade","api":"v2","pair":"BTC/USD","time":"2013-10-06T21:34:15Z","recv":"2013-10-06T21:34:15Z","side":"buy","price":"122.0","qty":"0.10000000"}
{"kind":"trade","api":"v2","pair":"BTC/USD","time":"2013-10-06T21:34:15Z","recv":"2013-10-06T21:34:15Z","side":"buy","price":"123.0","qty":"0.20000000"}
{"kind":"trade","api":"v2","pair":"BTC/USD","time":"2013-10-06T21:34:21Z","recv":"2013-10-06T21:34:21Z","side":"sell","price":"121.9","qty":"1.50000000"}
`
	if events != want {
		t.Errorf("decode:\n%s\nwant:\n%s", events, want)
	}
	var s tapeSummary
	if err := json.Unmarshal([]byte(tpMust(t, "tape", "info", "--json", dir)), &s); err != nil {
		t.Fatal(err)
	}
	if m := s.Recordings[0].Meta; s.Recordings[0].Name != "csv-XBTUSD" || m["side"] != "tick-rule" || m["source"] != "kraken-csv" || m["file"] != "XBTUSD.csv" {
		t.Errorf("recording %+v", s.Recordings[0])
	}

	// A file name that is no pair needs --pair; --pair takes any Kraken spelling.
	other := filepath.Join(in, "history.csv")
	if err := os.WriteFile(other, []byte("1700000000,3000.5,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := tpRun(t, "import", other, "--out", dir); code != ExitUsage || !strings.Contains(errOut, "--pair") {
		t.Errorf("no pair: exit %d %q", code, errOut)
	}
	tpMust(t, "import", other, "--out", t.TempDir(), "--pair", "XETHZUSD")
	for _, args := range [][]string{{"import", csv}, {"import", "--out", dir}, {"import", csv, "--out", dir, "--format", "xml"}, {"import", csv, "--out", dir, "--pair", "ZZZ"}} {
		if code, _, errOut := tpRun(t, args...); code != ExitUsage {
			t.Errorf("%v: exit %d %q, want %d", args, code, errOut, ExitUsage)
		}
	}
}

func TestImportCommandREST(t *testing.T) {
	in := t.TempDir()
	page := func(from, to int) string {
		var es []string
		for i := from; i < to; i++ {
			es = append(es, `["3000.`+string(rune('0'+i%10))+`0000","1.00000000",1762795433.`+strings.Repeat(string(rune('1'+i%9)), 7)+`,"s","m","",`+itoa(100+i)+`]`)
		}
		return `{"error":[],"result":{"XETHZUSD":[` + strings.Join(es, ",") + `],"last":"1762795433000000000"}}`
	}
	file := filepath.Join(in, "pages.json")
	if err := os.WriteFile(file, []byte(page(0, 5)+"\n"+page(4, 8)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := tpMust(t, "import", file, "--out", dir)
	if !strings.HasPrefix(out, file+": 8 trades in 8 frames") || !strings.Contains(out, "1 repeated at page boundaries") {
		t.Errorf("stdout %q", out)
	}
	events := tpMust(t, "decode", dir)
	if !strings.Contains(events, `"time":"2025-11-10T17:23:53.1111111Z"`) || !strings.Contains(events, `"trade_id":107`) || strings.Count(events, "\n") != 8 {
		t.Errorf("decode:\n%s", events)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// TestImportSharedFixtures imports the real samples kept in ../shared (GPL and LGPL: read
// there, never copied), skipping when the folder is absent.
func TestImportSharedFixtures(t *testing.T) {
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil; _, err = os.Stat(filepath.Join(root, "go.mod")) {
		if root == filepath.Dir(root) {
			t.Skip("module root not found")
		}
		root = filepath.Dir(root)
	}
	fixtures := filepath.Join(root, "..", "shared", "kraken", "fixtures")
	csv := filepath.Join(fixtures, "freqtrade", "trades_csv", "BCHEUR.csv")
	js := filepath.Join(fixtures, "nautilus_trader", "http_trades.json")
	if _, err := os.Stat(csv); err != nil {
		t.Skipf("shared fixtures not available: %v", err)
	}
	dir := t.TempDir()
	tpMust(t, "import", csv, "--out", dir)
	tpMust(t, "import", js, "--out", dir)
	var s tapeSummary
	if err := json.Unmarshal([]byte(tpMust(t, "tape", "info", "--json", dir)), &s); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, pe := range s.Events {
		counts[string(pe.Pair)] = pe.Counts["trade"]
	}
	if counts["BCH/EUR"] != 148 || counts["BTC/USDT"] != 1000 || len(s.Recordings) != 2 {
		t.Errorf("trades per pair %v, recordings %d", counts, len(s.Recordings))
	}
}

// The README's import example uses the sample in examples/import (issue 18 item 6).
func TestImportReadmeSample(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := tpRun(t, "import", "../../examples/import/XBTUSD.csv", "--out", dir)
	if code != 0 || !strings.Contains(out, "40 trades") {
		t.Fatalf("import sample: exit %d\n%s\n%s", code, out, errOut)
	}
}
