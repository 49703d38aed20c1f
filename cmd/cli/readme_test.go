package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/cmd/cli"
	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed/kraken"
)

// fence matches a fenced code block of the README: its language and its text.
var fence = regexp.MustCompile("(?ms)^```(\\w*)\\n(.*?)^```")

// TestReadmeGoSnippetsAreCompiledCode: issue 18 found the README's strategy snippet did not
// compile when completed literally. Every Go block of the README must now be copied verbatim
// from examples/mystrategy, a module that TestExampleModuleBuildsAndRegistersItsStrategy
// builds, tests and runs; and every YAML block must be a run config that parses.
func TestReadmeGoSnippetsAreCompiledCode(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../../examples/mystrategy/*")
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, string(b))
	}
	goBlocks, yamlBlocks := 0, 0
	for _, m := range fence.FindAllStringSubmatch(string(readme), -1) {
		lang, body := m[1], m[2]
		switch lang {
		case "go":
			goBlocks++
			if !inSources(sources, body) {
				t.Errorf("README Go block %d is not a verbatim copy of a file in examples/mystrategy (the README shows only compiled code):\n%s", goBlocks, body)
			}
		case "yaml":
			yamlBlocks++
			if inSources(sources, body) {
				continue // examples/mystrategy/run.yaml: the module test runs it
			}
			if !strings.Contains(body, "strategies:") {
				// A section shown on its own (live.notify): parse it inside a minimal config.
				body += "strategies:\n  - {name: b, type: buyhold, pairs: [BTC/USD], balances: {USD: \"1000\"}}\n"
			}
			if _, err := config.Parse([]byte(body), "README.md", cli.DefaultRegistry(), kraken.DefaultPairs()); err != nil {
				t.Errorf("README YAML block %d does not parse as a run config: %v\n%s", yamlBlocks, err, body)
			}
		}
	}
	if goBlocks < 2 {
		t.Errorf("found %d Go blocks in the README, want the strategy and its main", goBlocks)
	}
}

func inSources(sources []string, body string) bool {
	for _, src := range sources {
		if strings.Contains(src, body) {
			return true
		}
	}
	return false
}
