package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/cmd/cli"
)

func TestStrategiesListsEveryBuiltinWithItsParameters(t *testing.T) {
	var out, errb bytes.Buffer
	if code := cli.Run(context.Background(), []string{"strategies", "--json"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var e struct {
			Name   string
			Params []struct{ Name, Default, Range string }
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if e.Name != "buyhold" && len(e.Params) < 2 {
			t.Errorf("%s lists %d parameters", e.Name, len(e.Params))
		}
		names = append(names, e.Name)
	}
	if got, want := strings.Join(names, ","), "bollinger,breakout,buyhold,grid,smacross"; got != want {
		t.Fatalf("strategies = %s, want %s", got, want)
	}
}

func TestStrategiesRejectsAnUnknownName(t *testing.T) {
	var out, errb bytes.Buffer
	if code := cli.Run(context.Background(), []string{"strategies", "nope"}, nil, &out, &errb); code != cli.ExitUsage {
		t.Fatalf("exit %d, want %d", code, cli.ExitUsage)
	}
	if !strings.Contains(errb.String(), `unknown strategy "nope"`) {
		t.Fatalf("stderr = %q", errb.String())
	}
}
