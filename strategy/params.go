package strategy

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Params are one strategy instance's parameters as text, keyed by name, the way they come
// from a config file, the command line or a parameter sweep. A factory decodes them into its
// typed parameter struct with Decode, which applies defaults and checks names, syntax and
// ranges against the struct's tags (see ParseParams).
type Params map[string]string

// Decode is ParseParams(dst, p).
func (p Params) Decode(dst any) error { return ParseParams(dst, p) }

// String returns the parameters as "k1=v1 k2=v2", sorted by name: a stable label for runs
// and sweep results.
func (p Params) String() string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(p[k])
	}
	return b.String()
}

// Clone returns a copy of p that the caller may modify.
func (p Params) Clone() Params {
	if p == nil {
		return nil
	}
	c := make(Params, len(p))
	for k, v := range p {
		c[k] = v
	}
	return c
}

// Validator is implemented by parameter structs with rules that tags cannot express
// ("fast must be below slow"). ParseParams calls Validate after decoding.
type Validator interface {
	Validate() error
}

// Errors wrapped by ParamError, for errors.Is.
var (
	ErrUnknownParam = errors.New("unknown parameter")
	ErrParamValue   = errors.New("invalid value")
	ErrParamRange   = errors.New("value out of bounds") // outside the min/max tags
)

// ParamError is a problem with one parameter: an unknown name, a value that does not parse
// or one outside the declared range. A config loader can add where the key was written.
type ParamError struct {
	Key   string // parameter name as given
	Value string // value as given (or the default that was applied)
	Err   error  // wraps ErrUnknownParam, ErrParamValue or ErrParamRange
}

func (e *ParamError) Error() string { return fmt.Sprintf("parameter %q: %v", e.Key, e.Err) }

// Unwrap returns e.Err.
func (e *ParamError) Unwrap() error { return e.Err }

// ParamSpec describes one parameter of a strategy, as declared by struct tags:
//
//	Fast int `param:"fast" default:"10" range:"5:50:5" help:"fast SMA length"`
//
// param is the name (lower case letters, digits, '_', '-', '.'); default is applied when the
// parameter is not given (without one the field keeps its value); range is "min:max" or
// "min:max:step", inclusive, for numeric types only: what a sweep searches when its config
// lists no values — it does not restrict what a config may set; min and max (either or
// both, inclusive, numeric types only) are the legal values, checked on every decode; help
// is one line for `papertrade strategies`. Checks that involve several parameters (fast <
// slow) belong in a Validate method (see Validator). Supported field types: int, int64, float64, bool, string, time.Duration
// (Go syntax: "90s", "1m30s") and decimal.Decimal. Fields without a param tag are ignored;
// embedded structs (not pointers) without a param tag are searched too.
type ParamSpec struct {
	Name    string
	Type    string // int, int64, float64, bool, string, duration, decimal
	Default string // "" when none
	Min     string // sweep range: "" when none
	Max     string
	Step    string // "" when the range has no step
	// AtLeast and AtMost are the legal bounds from the min and max tags ("" when unbounded).
	AtLeast string
	AtMost  string
	Help    string
}

// HasRange reports whether the parameter declares a range.
func (s ParamSpec) HasRange() bool { return s.Min != "" }

// Range returns the declared range as written in the tag ("5:50:5"), or "".
func (s ParamSpec) Range() string {
	switch {
	case s.Min == "":
		return ""
	case s.Step == "":
		return s.Min + ":" + s.Max
	}
	return s.Min + ":" + s.Max + ":" + s.Step
}

// MaxGrid is the most values ParamSpec.Grid produces for one parameter.
const MaxGrid = 10000

