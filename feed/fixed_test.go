package feed

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestParseFixed(t *testing.T) {
	tests := []struct {
		in    string
		mant  int64
		scale int32
	}{
		{"27119.90000", 2711990000, 5}, // trailing zeros kept: checksums hash them
		{"0.12290", 12290, 5},
		{"0.00000500", 500, 8},
		{"0", 0, 0},
		{"0.00000000", 0, 8},
		{"-0", 0, 0},
		{"12", 12, 0},
		{"000123.40", 12340, 2},
		{"-0.17", -17, 2},
		{"-4.0", -40, 1},
		{"1e-08", 1, 8},
		{"5.1e-05", 51, 6},
		{"5e-05", 5, 5},
		{"1E+3", 1000, 0},
		{"1e3", 1000, 0},
		{"1.5e1", 15, 0},
		{"1.50e1", 150, 1}, // the exponent eats decimals before it adds zeros
		{"0.0001e2", 1, 2},
		{"1E-8", 1, 8},
		{"0e40", 0, 0},
		{"4410.79769741", 441079769741, 8},
		{"301727260.79999999", 30172726079999999, 8}, // breaks float64 (LUNA/EUR capture)
		{"0.000000000001", 1, 12},
		{"123456789012345678", 123456789012345678, 0},    // 18 digits: the limit
		{"0.123456789012345678", 123456789012345678, 18}, // 18 digits at MaxScale
		{"-999999999999999999", -999999999999999999, 0},  // 18 nines
		{"0.000000000000000001", 1, 18},                  // leading zeros are not significant
		{"12345678901234567e1", 123456789012345670, 0},   // 18 digits after the exponent
		{"100000000000000000", 100000000000000000, 0},    // 10^17
		{"1e17", 100000000000000000, 0},                  // 10^17 via the exponent
		{"1.23456789012345678e-1", 123456789012345678, 18},
	}
	for _, tt := range tests {
		got, err := ParseFixed([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseFixed(%q) error %v", tt.in, err)
			continue
		}
		if got != (Fixed{Mant: tt.mant, Scale: tt.scale}) {
			t.Errorf("ParseFixed(%q) = %+v, want {%d %d}", tt.in, got, tt.mant, tt.scale)
		}
	}
}

func TestParseFixedErrors(t *testing.T) {
	tests := []struct {
		in      string
		inRange bool // true: a well-formed number that does not fit (ErrRange)
	}{
		{"", false},
		{"-", false},
		{"+", false},
		{".", false},
		{"-.", false},
		{"NaN", false},
		{"nan", false},
		{"Infinity", false},
		{"-Inf", false},
		{"1.2.3", false},
		{"1e", false},
		{"1E", false},
		{"1e+", false},
		{"1e-", false},
		{"1ex", false},
		{"1e+x", false},
		{"e5", false},
		{".e5", false},
		{"1x", false},
		{" 1", false},
		{"1 ", false},
		{"0x10", false},
		{"1,5", false},
		{"--1", false},
		{"+-1", false},
		{"1-", false},
		{"\"1\"", false},
		{"1e5.5", false},
		{"1234567890123456789", true},     // 19 digits
		{"-1234567890123456789", true},    // 19 digits
		{"0.1234567890123456789", true},   // 19 significant digits
		{"12345678901234567.89", true},    // 19 significant digits
		{"0.0000000000000000001", true},   // 19 decimals
		{"1e-19", true},                   // 19 decimals
		{"5.1e-18", true},                 // 19 decimals
		{"1e18", true},                    // 19 digits once the exponent is applied
		{"100000000000000000e1", true},    // 19 digits once the exponent is applied
		{"123456789012345678e1", true},    // 19 digits once the exponent is applied
		{"1e41", true},                    // huge exponent
		{"1e-41", true},                   // huge negative exponent
		{"1e999999999999999999999", true}, // exponent would overflow an int
		{"9e99999", true},
	}
	for _, tt := range tests {
		got, err := ParseFixed([]byte(tt.in))
		if err == nil {
			t.Errorf("ParseFixed(%q) = %+v, want an error", tt.in, got)
			continue
		}
		if errors.Is(err, ErrRange) != tt.inRange {
			t.Errorf("ParseFixed(%q) error %q: errors.Is(ErrRange) = %v, want %v", tt.in, err, !tt.inRange, tt.inRange)
		}
		if !strings.HasPrefix(err.Error(), "feed: ") {
			t.Errorf("ParseFixed(%q) error %q does not say where it comes from", tt.in, err)
		}
	}
}

func TestFixedRescale(t *testing.T) {
	tests := []struct {
		in    Fixed
		scale int32
		want  Fixed
		ok    bool
	}{
		{MustFixed("0.12290"), 5, MustFixed("0.12290"), true},
		{MustFixed("0.12290"), 4, MustFixed("0.1229"), true},
		{MustFixed("0.12290"), 3, MustFixed("0.12290"), false}, // would drop the 9
		{MustFixed("0.12290"), 8, MustFixed("0.12290000"), true},
		{MustFixed("-4.0"), 0, MustFixed("-4"), true},
		{MustFixed("-4.5"), 0, MustFixed("-4.5"), false},
		{MustFixed("7"), 18, Fixed{Mant: 7 * 1e18, Scale: 18}, true}, // 7e18 still fits an int64
		{MustFixed("10"), 18, MustFixed("10"), false},                // 1e19 > MaxInt64
		{MustFixed("1"), 18, Fixed{Mant: 1e18, Scale: 18}, true},
		{MustFixed("1"), 19, MustFixed("1"), false}, // beyond MaxScale
		{MustFixed("1"), -1, MustFixed("1"), false}, // negative scale
		{MustFixed("10"), -1, MustFixed("10"), false},
		{MustFixed("999999999999999999"), 1, MustFixed("999999999999999999"), false}, // overflows
		{MustFixed("-999999999999999999"), 1, MustFixed("-999999999999999999"), false},
		{MustFixed("0"), 18, Fixed{Scale: 18}, true},
		{Fixed{Mant: 5, Scale: 25}, 2, Fixed{Mant: 5, Scale: 25}, false}, // malformed: no panic
		{Fixed{Mant: 5, Scale: -3}, 18, Fixed{Mant: 5, Scale: -3}, false},
		{Fixed{Mant: 5, Scale: -3}, 0, Fixed{Mant: 5, Scale: -3}, false},
	}
	for _, tt := range tests {
		got, ok := tt.in.Rescale(tt.scale)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%+v.Rescale(%d) = %+v, %v; want %+v, %v", tt.in, tt.scale, got, ok, tt.want, tt.ok)
		}
		if ok && got.Cmp(tt.in) != 0 {
			t.Errorf("%+v.Rescale(%d) changed the value to %+v", tt.in, tt.scale, got)
		}
	}
}

