package strategy_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

type testParams struct {
	Fast     int             `param:"fast" default:"10" range:"5:50:5" min:"1" help:"fast SMA length"`
	Slow     int64           `param:"slow" default:"30" range:"10:200" min:"2" help:"slow SMA length"`
	K        float64         `param:"k" default:"2" range:"0.5:3:0.5" min:"0.1" max:"10" help:"band width in standard deviations"`
	Short    bool            `param:"short" default:"false" help:"allow short"`
	Mode     string          `param:"mode" default:"close" help:"price source"`
	Interval time.Duration   `param:"interval" default:"1m" range:"1m:15m:1m" min:"1s" help:"candle interval"`
	Size     decimal.Decimal `param:"size" default:"0.01" range:"0.0001:10" min:"0.0001" help:"order size"`
	NoDef    string          `param:"nodef"`
	Ignored  int
}

type validated struct {
	Fast int `param:"fast" default:"10"`
	Slow int `param:"slow" default:"30"`
}

func (v *validated) Validate() error {
	if v.Fast >= v.Slow {
		return errors.New("fast must be below slow")
	}
	return nil
}

type embeddedCommon struct {
	Size decimal.Decimal `param:"size" default:"0.5"`
}

type withEmbedded struct {
	embeddedCommon
	N int `param:"n" default:"3"`
}

