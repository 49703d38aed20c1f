package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed/kraken"
)

// base is a valid instance; cases append to or replace parts of it.
const base = "strategies:\n  - name: a\n    type: cross\n    pairs: [BTC/USD]\n    balances: {USD: 100}\n"

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		// want is the first problem's message, "line:col: key: text"-style substrings.
		want []string
	}{
		{"empty file", "", []string{"run.yaml: the file is empty"}},
		{"syntax", "seed: [1\n", []string{"run.yaml:", "YAML syntax"}},
		{"unknown top key", "sed: 1\n" + base, []string{"run.yaml:1:1: sed: unknown key (known here: book_depth, data, equity_interval"}},
		{"two documents", base + "---\nseed: 1\n", []string{"more than one YAML document"}},
		{"duplicate key", "seed: 1\nseed: 2\n" + base, []string{"2:1: seed: key given twice"}},
		{"bad seed", "seed: -1\n" + base, []string{"1:7: seed: want a whole number"}},
		{"bad latency", "latency: fast\n" + base, []string{"1:10: latency: bad duration \"fast\""}},
		{"negative jitter", "jitter: -5ms\n" + base, []string{"1:9: jitter: duration -5ms is negative"}},
		{"zero equity interval", "equity_interval: 0s\n" + base, []string{"1:18: equity_interval: 0s is below 1s"}},
		{"bad fill model", "fill_model: lucky\n" + base, []string{"1:13: fill_model: unknown fill model \"lucky\""}},
		{"fill models twice", "fill_models: [default, default]\n" + base, []string{"1:24: fill_models[1]: fill model default listed twice"}},
		{"negative slippage", "slippage_bps: -1\n" + base, []string{"1:15: slippage_bps: -1 is negative"}},
		{"slippage float text", "slippage_bps: 1e999x\n" + base, []string{"slippage_bps: want a decimal number"}},
		{"fee both", "fees: {volume_30d: 5, maker: 0.1, taker: 0.2}\n" + base, []string{"1:7: fees: give either volume_30d"}},
		{"fee half override", "fees: {maker: 0.1}\n" + base, []string{"fees: an override needs both maker and taker"}},
		{"fee unknown key", "fees: {makr: 0.1}\n" + base, []string{"1:8: fees.makr: unknown key (known here: maker, rolling_volume, taker, volume_30d)"}},
		{"fee percent", "fees: {maker: 16, taker: 26}\n" + base, []string{"fees.maker: 16% is above 10%"}},
		{"book depth", "book_depth: 20\n" + base, []string{"1:13: book_depth: book depth 20 is not one of Kraken's"}},
		{"data order", "data: {from: 2025-02-01, to: 2025-01-01}\n" + base, []string{"1:7: data: from (2025-02-01T00:00:00Z) must be before to"}},
		{"data time", "data: {from: tomorrow}\n" + base, []string{"1:14: data.from: bad time \"tomorrow\""}},
		{"no strategies", "seed: 1\n", []string{"1:1: strategies: missing"}},
		{"strategies not list", "strategies: {a: 1}\n", []string{"1:13: strategies: want a list of strategy instances"}},
		{"empty strategies", "strategies: []\n", []string{"1:13: strategies: empty"}},
		{"unknown strategy key", base + "    size: 1\n", []string{"6:5: strategies[0].size: unknown key (known here: account_currency, balances, name, pairs, params, type)"}},
		{"missing name", "strategies:\n  - type: cross\n    pairs: [BTC/USD]\n    balances: {USD: 1}\n", []string{"2:5: strategies[0].name: missing"}},
		{"bad name", strings.Replace(base, "name: a", "name: a@b", 1), []string{"2:11: strategies[0].name: bad name \"a@b\""}},
		{"duplicate name", base + "  - name: a\n    type: hold\n    pairs: [BTC/USD]\n    balances: {USD: 1}\n", []string{"6:5: strategies[1].name: instance name \"a\" is already used on line 2"}},
		{"unknown type", strings.Replace(base, "type: cross", "type: crossover", 1), []string{"3:11: strategies[0](a).type: unknown strategy \"crossover\" (registered: cross, hold)"}},
		{"missing type", "strategies:\n  - name: a\n    pairs: [BTC/USD]\n    balances: {USD: 1}\n", []string{"2:5: strategies[0](a).type: missing"}},
		{"unknown param", base + "    params: {fats: 3}\n", []string{"6:14: strategies[0](a).params.fats: unknown parameter of cross (known: fast, flag, interval, note, size, slow)"}},
		{"param syntax", base + "    params: {fast: three}\n", []string{"6:20: strategies[0](a).params.fast: invalid value \"three\": want an integer"}},
		{"param range", base + "    params: {fast: 99}\n", []string{"6:20: strategies[0](a).params.fast: value out of bounds: 99 is above the maximum 50"}},
		{"param validate", base + "    params: {fast: 30, slow: 10}\n", []string{"6:13: strategies[0](a).params: invalid parameters: fast must be shorter than slow"}},
		{"param list value", base + "    params: {fast: [1, 2]}\n", []string{"6:20: strategies[0](a).params.fast: want a value, got a list"}},
		{"hold has no params", strings.Replace(base, "cross", "hold", 1) + "    params: {x: 1}\n", []string{"6:14: strategies[0](a).params.x: unknown parameter of hold (known: none)"}},
		{"unknown pair", strings.Replace(base, "BTC/USD", "BTC/XYZ", 1), []string{"4:13: strategies[0](a).pairs[0]: unknown pair BTC/XYZ"}},
		{"v1 pair", strings.Replace(base, "BTC/USD", "XBT/USD", 1), []string{"4:13: strategies[0](a).pairs[0]: unknown pair XBT/USD (did you mean BTC/USD? pairs use Kraken's v2 names)"}},
		{"not a pair", strings.Replace(base, "BTC/USD", "BTCUSD", 1), []string{"4:13: strategies[0](a).pairs[0]: \"BTCUSD\" is not a pair"}},
		{"pair twice", strings.Replace(base, "[BTC/USD]", "[BTC/USD, BTC/USD]", 1), []string{"4:22: strategies[0](a).pairs[1]: pair BTC/USD listed twice"}},
		{"missing pairs", "strategies:\n  - name: a\n    type: hold\n    balances: {USD: 1}\n", []string{"2:5: strategies[0](a).pairs: missing"}},
		{"negative balance", strings.Replace(base, "USD: 100", "USD: -5", 1), []string{"5:21: strategies[0](a).balances.USD: balance -5 is negative"}},
		{"bad balance", strings.Replace(base, "USD: 100", "USD: lots", 1), []string{"5:21: strategies[0](a).balances.USD: want a decimal number, got \"lots\""}},
		{"foreign asset", strings.Replace(base, "USD: 100", "USD: 100, EUR: 5", 1), []string{"5:26: strategies[0](a).balances.EUR: asset EUR is neither base nor quote"}},
		{"empty account", strings.Replace(base, "USD: 100", "USD: 0", 1), []string{"5:15: strategies[0](a).balances: the account starts empty"}},
		{"missing balances", "strategies:\n  - name: a\n    type: hold\n    pairs: [BTC/USD]\n", []string{"2:5: strategies[0](a).balances: missing"}},
		{"balances list", strings.Replace(base, "{USD: 100}", "[100]", 1), []string{"5:15: strategies[0](a).balances: want a mapping of asset to amount"}},
		{"account currency", base + "    account_currency: EUR\n", []string{"6:23: strategies[0](a).account_currency: EUR cannot value"}},
		{"live api", base + "live: {api: v3}\n", []string{"6:13: live.api: unknown API \"v3\""}},
		{"live channel", base + "live: {channels: [trade, trades]}\n", []string{"6:26: live.channels[1]: unknown channel \"trades\""}},
		{"live depth", base + "live: {book_depth: 15}\n", []string{"6:20: live.book_depth: book depth 15"}},
		{"live key", base + "live: {urll: x}\n", []string{"6:8: live.urll: unknown key"}},
		{"sweep strategy", base + "sweep: {strategy: b}\n", []string{"6:19: sweep.strategy: no instance named \"b\" (instances: a)"}},
		{"sweep method", base + "sweep: {method: anneal}\n", []string{"6:17: sweep.method: unknown method \"anneal\""}},
		{"sweep metric", base + "sweep: {metric: luck}\n", []string{"6:17: sweep.metric: unknown metric \"luck\" (known: return, cagr, sharpe"}},
		{"sweep param", base + "sweep: {params: {fats: [1]}}\n", []string{"6:18: sweep.params.fats: unknown parameter of cross"}},
		{"sweep range", base + "sweep: {params: {fast: \"1:80:1\"}}\n", []string{"6:24: sweep.params.fast: value out of bounds: 51 is above the maximum 50"}},
		{"sweep range syntax", base + "sweep: {params: {fast: \"1:8\"}}\n", []string{"6:24: sweep.params.fast: range \"1:8\" needs min:max:step"}},
		{"sweep value", base + "sweep: {params: {fast: [1, x]}}\n", []string{"6:24: sweep.params.fast: invalid value \"x\""}},
		{"sweep walk forward", base + "sweep: {walk_forward: {train: 30d}}\n", []string{"6:23: sweep.walk_forward: needs positive train and test windows"}},
		{"sweep nothing to search", strings.Replace(base, "cross", "hold", 1) + "sweep: {}\n", []string{"sweep.params: strategy hold declares no ranges"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.yaml), "run.yaml", testRegistry(), kraken.DefaultPairs())
			if err == nil {
				t.Fatal("no error")
			}
			var es config.Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T is not config.Errors: %v", err, err)
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("errors.As(*config.Error) failed: %v", err)
			}
			got := es[0].Error()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("first problem:\n  %s\nwant it to contain\n  %s\n(all: %v)", got, w, err)
				}
			}
		})
	}
}

// Every problem is reported at once, in file order.
func TestConfigErrorsAll(t *testing.T) {
	y := "seed: x\nstrategies:\n  - name: a\n    type: nope\n    pairs: [FOO/BAR]\n    balances: {USD: -1}\n"
	_, err := config.Parse([]byte(y), "run.yaml", testRegistry(), kraken.DefaultPairs())
	var es config.Errors
	if !errors.As(err, &es) {
		t.Fatalf("err = %v", err)
	}
	if len(es) != 4 {
		t.Fatalf("%d problems, want 4:\n%v", len(es), err)
	}
	for i, line := range []int{1, 4, 5, 6} {
		if es[i].Line != line {
			t.Errorf("problem %d on line %d, want %d: %v", i, es[i].Line, line, es[i])
		}
	}
	if !strings.HasPrefix(err.Error(), "config: 4 problems:\n  run.yaml:1:7: seed:") {
		t.Errorf("message:\n%s", err)
	}
}
