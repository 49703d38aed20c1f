package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// runPairs runs "papertrade pairs args..." and returns exit code, stdout and stderr.
func runPairs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), append([]string{"pairs"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestPairsTable(t *testing.T) {
	code, out, errOut := runPairs(t)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1+65 {
		t.Fatalf("%d lines, want a header and 65 pairs:\n%s", len(lines), out)
	}
	header := lines[0]
	cols := []string{"PAIR", "V1 NAME", "PRICE DEC", "LOT DEC", "TICK", "ORDERMIN", "COSTMIN", "MAKER %", "TAKER %", "STATUS"}
	var starts []int
	for _, c := range cols {
		i := strings.Index(header, c)
		if i < 0 {
			t.Fatalf("header %q lacks %q", header, c)
		}
		starts = append(starts, i)
	}
	// Aligned: every cell starts where its header does.
	for _, l := range lines[1:] {
		for k, s := range starts {
			if len(l) <= s || l[s] == ' ' || (s > 0 && l[s-1] != ' ') {
				t.Fatalf("line %q: column %q does not start at %d", l, cols[k], s)
			}
		}
	}
	// Sorted by v2 name, and the rows say what the table says.
	var names []string
	rows := map[string][]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		names = append(names, f[0])
		rows[f[0]] = f
	}
	if !slices.IsSorted(names) {
		t.Errorf("pairs not sorted: %v", names)
	}
	for pair, want := range map[string][]string{
		"BTC/USD":  {"BTC/USD", "XBT/USD", "1", "8", "0.1", "0.0001", "0.5", "0.25", "0.40", "online"},
		"DOGE/EUR": {"DOGE/EUR", "XDG/EUR", "7", "8", "0.0000001", "60", "0.45", "0.25", "0.40", "online"},
		"USDT/USD": {"USDT/USD", "USDT/USD", "5", "8", "0.00001", "10", "0.5", "0.20", "0.20", "online"},
		"PEPE/USD": {"PEPE/USD", "PEPE/USD", "9", "5", "0.000000001", "3000000", "0.5", "0.25", "0.40", "online"},
	} {
		if got := rows[pair]; !slices.Equal(got, want) {
			t.Errorf("%s row = %q, want %q", pair, got, want)
		}
	}
}

func TestPairsJSON(t *testing.T) {
	code, out, errOut := runPairs(t, "--json")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 65 {
		t.Fatalf("%d JSON lines, want 65", len(lines))
	}
	var btc map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		// Money and quantities are decimal strings, never JSON numbers.
		for _, k := range []string{"tick", "lot_step", "ordermin", "costmin", "maker_fee", "taker_fee"} {
			if _, ok := m[k].(string); !ok {
				t.Errorf("%v: %s = %#v, want a string", m["pair"], k, m[k])
			}
		}
		if m["pair"] == "BTC/USD" {
			btc = m
		}
	}
	if btc == nil {
		t.Fatal("no BTC/USD line")
	}
	want := map[string]any{
		"pair": "BTC/USD", "wsname": "XBT/USD", "altname": "XBTUSD", "id": "XXBTZUSD", "base": "BTC", "quote": "USD",
		"price_decimals": 1.0, "lot_decimals": 8.0, "cost_decimals": 5.0, "tick": "0.1", "lot_step": "0.00000001",
		"ordermin": "0.0001", "costmin": "0.5", "status": "online", "maker_fee": "0.25", "taker_fee": "0.4",
		"fee_volume_currency": "USD",
	}
	for k, v := range want {
		if btc[k] != v {
			t.Errorf("BTC/USD %s = %#v, want %#v", k, btc[k], v)
		}
	}
	tiers, _ := btc["taker_tiers"].([]any)
	if len(tiers) != 10 {
		t.Fatalf("taker_tiers = %v", btc["taker_tiers"])
	}
	if last := tiers[9].(map[string]any); last["volume"] != "10000000" || last["percent"] != "0.1" {
		t.Errorf("last taker tier %v", last)
	}
}

