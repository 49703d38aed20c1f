package engine_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/papertrade/papertrade"

// importRules is DESIGN §3's arrows, feed ← strategy ← engine/* ← engine ← backtest ← cmd, as
// the project's packages may import each other (test files aside). A package takes the rule
// of the longest matching pattern; an allowed entry "x" admits x and everything below it,
// "=x" admits x alone. A package no rule matches fails the test: place it in a layer here.
var importRules = []struct {
	pkg   string
	allow []string
}{
	// The vocabulary and the edges: nothing of the strategy or engine layers.
	{"internal", nil}, // leaf helpers (internal/pow10) below every layer
	{"feed", []string{"feed", "internal"}},
	// The plug-in contract and its helpers.
	{"strategy", []string{"feed", "strategy"}},
	// Strategies import only strategy, strategy/indicator and feed (the vocabulary, not the
	// codecs or tapes), never the engine; the builtin registry imports the samples.
	{"strategy/builtin", []string{"=feed", "=strategy", "strategy/indicator", "strategy/builtin"}},
	// engine/*: the record vocabulary is the leaf every sink imports, so no sink links the
	// engine; report is pure (journal → metrics → text/JSON/CSV/HTML).
	{"engine/record", []string{"feed", "=strategy"}},
	{"engine/ledger", []string{"feed", "=strategy"}},
	{"engine/sim", []string{"feed", "=strategy", "engine/ledger", "internal"}},
	{"engine/report", []string{"feed", "=strategy", "engine/record"}},
	{"engine/metrics", []string{"feed", "=strategy", "engine/record"}},
	{"engine/dashboard", []string{"feed", "=strategy", "engine/record", "engine/ledger"}},
	// notify is one more record sink (fills, faults, gaps to Telegram or a webhook), set up
	// from the config's notify section.
	{"engine/notify", []string{"feed", "=strategy", "engine/record", "engine/config"}},
	{"engine/journal", []string{"feed", "=strategy", "engine/record", "engine/ledger", "engine/sim"}},
	// engine/config is plain data (the YAML file); engine/session the parts of a live session
	// that do not run the engine (the tapped live source, the tape source, fill parity).
	// What builds engine instances from a config and runs them (backtest.NewInstance,
	// backtest.ReplaySession, the live node) sits above the engine, at backtest's level.
	{"engine/config", []string{"feed", "=strategy", "engine/record", "engine/ledger", "engine/sim"}},
	{"engine/session", []string{"feed", "=strategy", "engine/record", "engine/ledger", "engine/sim", "engine/journal"}},
	// The engine runs strategies through the contract only: no indicator, no sample.
	{"=engine", []string{"feed", "=strategy", "engine/record", "engine/ledger", "engine/sim"}},
	{"backtest", []string{"feed", "strategy", "engine", "backtest", "internal"}},
	{"cmd", []string{"feed", "strategy", "engine", "backtest", "cmd"}},
}

func admits(pattern, path string) bool {
	if exact, ok := strings.CutPrefix(pattern, "="); ok {
		return path == exact
	}
	return path == pattern || strings.HasPrefix(path, pattern+"/")
}

// ruleFor returns the allowed imports of rel (a path inside the module), or ok false.
func ruleFor(rel string) (allow []string, pattern string, ok bool) {
	best := -1
	for _, r := range importRules {
		if admits(r.pkg, rel) && len(strings.TrimPrefix(r.pkg, "=")) > best {
			best, allow, pattern, ok = len(strings.TrimPrefix(r.pkg, "=")), r.allow, r.pkg, true
		}
	}
	return allow, pattern, ok
}

type listedPackage struct {
	ImportPath string
	Imports    []string
}

// TestImportArrows fails on any import among the project's packages that points up the
// layers of DESIGN §3 (see importRules), so the arrows stay one-way.
func TestImportArrows(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to list the packages")
	}
	cmd := exec.Command(gobin, "list", "-e", "-json=ImportPath,Imports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	pkgs, err := decodePackages(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages of %s; want the whole module", len(pkgs), module)
	}
	for _, p := range pkgs {
		rel, ok := strings.CutPrefix(p.ImportPath, module+"/")
		if !ok {
			continue
		}
		allow, pattern, ok := ruleFor(rel)
		if !ok {
			t.Errorf("%s is in no layer of DESIGN §3: add it to importRules in engine/imports_test.go", rel)
			continue
		}
		for _, imp := range p.Imports {
			irel, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			permitted := false
			for _, a := range allow {
				if admits(a, irel) {
					permitted = true
					break
				}
			}
			if !permitted {
				t.Errorf("%s imports %s: an upward (or sideways) import; rule %q allows only %v", rel, irel, pattern, allow)
			}
		}
	}
}

// TestImportRules checks the table's matching on a few paths.
func TestImportRules(t *testing.T) {
	for _, tc := range []struct {
		pkg, imp string
		want     bool
	}{
		{"engine/report", "engine/record", true},
		{"engine/report", "engine", false},
		{"engine/report", "engine/sim", false},
		{"engine/report", "strategy/indicator", false},
		{"engine", "strategy/indicator", false},
		{"engine", "feed/candle", true},
		{"engine/journal", "engine", false},
		{"engine/session", "engine", false},
		{"engine/config", "engine", false},
		{"engine/session", "engine/journal", true},
		{"backtest", "engine/session", true},
		{"backtest", "engine/config", true},
		{"feed/feedtest", "feed/kraken", true},
		{"feed/feedtest", "strategy", false},
		{"strategy/builtin/grid", "strategy", true},
		{"strategy/builtin/grid", "engine", false},
		{"strategy/builtin/grid", "strategy/strategytest", false},
		{"strategy/builtin/grid", "feed/kraken", false},
		{"feed/kraken", "strategy", false},
		{"backtest", "cmd/cli", false},
	} {
		allow, _, ok := ruleFor(tc.pkg)
		got := false
		for _, a := range allow {
			got = got || admits(a, tc.imp)
		}
		if !ok || got != tc.want {
			t.Errorf("%s importing %s: allowed %v (rule found %v), want %v", tc.pkg, tc.imp, got, ok, tc.want)
		}
	}
}

func decodePackages(b []byte) ([]listedPackage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var out []listedPackage
	for {
		var p listedPackage
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
}