func TestFixedCmp(t *testing.T) {
	tests := []struct {
		a, b Fixed
		want int
	}{
		{MustFixed("1.0"), MustFixed("1"), 0},
		{MustFixed("0.12290"), MustFixed("0.1229"), 0},
		{MustFixed("0"), MustFixed("-0.000"), 0},
		{MustFixed("-1"), MustFixed("1"), -1},
		{MustFixed("100"), MustFixed("99.99"), 1},
		{MustFixed("0.00000001"), MustFixed("0"), 1},
		{MustFixed("-0.5"), MustFixed("-0.50001"), 1},
		{MustFixed("45285.2"), MustFixed("45285.20000001"), -1},
		// Rescaling to 18 decimals overflows: Cmp must still be right.
		{MustFixed("999999999999999999"), MustFixed("0.000000000000000001"), 1},
		{MustFixed("-999999999999999999"), MustFixed("0.000000000000000001"), -1},
		{Fixed{Mant: math.MaxInt64}, Fixed{Mant: math.MinInt64}, 1},
		{Fixed{Mant: math.MaxInt64, Scale: 1}, Fixed{Mant: math.MaxInt64}, -1},
	}
	for _, tt := range tests {
		if got := tt.a.Cmp(tt.b); got != tt.want {
			t.Errorf("%s.Cmp(%s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := tt.b.Cmp(tt.a); got != -tt.want {
			t.Errorf("%s.Cmp(%s) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
		if got, want := tt.a.Cmp(tt.b), tt.a.Decimal().Cmp(tt.b.Decimal()); got != want {
			t.Errorf("%s.Cmp(%s) = %d, decimal says %d", tt.a, tt.b, got, want)
		}
	}
}

func TestFixedAppendText(t *testing.T) {
	tests := []struct {
		in   Fixed
		want string
	}{
		{Fixed{Mant: 12290, Scale: 5}, "0.12290"},
		{Fixed{Mant: -40, Scale: 1}, "-4.0"},
		{Fixed{Mant: 12, Scale: 0}, "12"},
		{Fixed{Mant: 0, Scale: 0}, "0"},
		{Fixed{Mant: 0, Scale: 8}, "0.00000000"},
		{Fixed{Mant: 1, Scale: 8}, "0.00000001"},
		{Fixed{Mant: -1, Scale: 8}, "-0.00000001"},
		{Fixed{Mant: 2711990000, Scale: 5}, "27119.90000"},
		{Fixed{Mant: 123456789012345678, Scale: 18}, "0.123456789012345678"},
		{Fixed{Mant: math.MaxInt64, Scale: 0}, "9223372036854775807"},
		{Fixed{Mant: math.MinInt64, Scale: 0}, "-9223372036854775808"},
		{Fixed{Mant: math.MinInt64, Scale: 18}, "-9.223372036854775808"},
		{Fixed{Mant: 5, Scale: -3}, "5000"}, // not made by ParseFixed, but still its value
	}
	for _, tt := range tests {
		if got := string(tt.in.AppendText([]byte("x="))); got != "x="+tt.want {
			t.Errorf("%+v.AppendText(x=) = %q, want %q", tt.in, got, "x="+tt.want)
		}
		if got := tt.in.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.in, got, tt.want)
		}
		if got, _ := tt.in.MarshalText(); string(got) != tt.want {
			t.Errorf("%+v.MarshalText() = %q, want %q", tt.in, got, tt.want)
		}
		// The text means the same number as Decimal says.
		if d := decimal.RequireFromString(tt.want); !d.Equal(tt.in.Decimal()) {
			t.Errorf("%+v: text %s but Decimal %s", tt.in, tt.want, tt.in.Decimal())
		}
	}
	// Round trip through the text for every ParseFixed table value.
	for _, s := range []string{"27119.90000", "0.12290", "-4.0", "1e-08", "5.1e-05", "1E+3", "0.000000000000000001", "-999999999999999999", "1.50e1"} {
		f := MustFixed(s)
		g, err := ParseFixed(f.AppendText(nil))
		if err != nil || g != f {
			t.Errorf("round trip of %s: %s parses to %+v, %v; want %+v", s, f, g, err, f)
		}
	}
}

func TestFixedDecimal(t *testing.T) {
	f := MustFixed("0.12290")
	d := f.Decimal()
	if d.Exponent() != -5 || d.Coefficient().Int64() != 12290 {
		t.Errorf("Decimal() = %s (exponent %d), want exponent -5 kept", d, d.Exponent())
	}
	if !d.Equal(decimal.RequireFromString("0.1229")) {
		t.Errorf("Decimal() = %s", d)
	}
	if f.Sign() != 1 || MustFixed("-0.1").Sign() != -1 || MustFixed("0.000").Sign() != 0 {
		t.Error("Sign")
	}
	if !MustFixed("0.000").IsZero() || MustFixed("0.001").IsZero() {
		t.Error("IsZero")
	}
}

func TestFixedFromDecimal(t *testing.T) {
	tests := []struct {
		in   decimal.Decimal
		want Fixed
		ok   bool
	}{
		{decimal.RequireFromString("0.12290"), Fixed{Mant: 12290, Scale: 5}, true}, // exponent kept
		{decimal.RequireFromString("-4.0"), Fixed{Mant: -40, Scale: 1}, true},
		{decimal.RequireFromString("12"), Fixed{Mant: 12}, true},
		{decimal.New(5, 3), Fixed{Mant: 5000}, true}, // positive exponent → integer
		{decimal.New(0, 0), Fixed{}, true},
		{decimal.New(1, -18), Fixed{Mant: 1, Scale: 18}, true},
		{decimal.New(1, -19), Fixed{}, false}, // too many decimals
		{decimal.New(1, 19), Fixed{}, false},  // exponent too large
		{decimal.New(10, 18), Fixed{}, false}, // 10^19 overflows int64
		{decimal.RequireFromString("92233720368547758080"), Fixed{}, false},
		{decimal.New(math.MaxInt64, 0), Fixed{Mant: math.MaxInt64}, true},
	}
	for _, tt := range tests {
		got, ok := FixedFromDecimal(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("FixedFromDecimal(%s) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && !got.Decimal().Equal(tt.in) {
			t.Errorf("FixedFromDecimal(%s) = %s: value changed", tt.in, got)
		}
	}
}

func TestMustFixedPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustFixed(\"x\") did not panic")
		}
	}()
	MustFixed("x")
}