// Grid returns the values a grid search tries for this parameter, in ascending order: Min,
// Min+Step, … up to Max inclusive, computed exactly (decimal arithmetic, so "0.1:0.3:0.1"
// gives 0.1 0.2 0.3) and formatted so that Check accepts them. A parameter without a range
// yields just its default. It fails when the range has no step or would give more than
// MaxGrid values.
func (s ParamSpec) Grid() ([]string, error) {
	if !s.HasRange() {
		return []string{s.Default}, nil
	}
	k, ok := kindByName(s.Type)
	if !ok {
		return nil, fmt.Errorf("strategy: parameter %q: unknown type %q", s.Name, s.Type)
	}
	if s.Step == "" {
		return nil, fmt.Errorf("strategy: parameter %q: range %s has no step to build a grid", s.Name, s.Range())
	}
	_, lo, err := k.parse(s.Min)
	if err != nil {
		return nil, fmt.Errorf("strategy: parameter %q: range min: %w", s.Name, err)
	}
	_, hi, err := k.parse(s.Max)
	if err != nil {
		return nil, fmt.Errorf("strategy: parameter %q: range max: %w", s.Name, err)
	}
	_, step, err := k.parse(s.Step)
	if err != nil || step.Sign() <= 0 {
		return nil, fmt.Errorf("strategy: parameter %q: range step %q must be positive", s.Name, s.Step)
	}
	n := hi.Sub(lo).Div(step).Floor().IntPart() + 1
	if n > MaxGrid || n < 1 {
		return nil, fmt.Errorf("strategy: parameter %q: range %s gives %d values (max %d)", s.Name, s.Range(), n, MaxGrid)
	}
	out := make([]string, 0, n)
	for v := lo; v.LessThanOrEqual(hi); v = v.Add(step) {
		out = append(out, k.format(v))
	}
	return out, nil
}

// Check parses v as this parameter's type and checks it against the legal bounds (min and
// max tags; the sweep range does not bound values), returning a *ParamError when it does
// not fit.
func (s ParamSpec) Check(v string) error {
	k, ok := kindByName(s.Type)
	if !ok {
		return &ParamError{Key: s.Name, Value: v, Err: fmt.Errorf("%w: unknown type %q", ErrParamValue, s.Type)}
	}
	_, err := checkValue(s, k, v)
	return err
}

// ParseParams decodes values into the struct dst points to, following the struct's tags
// (see ParamSpec): every parameter not in values gets its default, every value must parse
// as the field's type and lie within its min and max tags (not its sweep range), and every key in values must name a
// parameter. Problems are returned together (errors.Join), unknown keys first in sorted
// order, then fields in declaration order; each is a *ParamError naming the key and the
// value. If dst implements Validator, Validate runs once everything decoded. dst is only
// partly updated when an error is returned.
//
// A dst that is not a pointer to a struct, or whose tags are malformed, is a programming
// error reported as a plain error.
func ParseParams(dst any, values map[string]string) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("strategy: ParseParams needs a non-nil pointer to a struct, got %T", dst)
	}
	fields, err := describe(rv.Elem().Type())
	if err != nil {
		return err
	}
	var errs []error
	known := make(map[string]bool, len(fields))
	for _, f := range fields {
		known[f.Name] = true
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !known[k] {
			errs = append(errs, &ParamError{Key: k, Value: values[k], Err: fmt.Errorf("%w (known: %s)", ErrUnknownParam, knownList(fields))})
		}
	}
	st := rv.Elem()
	for _, f := range fields {
		v, given := values[f.Name]
		if !given {
			if f.Default == "" {
				continue // no default: the field keeps its value
			}
			v = f.Default
		}
		x, err := checkValue(f.ParamSpec, f.kind, v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st.FieldByIndex(f.index).Set(x)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if v, ok := dst.(Validator); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("invalid parameters: %w", err)
		}
	}
	return nil
}

// DescribeParams lists the parameters declared by p's struct tags (p is a struct or a
// pointer to one; nil has none), in declaration order. It fails when a tag is malformed:
// an unsupported field type, a bad name, a duplicate, a default or range that does not
// parse, a default outside its range.
func DescribeParams(p any) ([]ParamSpec, error) {
	if p == nil {
		return nil, nil
	}
	t := reflect.TypeOf(p)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("strategy: parameters must be a struct, got %T", p)
	}
	fields, err := describe(t)
	if err != nil {
		return nil, err
	}
	out := make([]ParamSpec, len(fields))
	for i, f := range fields {
		out[i] = f.ParamSpec
	}
	return out, nil
}

// field is a ParamSpec with what decoding needs.
type field struct {
	ParamSpec
	index []int
	kind  paramKind
}

