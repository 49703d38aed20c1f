package tape_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

// importWriter is a Writer set up as the importers want it: no flush goroutine.
func importWriter(t testing.TB, dir string, opts ...tape.Option) *tape.Writer {
	t.Helper()
	w, err := tape.NewWriter(dir, append([]tape.Option{tape.WithFlushInterval(0), tape.WithName("imp")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// decodedTape is what a replay of dir gives: frames and the events decoded from them.
type decodedTape struct {
	frames []tape.Frame
	events []feed.Event
}

func replayTape(t testing.TB, dir string) decodedTape {
	t.Helper()
	r, err := tape.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out decodedTape
	dec := kraken.NewDecoder()
	for f, err := range r.Frames(context.Background(), tape.Range{}) {
		if err != nil {
			t.Fatal(err)
		}
		f.Raw = bytes.Clone(f.Raw)
		out.frames = append(out.frames, f)
		out.events, err = dec.Decode(f.Raw, f.Recv, out.events)
		if err != nil {
			t.Fatalf("frame %s: %v", f.Raw, err)
		}
	}
	if n := r.WarningCount(); n > 0 {
		t.Fatalf("%d warnings: %v", n, r.Warnings())
	}
	return out
}

const csvSample = `1381095255,122.0,0.1
1381095255,123.00000,0.2

1381095255,123,0.05
1381095260,122.5,1.10448420
1381095260,122.5,1,extra
1381095261,abc,1
1381095262,122.4,0
1381095259,122.4,1
1381095263,122.60,0.00000001
1381095263.5,122.6,3
`

func TestImportCSV(t *testing.T) {
	dir := t.TempDir()
	w := importWriter(t, dir, tape.WithMeta("source", "kraken-csv"))
	var bad []tape.RowError
	st, err := tape.ImportCSV(context.Background(), strings.NewReader(csvSample), w, "BTC/USD", tape.ImportOnBad(func(e tape.RowError) { bad = append(bad, e) }))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wantBad := []string{
		"line 6: 4 columns, want 3 (unix_seconds,price,volume)",
		`line 7: price "abc": want a positive decimal number`,
		`line 8: volume "0": want a positive decimal number`,
		"line 9: time 2013-10-06T21:34:19Z is before the previous row's 2013-10-06T21:34:20Z (rows must be in execution order)",
	}
	var got []string
	for _, e := range bad {
		got = append(got, e.Error())
	}
	if strings.Join(got, "\n") != strings.Join(wantBad, "\n") {
		t.Errorf("bad rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantBad, "\n"))
	}
	if st.Rows != 10 || st.Bad != 4 || st.Trades != 6 || st.Frames != 4 {
		t.Errorf("stats %+v, want 10 rows, 4 bad, 6 trades in 4 frames", st)
	}
	tp := replayTape(t, dir)
	want := []string{
		"2013-10-06T21:34:15Z 122.0 0.10000000 buy",  // first trade: buy by convention
		"2013-10-06T21:34:15Z 123.0 0.20000000 buy",  // uptick
		"2013-10-06T21:34:15Z 123.0 0.05000000 buy",  // zero tick: the previous side
		"2013-10-06T21:34:20Z 122.5 1.10448420 sell", // downtick
		"2013-10-06T21:34:23Z 122.6 0.00000001 buy",
		"2013-10-06T21:34:23.5Z 122.6 3.00000000 buy",
	}
	if len(tp.events) != len(want) {
		t.Fatalf("%d events, want %d", len(tp.events), len(want))
	}
	for i, ev := range tp.events {
		tr := ev.Trade
		g := fmt.Sprintf("%s %s %s %v", tr.Time.Format(time.RFC3339Nano), kraken.DecimalText(tr.Price), kraken.DecimalText(tr.Qty), tr.Side)
		if g != want[i] {
			t.Errorf("trade %d: %s, want %s", i, g, want[i])
		}
		if ev.Kind != feed.KindTrade || ev.API != feed.APIV2 || ev.Pair != "BTC/USD" || tr.ID != 0 || tr.OrdType != feed.OrdUnknown || !ev.Recv.Equal(tr.Time) {
			t.Errorf("trade %d: %+v", i, ev)
		}
	}
	for _, f := range tp.frames {
		if f.API != feed.APIV2 || f.Conn != 0 {
			t.Errorf("frame api %v conn %d, want v2 0", f.API, f.Conn)
		}
	}
	if got := string(tp.frames[0].Raw); got != `{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":122.0,"qty":0.10000000,"timestamp":"2013-10-06T21:34:15.000000Z"},{"symbol":"BTC/USD","side":"buy","price":123.0,"qty":0.20000000,"timestamp":"2013-10-06T21:34:15.000000Z"},{"symbol":"BTC/USD","side":"buy","price":123.0,"qty":0.05000000,"timestamp":"2013-10-06T21:34:15.000000Z"}]}` {
		t.Errorf("first frame %s", got)
	}
}

func TestImportCSVHeaderErrorsAndCancel(t *testing.T) {
	w := importWriter(t, t.TempDir())
	defer w.Close()
	st, err := tape.ImportCSV(context.Background(), strings.NewReader("timestamp,price,volume\n1700000000,1.5,2\n"), w, "ETH/USD")
	if err != nil || st.Trades != 1 || st.Bad != 0 {
		t.Errorf("header: %+v %v", st, err)
	}
	if _, err := tape.ImportCSV(context.Background(), strings.NewReader("1,1,1\n"), w, "FOO/BAR"); err == nil || !strings.Contains(err.Error(), "not in the pair table") {
		t.Errorf("unknown pair: %v", err)
	}
	long := strings.Repeat("9", 70<<10)
	if _, err := tape.ImportCSV(context.Background(), strings.NewReader("1700000001,1,1\n"+long), w, "ETH/USD"); err == nil || !strings.Contains(err.Error(), "line 2 is longer") {
		t.Errorf("long line: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	many := strings.Repeat("1700000002,1,1\n", 5000)
	if _, err := tape.ImportCSV(ctx, strings.NewReader(many), w, "ETH/USD"); err != context.Canceled {
		t.Errorf("cancelled: %v", err)
	}
}

// TestImportDeterministic: the same input gives byte-identical tapes.
func TestImportDeterministic(t *testing.T) {
	var rows strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&rows, "%d,%d.%d,0.%04d\n", 1700000000+i/3, 30000+i%17, i%10, 1+i%997)
	}
	var dirs []string
	for range 2 {
		dir := t.TempDir()
		w := importWriter(t, dir, tape.WithMaxSegmentAge(10*time.Minute))
		if _, err := tape.ImportCSV(context.Background(), strings.NewReader(rows.String()), w, "BTC/USD"); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	a, b := dirFiles(t, dirs[0]), dirFiles(t, dirs[1])
	if len(a) < 4 {
		t.Fatalf("only %d files: rotation not exercised", len(a))
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two imports of the same data", name)
		}
	}
	if len(a) != len(b) {
		t.Errorf("%d files vs %d", len(a), len(b))
	}
}

func dirFiles(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sharedFixture returns the path of a file under ../shared/kraken/fixtures (found from the
// module root), skipping the test when the shared folder is absent (a user's clone).
func sharedFixture(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "kraken", "fixtures", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared fixture not available: %v", err)
	}
	return p
}

// TestImportCSVFreqtrade imports the Time-and-Sales samples kept in ../shared (GPL: read
// there, never copied): every row becomes a trade with its exact numbers.
func TestImportCSVFreqtrade(t *testing.T) {
	for _, rel := range []string{"freqtrade/trades_csv/BCHEUR.csv", "freqtrade/trades_csv/incremental_q2/BCHEUR.csv"} {
		t.Run(rel, func(t *testing.T) {
			path := sharedFixture(t, rel)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			w := importWriter(t, dir)
			st, err := tape.ImportCSV(context.Background(), bytes.NewReader(data), w, "BCH/EUR", tape.ImportOnBad(func(e tape.RowError) { t.Errorf("bad row: %v", e) }))
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			if st.Trades != int64(len(lines)) {
				t.Fatalf("%d trades from %d lines", st.Trades, len(lines))
			}
			tp := replayTape(t, dir)
			for i, ev := range tp.events {
				f := strings.Split(strings.TrimSpace(lines[i]), ",")
				if tr := ev.Trade; tr.Time.Unix() != mustInt(t, f[0]) || !tr.Price.Equal(mustDec(t, f[1])) || !tr.Qty.Equal(mustDec(t, f[2])) {
					t.Fatalf("line %d %q: trade %s %s %s", i+1, lines[i], tr.Time, tr.Price, tr.Qty)
				}
			}
		})
	}
}

// FuzzImportCSV feeds arbitrary bytes: no panic, every row is either a trade or a bad row,
// and every trade written decodes back.
func FuzzImportCSV(f *testing.F) {
	f.Add([]byte(csvSample))
	f.Add([]byte("1672531436,90.540000,1.10448420\n1672531471,90.450000,1.00000000\n"))
	f.Add([]byte("1,1e-08,5.1e-05\n,,\n1,,1\n-1,1,1\n99999999999999,1,1\n1.0000000001,1,1\n"))
	f.Add([]byte("1700000000,123456789012345678901234,1\n\xff\xfe,1,1\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		w := importWriter(t, dir)
		var bad int64
		st, err := tape.ImportCSV(context.Background(), bytes.NewReader(data), w, "DOGE/USD", tape.ImportOnBad(func(tape.RowError) { bad++ }))
		if cerr := w.Close(); cerr != nil {
			t.Fatal(cerr)
		}
		if err != nil {
			if strings.Contains(err.Error(), "longer than") {
				return
			}
			// A trade that would not replay is a skipped row, never the end of the import.
			t.Fatal(err)
		}
		if bad != st.Bad || st.Trades+st.Bad != st.Rows {
			t.Fatalf("stats %+v, %d bad rows reported", st, bad)
		}
		if st.Trades == 0 {
			return
		}
		if tp := replayTape(t, dir); int64(len(tp.events)) != st.Trades {
			t.Fatalf("%d events, %d trades", len(tp.events), st.Trades)
		}
	})
}

func mustInt(t testing.TB, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustDec(t testing.TB, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// BenchmarkImportCSV imports 100,000 Time-and-Sales rows (three per second) per op.
func BenchmarkImportCSV(b *testing.B) {
	var rows strings.Builder
	for i := range 100_000 {
		fmt.Fprintf(&rows, "%d,%d.%d,0.%08d\n", 1700000000+i/3, 30000+i%17, i%10, 1+i%99991)
	}
	data := rows.String()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		w := importWriter(b, b.TempDir())
		st, err := tape.ImportCSV(context.Background(), strings.NewReader(data), w, "BTC/USD")
		if err != nil || st.Trades != 100_000 {
			b.Fatal(st, err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(100_000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// TestImportRefusesWhatReplayRefuses: a row is written only if the recording's own reader
// decodes it (issue 15 item 10). 1e11 at DOGE/USD's 7 price decimals is 19 digits on the
// wire, which the decoder refuses ("too many digits"): the import accepted it and the tape
// became unreadable. 2^62 is refused as soon as it is written at 0 decimals.
func TestImportRefusesWhatReplayRefuses(t *testing.T) {
	for _, tc := range []struct{ name, row string }{
		{"price too many digits at the pair's decimals", "1735689601,100000000000,10"},
		{"volume too many digits at the pair's decimals", "1735689601,0.1,20000000000"},
		{"price 2^62", "1735689601,4611686018427387904,1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w := importWriter(t, dir)
			var bad []tape.RowError
			data := "1735689600,0.31,10\n" + tc.row + "\n1735689602,0.32,10\n"
			st, err := tape.ImportCSV(context.Background(), strings.NewReader(data), w, "DOGE/USD", tape.ImportOnBad(func(e tape.RowError) { bad = append(bad, e) }))
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if st.Trades != 2 || st.Bad != 1 || len(bad) != 1 || bad[0].Line != 2 {
				t.Fatalf("stats %+v, bad rows %v; want 2 trades and line 2 skipped", st, bad)
			}
			if tp := replayTape(t, dir); len(tp.events) != 2 {
				t.Fatalf("replayed %d events, want 2", len(tp.events))
			}
		})
	}
}
