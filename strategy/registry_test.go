package strategy_test

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"go.uber.org/zap"
)

func nopFactory(strategy.Params, *zap.Logger) (strategy.Strategy, error) {
	return strategy.StrategyFunc(func(strategy.Context, feed.Trade) error { return nil }), nil
}

type sizeParams struct {
	Size int `param:"size" default:"1" range:"1:10" min:"1" max:"10"`
}

func sizeFactory(p strategy.Params, _ *zap.Logger) (strategy.Strategy, error) {
	var sp sizeParams
	if err := p.Decode(&sp); err != nil {
		return nil, err
	}
	return strategy.StrategyFunc(func(strategy.Context, feed.Trade) error { return nil }), nil
}

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		p := recover()
		if p == nil {
			t.Fatalf("no panic, want one containing %q", want)
		}
		if s, _ := p.(string); !strings.Contains(s, want) {
			t.Fatalf("panic %v, want one containing %q", p, want)
		}
	}()
	f()
}

func TestRegistryRegisterPanics(t *testing.T) {
	tests := []struct {
		name  string
		reg   func(r *strategy.Registry)
		panic string
	}{
		{"duplicate", func(r *strategy.Registry) {
			r.Register("x", nopFactory, nil, "")
			r.Register("x", nopFactory, nil, "")
		}, "Register called twice for x"},
		{"nil factory", func(r *strategy.Registry) { r.Register("x", nil, nil, "") }, "nil factory"},
		{"empty name", func(r *strategy.Registry) { r.Register("", nopFactory, nil, "") }, "bad strategy name"},
		{"bad name", func(r *strategy.Registry) { r.Register("My Strategy", nopFactory, nil, "") }, "bad strategy name"},
		{"bad params", func(r *strategy.Registry) {
			r.Register("x", nopFactory, struct {
				X int `param:"x" default:"y"`
			}{}, "")
		}, `Register x: strategy: struct`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustPanic(t, tt.panic, func() { tt.reg(strategy.NewRegistry()) })
		})
	}
}

func TestRegistryNamesLookupDescribe(t *testing.T) {
	var r strategy.Registry // the zero value works
	for _, n := range []string{"zeta", "alpha", "m-1", "beta_2"} {
		r.Register(n, nopFactory, nil, "  help for "+n+"\n")
	}
	r.Register("sized", sizeFactory, &sizeParams{}, "sized")
	if got, want := r.Names(), []string{"alpha", "beta_2", "m-1", "sized", "zeta"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
	if _, ok := r.Lookup("alpha"); !ok {
		t.Error("Lookup(alpha) not found")
	}
	if _, ok := r.Lookup("gamma"); ok {
		t.Error("Lookup(gamma) found")
	}
	info, ok := r.Describe("alpha")
	if !ok || info.Name != "alpha" || info.Help != "help for alpha" || info.Params != nil {
		t.Errorf("Describe(alpha) = %+v, %v", info, ok)
	}
	info, _ = r.Describe("sized")
	want := []strategy.ParamSpec{{Name: "size", Type: "int", Default: "1", Min: "1", Max: "10", AtLeast: "1", AtMost: "10"}}
	if !reflect.DeepEqual(info.Params, want) {
		t.Errorf("Describe(sized).Params = %+v, want %+v", info.Params, want)
	}
	info.Params[0].Name = "changed"
	if again, _ := r.Describe("sized"); again.Params[0].Name != "size" {
		t.Error("Describe returns shared storage")
	}
}

func TestRegistryNew(t *testing.T) {
	r := strategy.NewRegistry()
	r.Register("sized", sizeFactory, sizeParams{}, "")
	r.Register("noparams", nopFactory, nil, "")
	r.Register("panics", func(strategy.Params, *zap.Logger) (strategy.Strategy, error) { panic("boom") }, nil, "")
	r.Register("nil", func(strategy.Params, *zap.Logger) (strategy.Strategy, error) { return nil, nil }, nil, "")

	tests := []struct {
		name    string
		strat   string
		params  strategy.Params
		wantErr string
		is      error
	}{
		{name: "ok", strat: "sized", params: strategy.Params{"size": "3"}},
		{name: "ok defaults", strat: "sized"},
		{name: "unknown strategy", strat: "nope", wantErr: `unknown strategy "nope" (registered: nil, noparams, panics, sized)`, is: strategy.ErrUnknownStrategy},
		{name: "unknown param caught before factory", strat: "noparams", params: strategy.Params{"size": "3"}, wantErr: `strategy noparams: parameter "size": unknown parameter (known: none)`, is: strategy.ErrUnknownParam},
		{name: "bad value from factory", strat: "sized", params: strategy.Params{"size": "30"}, wantErr: `strategy sized: parameter "size": value out of bounds: 30 is above the maximum 10`, is: strategy.ErrParamRange},
		{name: "factory panic", strat: "panics", wantErr: "strategy panics: factory panicked: boom"},
		{name: "nil strategy", strat: "nil", wantErr: "factory returned no strategy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := r.New(tt.strat, tt.params, nil)
			if tt.wantErr == "" {
				if err != nil || s == nil {
					t.Fatalf("New = %v, %v", s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New err = %v, want %q", err, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
		})
	}
}

func TestRegistryConcurrentUse(t *testing.T) {
	r := strategy.NewRegistry()
	r.Register("sized", sizeFactory, sizeParams{}, "")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if _, err := r.New("sized", strategy.Params{"size": "2"}, nil); err != nil {
					t.Error(err)
					return
				}
				_ = r.Names()
			}
		})
	}
	wg.Wait()
}