func describe(t reflect.Type) ([]field, error) {
	var out []field
	if err := describeInto(t, nil, &out); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(out))
	for _, f := range out {
		if seen[f.Name] {
			return nil, fmt.Errorf("strategy: %s: parameter %q declared twice", t, f.Name)
		}
		seen[f.Name] = true
	}
	return out, nil
}

func describeInto(t reflect.Type, prefix []int, out *[]field) error {
	for i := range t.NumField() {
		sf := t.Field(i)
		index := append(slices.Clip(prefix), i)
		name, tagged := sf.Tag.Lookup("param")
		if !tagged {
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct && sf.Type != decimalType {
				if err := describeInto(sf.Type, index, out); err != nil {
					return err
				}
			}
			continue
		}
		where := fmt.Sprintf("strategy: %s.%s", t, sf.Name)
		if !sf.IsExported() {
			return fmt.Errorf("%s: param tag on an unexported field", where)
		}
		if !validName(name) {
			return fmt.Errorf("%s: bad parameter name %q (want lower case letters, digits, '_', '-', '.')", where, name)
		}
		k, ok := kindByType(sf.Type)
		if !ok {
			return fmt.Errorf("%s: unsupported parameter type %s", where, sf.Type)
		}
		f := field{
			ParamSpec: ParamSpec{Name: name, Type: k.name, Default: sf.Tag.Get("default"), Help: sf.Tag.Get("help")},
			index:     index,
			kind:      k,
		}
		if r, ok := sf.Tag.Lookup("range"); ok {
			if !k.numeric {
				return fmt.Errorf("%s: range on a %s parameter", where, k.name)
			}
			parts := strings.Split(r, ":")
			if len(parts) < 2 || len(parts) > 3 {
				return fmt.Errorf("%s: range %q is not min:max or min:max:step", where, r)
			}
			_, lo, err := k.parse(parts[0])
			if err != nil {
				return fmt.Errorf("%s: range min: %w", where, err)
			}
			_, hi, err := k.parse(parts[1])
			if err != nil {
				return fmt.Errorf("%s: range max: %w", where, err)
			}
			if lo.GreaterThan(hi) {
				return fmt.Errorf("%s: range %q has min above max", where, r)
			}
			f.Min, f.Max = parts[0], parts[1]
			if len(parts) == 3 {
				_, step, err := k.parse(parts[2])
				if err != nil {
					return fmt.Errorf("%s: range step: %w", where, err)
				}
				if step.Sign() <= 0 {
					return fmt.Errorf("%s: range step %q must be positive", where, parts[2])
				}
				f.Step = parts[2]
			}
		}
		for _, b := range []struct {
			tag string
			dst *string
		}{{"min", &f.AtLeast}, {"max", &f.AtMost}} {
			v, ok := sf.Tag.Lookup(b.tag)
			if !ok {
				continue
			}
			if !k.numeric {
				return fmt.Errorf("%s: %s on a %s parameter", where, b.tag, k.name)
			}
			if _, _, err := k.parse(v); err != nil {
				return fmt.Errorf("%s: %s: %w", where, b.tag, err)
			}
			*b.dst = v
		}
		if f.AtLeast != "" && f.AtMost != "" {
			_, lo, _ := k.parse(f.AtLeast)
			_, hi, _ := k.parse(f.AtMost)
			if lo.GreaterThan(hi) {
				return fmt.Errorf("%s: min %s is above max %s", where, f.AtLeast, f.AtMost)
			}
		}
		if f.Default != "" {
			if _, err := checkValue(f.ParamSpec, k, f.Default); err != nil {
				return fmt.Errorf("%s: default: %w", where, err)
			}
		}
		*out = append(*out, f)
	}
	return nil
}

func validName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func knownList(fields []field) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// checkValue parses v for s and checks its legal bounds.
func checkValue(s ParamSpec, k paramKind, v string) (reflect.Value, error) {
	x, num, err := k.parse(v)
	if err != nil {
		return reflect.Value{}, &ParamError{Key: s.Name, Value: v, Err: fmt.Errorf("%w %q: %v", ErrParamValue, v, err)}
	}
	if !k.numeric {
		return x, nil
	}
	if s.AtLeast != "" {
		if _, lo, err := k.parse(s.AtLeast); err == nil && num.LessThan(lo) {
			return reflect.Value{}, &ParamError{Key: s.Name, Value: v, Err: fmt.Errorf("%w: %s is below the minimum %s", ErrParamRange, v, s.AtLeast)}
		}
	}
	if s.AtMost != "" {
		if _, hi, err := k.parse(s.AtMost); err == nil && num.GreaterThan(hi) {
			return reflect.Value{}, &ParamError{Key: s.Name, Value: v, Err: fmt.Errorf("%w: %s is above the maximum %s", ErrParamRange, v, s.AtMost)}
		}
	}
	return x, nil
}