func TestPairsOnePair(t *testing.T) {
	for _, name := range []string{"BTC/USD", "XBT/USD", "XBTUSD", "XXBTZUSD"} {
		code, out, errOut := runPairs(t, "--pair", name)
		if code != ExitOK {
			t.Fatalf("--pair %s: exit %d, stderr %s", name, code, errOut)
		}
		for _, want := range []string{
			"pair                 BTC/USD\n",
			"v1 name              XBT/USD\n",
			"REST key             XXBTZUSD\n",
			"ordermin             0.0001 BTC\n",
			"costmin              0.5 USD\n",
			"30-DAY VOLUME (USD)  MAKER %  TAKER %\n",
			"0                    0.25     0.40\n",
			"10000                0.20     0.35\n",
			"2500000              0.04     0.14\n",
			"10000000             0.00     0.10\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("--pair %s: output lacks %q:\n%s", name, want, out)
			}
		}
		if n := strings.Count(out, "\n"); n != 14+1+1+10 {
			t.Errorf("--pair %s: %d lines, want 26:\n%s", name, n, out)
		}
	}

	code, out, _ := runPairs(t, "--pair", "EUR/USD", "--json")
	if code != ExitOK || strings.Count(out, "\n") != 1 || !strings.Contains(out, `"maker_tiers":[{"volume":"0","percent":"0.2"},{"volume":"50000","percent":"0.16"}`) {
		t.Errorf("--pair EUR/USD --json: exit %d\n%s", code, out)
	}

	code, out, errOut := runPairs(t, "--pair", "BTC/JPY")
	if code != ExitError || out != "" || !strings.Contains(errOut, `pair "BTC/JPY" is not in the table`) {
		t.Errorf("unknown pair: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

const pairsTestAssetPairs = `{"error":[],"result":{
"XXBTZUSD":{"altname":"XBTUSD","wsname":"XBT/USD","base":"XXBT","quote":"ZUSD","cost_decimals":5,"pair_decimals":1,"lot_decimals":8,
 "fees":[[0,0.4],[10000,0.35]],"fees_maker":[[0,0.25],[10000,0.2],[50000,0.14]],"fee_volume_currency":"ZUSD",
 "ordermin":"0.00005","costmin":"0.5","tick_size":"0.1","status":"limit_only"},
"XXBTZEUR":{"altname":"XBTEUR","wsname":"XBT/EUR","base":"XXBT","quote":"ZEUR","pair_decimals":1,"lot_decimals":8,
 "fees":[[0,0.26]],"fees_maker":[[0,0.16]],"fee_volume_currency":"ZUSD","ordermin":"0.0002"}}}`

func TestPairsFromFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "assetpairs.json")
	if err := os.WriteFile(file, []byte(pairsTestAssetPairs), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runPairs(t, "--from-file", file)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and 2 pairs:\n%s", out)
	}
	if got, want := strings.Fields(lines[1]), []string{"BTC/EUR", "XBT/EUR", "1", "8", "0.1", "0.0002", "-", "0.16", "0.26", "online"}; !slices.Equal(got, want) {
		t.Errorf("BTC/EUR row %q, want %q (costmin unknown in an old response)", got, want)
	}
	if got, want := strings.Fields(lines[2]), []string{"BTC/USD", "XBT/USD", "1", "8", "0.1", "0.00005", "0.5", "0.25", "0.40", "limit_only"}; !slices.Equal(got, want) {
		t.Errorf("BTC/USD row %q, want %q", got, want)
	}

	// Maker and taker schedules that step at different volumes: every threshold is listed.
	code, out, _ = runPairs(t, "--from-file", file, "--pair", "BTC/USD")
	if code != ExitOK || !strings.Contains(out, "10000                0.20     0.35\n50000                0.14     0.35\n") {
		t.Errorf("merged thresholds: exit %d\n%s", code, out)
	}

	bad := filepath.Join(dir, "error.json")
	if err := os.WriteFile(bad, []byte(`{"error":["EQuery:Unknown asset pair"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runPairs(t, "--from-file", bad)
	if code != ExitError || out != "" || !strings.Contains(errOut, "EQuery:Unknown asset pair") || !strings.Contains(errOut, "error.json") {
		t.Errorf("Kraken error response: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = runPairs(t, "--from-file", filepath.Join(dir, "missing.json"))
	if code != ExitError || !strings.Contains(errOut, "missing.json") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}

func TestPairsUsage(t *testing.T) {
	for _, args := range [][]string{{"BTC/USD"}, {"--nope"}, {"--pair"}} {
		if code, _, errOut := runPairs(t, args...); code != ExitUsage {
			t.Errorf("pairs %q: exit %d, want %d (stderr %q)", args, code, ExitUsage, errOut)
		}
	}
}
