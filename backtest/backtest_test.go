package backtest

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var resultFiles = []string{"summary.json", "manifest.json", "fills.csv", "orders.csv", "equity.csv", "report.html"}

func runGolden(t *testing.T, out string, models ...sim.FillModel) *Result {
	t.Helper()
	res, err := Run(context.Background(), Options{
		Config: loadConfig(t, goldenConfig), Registry: testRegistry(), Out: out, Version: "test", Models: models,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The golden end-to-end test: the committed tape and config give the committed
// summary.json and fills.csv, byte for byte, and a second run gives identical files.
func TestGolden(t *testing.T) {
	a, b := tempOut(t), tempOut(t)
	res := runGolden(t, a)
	runGolden(t, b)
	for _, f := range resultFiles {
		x, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two identical runs", f)
		}
	}
	for _, f := range []string{"summary.json", "fills.csv"} {
		got, _ := os.ReadFile(filepath.Join(a, f))
		golden := filepath.Join("testdata", "golden", f)
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (run with -update if the change is intended)", f, golden)
		}
	}
	// The run actually traded, with both liquidities, and nothing faulted.
	for _, s := range res.Summary.Strategies {
		if s.Fills == 0 || s.Fault != "" {
			t.Errorf("%s: %d fills, fault %q", s.Name, s.Fills, s.Fault)
		}
	}
	fills := readCSV(t, filepath.Join(a, "fills.csv"))
	if !slices.Equal(fills[0], report.FillsHeader) {
		t.Errorf("fills header %v", fills[0])
	}
	var maker, taker bool
	for _, r := range fills[1:] {
		maker = maker || r[9] == "maker"
		taker = taker || r[9] == "taker"
	}
	if !maker || !taker {
		t.Errorf("fills: maker %v taker %v, want both", maker, taker)
	}
	if _, err := os.Stat(filepath.Join(a, ".parts")); !os.IsNotExist(err) {
		t.Errorf("part files left behind: %v", err)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// Reconciliation: for every instance, the final balances in summary.json are exactly the
// initial balances plus the fills of fills.csv (base bought minus sold; quote received minus
// paid minus fees).
func TestReconciliation(t *testing.T) {
	out := tempOut(t)
	runGolden(t, out, sim.Pessimistic, sim.Conservative, sim.Optimistic)
	var sum report.Summary
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Strategies) != 6 {
		t.Fatalf("%d instances, want 2 × 3 models", len(sum.Strategies))
	}
	want := map[string]map[string]decimal.Decimal{}
	for _, s := range sum.Strategies {
		m := map[string]decimal.Decimal{}
		for a, v := range s.InitialBalances {
			m[a] = decimal.RequireFromString(v)
		}
		want[s.Name] = m
	}
	for _, r := range readCSV(t, filepath.Join(out, "fills.csv"))[1:] {
		m := want[r[0]]
		pair := feed.Pair(r[3])
		price, qty, fee := decimal.RequireFromString(r[5]), decimal.RequireFromString(r[6]), decimal.RequireFromString(r[7])
		cost := price.Mul(qty)
		if r[4] == "buy" {
			m[pair.Base()] = m[pair.Base()].Add(qty)
			m[pair.Quote()] = m[pair.Quote()].Sub(cost)
		} else {
			m[pair.Base()] = m[pair.Base()].Sub(qty)
			m[pair.Quote()] = m[pair.Quote()].Add(cost)
		}
		m[r[8]] = m[r[8]].Sub(fee)
	}
	for _, s := range sum.Strategies {
		if s.Fills == 0 {
			t.Errorf("%s did not trade", s.Name)
		}
		for asset, w := range want[s.Name] {
			got := decimal.Zero
			if v, ok := s.FinalBalances[asset]; ok {
				got = decimal.RequireFromString(v)
			}
			if !got.Equal(w) {
				t.Errorf("%s %s: summary says %s, initial + fills − fees = %s", s.Name, asset, got, w)
			}
		}
		for asset := range s.FinalBalances {
			if _, ok := want[s.Name][asset]; !ok {
				t.Errorf("%s: final balance in %s that no fill explains", s.Name, asset)
			}
		}
	}
	// The band: every base instance ran under the three models.
	bands := report.Bands(&sum)
	if len(bands) != 2 || len(bands[0].ByModel) != 3 {
		t.Errorf("bands %+v", bands)
	}
}

// The in-memory replay (what sweeps use) gives exactly the results of the streaming tape
// replay.
func TestEventsReplayMatchesTape(t *testing.T) {
	c := loadConfig(t, goldenConfig)
	evs, err := LoadEvents(context.Background(), c.Data.Path, c.Pairs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := tempOut(t), tempOut(t)
	if _, err := Run(context.Background(), Options{Config: c, Registry: testRegistry(), Out: a, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Config: c, Registry: testRegistry(), Out: b, Version: "test", Events: evs}); err != nil {
		t.Fatal(err)
	}
	for _, f := range resultFiles {
		x, _ := os.ReadFile(filepath.Join(a, f))
		y, _ := os.ReadFile(filepath.Join(b, f))
		if !bytes.Equal(x, y) {
			t.Errorf("%s: in-memory replay differs from the tape replay", f)
		}
	}
}

func TestRunErrors(t *testing.T) {
	c := loadConfig(t, goldenConfig)
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no config", Options{Registry: testRegistry()}, "Config and Options.Registry are required"},
		{"missing data", Options{Config: c, Registry: testRegistry(), Data: "testdata/nope"}, "nope"},
		{"bad range", Options{Config: c, Registry: testRegistry(), From: c.Data.From.AddDate(2030, 0, 0), To: c.Data.From.AddDate(2020, 0, 0)}, "is not before"},
	} {
		_, err := Run(context.Background(), tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}