func TestParseParams(t *testing.T) {
	defaults := testParams{Fast: 10, Slow: 30, K: 2, Mode: "close", Interval: time.Minute, Size: decimal.RequireFromString("0.01"), NoDef: "keep", Ignored: 7}
	tests := []struct {
		name    string
		values  map[string]string
		want    func(p *testParams)
		wantErr []string // substrings, all must appear
		is      []error
	}{
		{name: "defaults", values: nil, want: func(*testParams) {}},
		{name: "all set", values: map[string]string{"fast": "15", "slow": "100", "k": "2.5", "short": "true", "mode": "hl2", "interval": "5m", "size": "0.125", "nodef": "x"},
			want: func(p *testParams) {
				p.Fast, p.Slow, p.K, p.Short, p.Mode, p.Interval, p.Size, p.NoDef = 15, 100, 2.5, true, "hl2", 5*time.Minute, decimal.RequireFromString("0.125"), "x"
			}},
		{name: "range edges inclusive", values: map[string]string{"fast": "5", "slow": "200", "interval": "15m"},
			want: func(p *testParams) { p.Fast, p.Slow, p.Interval = 5, 200, 15*time.Minute }},
		{name: "off-step value accepted", values: map[string]string{"fast": "7"}, want: func(p *testParams) { p.Fast = 7 }},
		{name: "spaces trimmed", values: map[string]string{"fast": " 20 "}, want: func(p *testParams) { p.Fast = 20 }},
		{name: "unknown key", values: map[string]string{"fsat": "10"},
			wantErr: []string{`parameter "fsat"`, "unknown parameter", "known: fast, interval, k, mode, nodef, short, size, slow"}, is: []error{strategy.ErrUnknownParam}},
		{name: "bad int", values: map[string]string{"fast": "ten"},
			wantErr: []string{`parameter "fast"`, `invalid value "ten"`, "want an integer"}, is: []error{strategy.ErrParamValue}},
		{name: "float for int", values: map[string]string{"fast": "10.5"}, wantErr: []string{`"fast"`, `"10.5"`}},
		// issue 18: range tags bound sweeps, not legal values (smacross refused interval: 4h, fast > 50).
		{name: "outside the sweep range accepted", values: map[string]string{"fast": "80", "slow": "5", "k": "3.5", "interval": "4h", "size": "25"},
			want: func(p *testParams) {
				p.Fast, p.Slow, p.K, p.Interval, p.Size = 80, 5, 3.5, 4*time.Hour, decimal.RequireFromString("25")
			}},
		{name: "below min", values: map[string]string{"fast": "0"},
			wantErr: []string{`parameter "fast"`, "0 is below the minimum 1"}, is: []error{strategy.ErrParamRange}},
		{name: "above max float", values: map[string]string{"k": "10.01"}, wantErr: []string{`"k"`, "10.01 is above the maximum 10"}},
		{name: "NaN", values: map[string]string{"k": "NaN"}, wantErr: []string{`"k"`, `invalid value "NaN"`, "finite"}},
		{name: "bad bool", values: map[string]string{"short": "yes"}, wantErr: []string{`"short"`, `"yes"`, "true or false"}},
		{name: "bad duration", values: map[string]string{"interval": "5"}, wantErr: []string{`"interval"`, `"5"`, "duration"}},
		{name: "duration min", values: map[string]string{"interval": "500ms"}, wantErr: []string{`"interval"`, "500ms is below the minimum 1s"}},
		{name: "bad decimal", values: map[string]string{"size": "1,5"}, wantErr: []string{`"size"`, `"1,5"`, "decimal"}},
		{name: "decimal min", values: map[string]string{"size": "0.00001"}, wantErr: []string{`"size"`, "0.00001 is below the minimum 0.0001"}},
		{name: "huge exponent", values: map[string]string{"size": "1e100"}, wantErr: []string{`"size"`, "exponent"}},
		{name: "several errors, unknown first", values: map[string]string{"zzz": "1", "fast": "x", "slow": "1"},
			wantErr: []string{`"zzz"`, `"fast"`, `"slow"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := testParams{NoDef: "keep", Ignored: 7}
			err := strategy.ParseParams(&got, tt.values)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("ParseParams(%v) = nil, want error containing %q", tt.values, tt.wantErr)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				for _, target := range tt.is {
					if !errors.Is(err, target) {
						t.Errorf("errors.Is(%q, %v) = false", err, target)
					}
				}
				var pe *strategy.ParamError
				if !errors.As(err, &pe) {
					t.Errorf("error %q is not a *ParamError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseParams(%v): %v", tt.values, err)
			}
			want := defaults
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ParseParams(%v) = %+v, want %+v", tt.values, got, want)
			}
		})
	}
}

func TestParseParamsErrorOrder(t *testing.T) {
	var p testParams
	err := strategy.ParseParams(&p, map[string]string{"zzz": "1", "aaa": "2", "slow": "1", "fast": "x"})
	got := err.Error()
	idx := func(s string) int { return strings.Index(got, s) }
	if !(idx(`"aaa"`) < idx(`"zzz"`) && idx(`"zzz"`) < idx(`"fast"`) && idx(`"fast"`) < idx(`"slow"`)) {
		t.Errorf("errors not in order unknown(sorted) then declaration order:\n%s", got)
	}
}

func TestParseParamsValidator(t *testing.T) {
	var p validated
	if err := strategy.ParseParams(&p, map[string]string{"fast": "40"}); err == nil || !strings.Contains(err.Error(), "fast must be below slow") {
		t.Errorf("ParseParams with fast >= slow: err = %v, want Validate's error", err)
	}
	if err := strategy.ParseParams(&p, map[string]string{"fast": "5"}); err != nil {
		t.Errorf("ParseParams valid: %v", err)
	}
}

func TestParseParamsEmbedded(t *testing.T) {
	var p withEmbedded
	if err := strategy.ParseParams(&p, map[string]string{"size": "2"}); err != nil {
		t.Fatal(err)
	}
	if p.N != 3 || !p.Size.Equal(decimal.NewFromInt(2)) {
		t.Errorf("got %+v", p)
	}
}

func TestParseParamsBadDestination(t *testing.T) {
	var n int
	var nilp *testParams
	for _, dst := range []any{nil, n, &n, testParams{}, nilp} {
		if err := strategy.ParseParams(dst, nil); err == nil {
			t.Errorf("ParseParams(%T) = nil, want error", dst)
		}
	}
}

func TestDescribeParams(t *testing.T) {
	got, err := strategy.DescribeParams(testParams{})
	if err != nil {
		t.Fatal(err)
	}
	want := []strategy.ParamSpec{
		{Name: "fast", Type: "int", Default: "10", Min: "5", Max: "50", Step: "5", AtLeast: "1", Help: "fast SMA length"},
		{Name: "slow", Type: "int64", Default: "30", Min: "10", Max: "200", AtLeast: "2", Help: "slow SMA length"},
		{Name: "k", Type: "float64", Default: "2", Min: "0.5", Max: "3", Step: "0.5", AtLeast: "0.1", AtMost: "10", Help: "band width in standard deviations"},
		{Name: "short", Type: "bool", Default: "false", Help: "allow short"},
		{Name: "mode", Type: "string", Default: "close", Help: "price source"},
		{Name: "interval", Type: "duration", Default: "1m", Min: "1m", Max: "15m", Step: "1m", AtLeast: "1s", Help: "candle interval"},
		{Name: "size", Type: "decimal", Default: "0.01", Min: "0.0001", Max: "10", AtLeast: "0.0001", Help: "order size"},
		{Name: "nodef", Type: "string"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DescribeParams =\n%+v\nwant\n%+v", got, want)
	}
	if p, err := strategy.DescribeParams(&testParams{}); err != nil || len(p) != len(want) {
		t.Errorf("DescribeParams(pointer) = %d specs, %v", len(p), err)
	}
	if p, err := strategy.DescribeParams(nil); err != nil || p != nil {
		t.Errorf("DescribeParams(nil) = %v, %v", p, err)
	}
}

func TestDescribeParamsBadTags(t *testing.T) {
	tests := []struct {
		name  string
		proto any
		want  string
	}{
		{"not a struct", 3, "must be a struct"},
		{"unsupported type", struct {
			X int32 `param:"x"`
		}{}, "unsupported parameter type int32"},
		{"bad name", struct {
			X int `param:"Fast"`
		}{}, `bad parameter name "Fast"`},
		{"empty name", struct {
			X int `param:""`
		}{}, `bad parameter name ""`},
		{"duplicate", struct {
			X int `param:"x"`
			Y int `param:"x"`
		}{}, `parameter "x" declared twice`},
		{"unexported", struct {
			x int `param:"x"`
		}{}, "unexported"},
		{"bad default", struct {
			X int `param:"x" default:"ten"`
		}{}, `default: parameter "x": invalid value "ten"`},
		{"default above max", struct {
			X int `param:"x" default:"100" range:"1:10" max:"50"`
		}{}, "100 is above the maximum 50"},
		{"min on string", struct {
			X string `param:"x" min:"a"`
		}{}, "min on a string parameter"},
		{"min above max", struct {
			X int `param:"x" min:"5" max:"1"`
		}{}, "min 5 is above max 1"},
		{"range on string", struct {
			X string `param:"x" range:"a:b"`
		}{}, "range on a string parameter"},
		{"range shape", struct {
			X int `param:"x" range:"1"`
		}{}, "not min:max"},
		{"range min above max", struct {
			X int `param:"x" range:"5:1"`
		}{}, "min above max"},
		{"range zero step", struct {
			X float64 `param:"x" range:"0:1:0"`
		}{}, "must be positive"},
		{"range bad max", struct {
			X time.Duration `param:"x" range:"1m:x"`
		}{}, "range max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := strategy.DescribeParams(tt.proto)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("DescribeParams: err = %v, want containing %q", err, tt.want)
			}
			if _, ok := tt.proto.(int); ok {
				return
			}
			// ParseParams reports the same malformation.
			p := reflect.New(reflect.TypeOf(tt.proto)).Interface()
			if err := strategy.ParseParams(p, nil); err == nil {
				t.Errorf("ParseParams accepted malformed tags")
			}
		})
	}
}

func TestParamSpecGrid(t *testing.T) {
	specs, err := strategy.DescribeParams(testParams{})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]strategy.ParamSpec{}
	for _, s := range specs {
		by[s.Name] = s
	}
	tests := []struct {
		spec    strategy.ParamSpec
		want    []string
		wantErr string
	}{
		{spec: by["fast"], want: []string{"5", "10", "15", "20", "25", "30", "35", "40", "45", "50"}},
		{spec: by["k"], want: []string{"0.5", "1", "1.5", "2", "2.5", "3"}},
		{spec: by["interval"], want: []string{"1m0s", "2m0s", "3m0s", "4m0s", "5m0s", "6m0s", "7m0s", "8m0s", "9m0s", "10m0s", "11m0s", "12m0s", "13m0s", "14m0s", "15m0s"}},
		{spec: by["mode"], want: []string{"close"}},
		{spec: by["short"], want: []string{"false"}},
		{spec: strategy.ParamSpec{Name: "f", Type: "float64", Min: "0.1", Max: "0.3", Step: "0.1"}, want: []string{"0.1", "0.2", "0.3"}},
		{spec: strategy.ParamSpec{Name: "d", Type: "decimal", Min: "0.001", Max: "0.0025", Step: "0.0005"}, want: []string{"0.001", "0.0015", "0.002", "0.0025"}},
		{spec: strategy.ParamSpec{Name: "n", Type: "int", Min: "3", Max: "3", Step: "1"}, want: []string{"3"}},
		{spec: by["slow"], wantErr: "has no step"},
		{spec: strategy.ParamSpec{Name: "n", Type: "int", Min: "0", Max: "1000000", Step: "1"}, wantErr: "gives 1000001 values"},
		{spec: strategy.ParamSpec{Name: "n", Type: "complex", Min: "0", Max: "1", Step: "1"}, wantErr: "unknown type"},
	}
	for _, tt := range tests {
		got, err := tt.spec.Grid()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s.Grid() err = %v, want %q", tt.spec.Name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s.Grid(): %v", tt.spec.Name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s.Grid() = %q, want %q", tt.spec.Name, got, tt.want)
		}
		// Every grid value must be accepted by Check and by ParseParams.
		for _, v := range got {
			if err := tt.spec.Check(v); err != nil {
				t.Errorf("%s.Check(%q) from its own grid: %v", tt.spec.Name, v, err)
			}
		}
	}
}

func TestParamSpecRange(t *testing.T) {
	for _, tt := range []struct {
		s    strategy.ParamSpec
		want string
	}{
		{strategy.ParamSpec{}, ""},
		{strategy.ParamSpec{Min: "1", Max: "2"}, "1:2"},
		{strategy.ParamSpec{Min: "1", Max: "2", Step: "0.5"}, "1:2:0.5"},
	} {
		if got := tt.s.Range(); got != tt.want {
			t.Errorf("Range() = %q, want %q", got, tt.want)
		}
	}
}

func TestParamsStringClone(t *testing.T) {
	p := strategy.Params{"slow": "30", "fast": "10", "a": ""}
	if got, want := p.String(), "a= fast=10 slow=30"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	c := p.Clone()
	c["fast"] = "11"
	if p["fast"] != "10" {
		t.Error("Clone shares storage")
	}
	if strategy.Params(nil).Clone() != nil {
		t.Error("nil Clone not nil")
	}
	var dst validated
	if err := (strategy.Params{"fast": "3"}).Decode(&dst); err != nil || dst.Fast != 3 || dst.Slow != 30 {
		t.Errorf("Decode = %+v, %v", dst, err)
	}
}

// FuzzParseParams feeds arbitrary keys and values to the parser: it must never panic, and
// whatever it accepts must lie within the min and max tags.
func FuzzParseParams(f *testing.F) {
	for _, s := range [][2]string{
		{"fast", "10"}, {"fast", "-1"}, {"k", "1e308"}, {"k", "0x1p-2"}, {"interval", "1h"},
		{"interval", "-5m"}, {"size", "1e-70"}, {"size", "123456789012345678901234567890"},
		{"short", "T"}, {"mode", ""}, {"zzz", "1"}, {"slow", "9223372036854775808"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		var p testParams
		err := strategy.ParseParams(&p, map[string]string{key: value})
		if err != nil {
			var pe *strategy.ParamError
			if !errors.As(err, &pe) || pe.Key != key {
				t.Fatalf("error %v does not name key %q", err, key)
			}
			return
		}
		if p.Fast < 1 || p.Slow < 2 || p.K < 0.1 || p.K > 10 || p.Interval < time.Second ||
			p.Size.LessThan(decimal.RequireFromString("0.0001")) {
			t.Fatalf("accepted %s=%q giving out-of-range %+v", key, value, p)
		}
	})
}