// FuzzParseFixed checks that ParseFixed never panics, that what it accepts survives a trip
// through AppendText unchanged (value and scale), and that it agrees with shopspring/decimal.
func FuzzParseFixed(f *testing.F) {
	for _, s := range []string{
		"27119.90000", "0.12290", "0", "-0", "-0.17", "-4.0", "1e-08", "5.1e-05", "1E+3", "1.50e1",
		"123456789012345678", "0.123456789012345678", "1e18", "1e17", "100000000000000000e1",
		"NaN", "1.2.3", "", "-", "1e", "1e999", "0.0000000000000000001", "+5", ".5", "5.",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ParseFixed(b)
		if err != nil {
			return
		}
		if x.Scale < 0 || x.Scale > MaxScale {
			t.Fatalf("ParseFixed(%q) scale %d out of range", b, x.Scale)
		}
		text := x.AppendText(nil)
		y, err := ParseFixed(text)
		if err != nil {
			t.Fatalf("ParseFixed(%q) = %+v, but its text %q does not parse: %v", b, x, text, err)
		}
		if y != x {
			t.Fatalf("round trip %q → %+v → %q → %+v", b, x, text, y)
		}
		d, err := decimal.NewFromString(string(b))
		if err != nil {
			t.Fatalf("ParseFixed(%q) = %s, but decimal rejects it: %v", b, x, err)
		}
		if !d.Equal(x.Decimal()) {
			t.Fatalf("ParseFixed(%q) = %s, decimal says %s", b, x, d)
		}
	})
}
