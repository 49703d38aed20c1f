package builtin_test

import (
	"reflect"
	"testing"

	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/builtin"
)

func TestRegister(t *testing.T) {
	r := strategy.NewRegistry()
	builtin.Register(r)
	want := []string{"bollinger", "breakout", "buyhold", "grid", "smacross"}
	if got := r.Names(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Names() = %q, want %q", got, want)
	}
	for _, name := range want {
		info, _ := r.Describe(name)
		if info.Help == "" || len(info.Params) == 0 {
			t.Errorf("%s: %+v", name, info)
		}
		// Every default is valid and every declared grid expands.
		if _, err := r.New(name, nil, nil); err != nil {
			t.Errorf("New(%s) with defaults: %v", name, err)
		}
		for _, p := range info.Params {
			if p.Step == "" {
				continue
			}
			g, err := p.Grid()
			if err != nil || len(g) < 2 {
				t.Errorf("%s.%s grid = %v, %v", name, p.Name, g, err)
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("registering the samples twice did not panic")
		}
	}()
	builtin.Register(r)
}