// paramKind knows how to parse one supported field type. Numeric kinds also give the value
// as a decimal, so that ranges and grids are checked and built exactly for every type.
type paramKind struct {
	name    string
	typ     reflect.Type
	numeric bool
	parse   func(s string) (reflect.Value, decimal.Decimal, error)
	format  func(d decimal.Decimal) string
}

var decimalType = reflect.TypeFor[decimal.Decimal]()

func paramKinds() []paramKind {
	return []paramKind{
		{name: "int", typ: reflect.TypeFor[int](), numeric: true, parse: parseInt[int](strconv.IntSize, "an integer"), format: formatDecimal},
		{name: "int64", typ: reflect.TypeFor[int64](), numeric: true, parse: parseInt[int64](64, "an integer"), format: formatDecimal},
		{name: "float64", typ: reflect.TypeFor[float64](), numeric: true, parse: parseFloat, format: formatDecimal},
		{name: "bool", typ: reflect.TypeFor[bool](), parse: parseBool},
		{name: "string", typ: reflect.TypeFor[string](), parse: parseString},
		{name: "duration", typ: reflect.TypeFor[time.Duration](), numeric: true, parse: parseDuration, format: formatDuration},
		{name: "decimal", typ: decimalType, numeric: true, parse: parseDecimal, format: formatDecimal},
	}
}

func kindByType(t reflect.Type) (paramKind, bool) {
	for _, k := range paramKinds() {
		if k.typ == t {
			return k, true
		}
	}
	return paramKind{}, false
}

func kindByName(name string) (paramKind, bool) {
	for _, k := range paramKinds() {
		if k.name == name {
			return k, true
		}
	}
	return paramKind{}, false
}

func parseInt[T int | int64](bits int, want string) func(string) (reflect.Value, decimal.Decimal, error) {
	return func(s string) (reflect.Value, decimal.Decimal, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, bits)
		if err != nil {
			return reflect.Value{}, decimal.Decimal{}, fmt.Errorf("want %s", want)
		}
		return reflect.ValueOf(T(n)), decimal.NewFromInt(n), nil
	}
}

func parseFloat(s string) (reflect.Value, decimal.Decimal, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return reflect.Value{}, decimal.Decimal{}, errors.New("want a finite number")
	}
	return reflect.ValueOf(f), decimal.NewFromFloat(f), nil
}

func parseBool(s string) (reflect.Value, decimal.Decimal, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return reflect.Value{}, decimal.Decimal{}, errors.New("want true or false")
	}
	return reflect.ValueOf(b), decimal.Decimal{}, nil
}

func parseString(s string) (reflect.Value, decimal.Decimal, error) {
	return reflect.ValueOf(s), decimal.Decimal{}, nil
}

func parseDuration(s string) (reflect.Value, decimal.Decimal, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return reflect.Value{}, decimal.Decimal{}, errors.New(`want a duration such as "90s" or "1m30s"`)
	}
	return reflect.ValueOf(d), decimal.NewFromInt(int64(d)), nil
}

func parseDecimal(s string) (reflect.Value, decimal.Decimal, error) {
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil {
		return reflect.Value{}, decimal.Decimal{}, errors.New("want a decimal number")
	}
	// Exponents this far out are never meant and make every later comparison with a
	// normal number materialise a huge power of ten.
	if e := d.Exponent(); e < -maxDecimalExp || e > maxDecimalExp {
		return reflect.Value{}, decimal.Decimal{}, errors.New("decimal exponent out of range")
	}
	return reflect.ValueOf(d), d, nil
}

const maxDecimalExp = 64

func formatDecimal(d decimal.Decimal) string { return d.String() }

func formatDuration(d decimal.Decimal) string { return time.Duration(d.IntPart()).String() }
