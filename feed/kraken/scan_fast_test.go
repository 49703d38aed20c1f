package kraken

import (
	"strconv"
	"testing"

	"github.com/papertrade/papertrade/feed"
)

// The scanner's fast paths (plainFixed, uintNum's, plainLevel) must give exactly what the
// general paths give whenever they accept, stop at the same byte, and accept nothing the
// general paths would refuse. These inputs are the seeds of FuzzScannerFastPaths too.
var fastPathInputs = []string{
	"0", "-0", "1", "-1", "0.0", "0.00000000", "-0.00000000", "27119.90000", "68500.0",
	"0.01044926", "123456789012345678", "1234567890123456789", "12345678901234567.8",
	"0.123456789012345678", "0.1234567890123456789", "1e-8", "5.1e-05", "1E+2", "1e18",
	"01", "1.", ".5", "-", "--1", "+1", "1.2.3", "1a", "1,", "1]", "1}", "1 ", "1\t", "1\n",
	"4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
	"18446744073709551615", "18446744073709551616", "99999999999999999999", "\"1\"", "",
	`{"price":66786.5,"qty":0.00000000}`, `{"price":66786.5,"qty":0.00000000}]`,
	`{"price":66786.5,"qty":0.01470022},{"price":1,"qty":2}`, `{"price": 1,"qty":2}`,
	`{"qty":2,"price":1}`, `{"price":1,"qty":2,"x":3}`, `{"price":0,"qty":2}`,
	`{"price":-1,"qty":2}`, `{"price":1,"qty":-2}`, `{"price":1,"qty":-0}`,
	`{"price":1e2,"qty":2}`, `{"price":1,"qty":2 }`, `{"price":1,"qty":2`, `{"price":1,"qty"`,
	`{"price":1}`, `{"price":"1","qty":"2"}`, `{"price":1.,"qty":2}`,
}

// checkFastPaths runs every fast path on b and compares it with the general path on the
// same bytes.
func checkFastPaths(t *testing.T, b []byte) {
	t.Helper()
	// plainFixed against num + ParseFixed.
	fast := scanner{b: b}
	if f, ok := fast.plainFixed(); ok {
		slow := scanner{b: b}
		slow.ws()
		tok, err := slow.num()
		if err != nil {
			t.Fatalf("%q: plainFixed accepted %v, num refuses: %v", b, f, err)
		}
		want, err := feed.ParseFixed(tok)
		if err != nil || want != f || slow.i != fast.i {
			t.Fatalf("%q: plainFixed %v ending at %d, ParseFixed %v (%v) ending at %d", b, f, fast.i, want, err, slow.i)
		}
	} else if fast.i != len(b)-len(trimLeftWS(b)) {
		t.Fatalf("%q: plainFixed refused but moved to %d", b, fast.i)
	}
	// uintNum against num + ParseUint, for the widths the decoder asks for.
	for _, bits := range []int{32, 63, 64} {
		fs := scanner{b: b}
		got, gerr := fs.uintNum(bits)
		ss := scanner{b: b}
		ss.ws()
		var want uint64
		tok, werr := ss.num()
		if werr == nil {
			want, werr = strconv.ParseUint(string(tok), 10, bits)
		}
		if (gerr == nil) != (werr == nil) || gerr == nil && (got != want || fs.i != ss.i) {
			t.Fatalf("%q bits %d: uintNum %d, %v (end %d); num+ParseUint %d, %v (end %d)", b, bits, got, gerr, fs.i, want, werr, ss.i)
		}
	}
	// plainLevel against v2Level.
	fl := scanner{b: b}
	if lv, ok := fl.plainLevel(); ok {
		d := NewDecoder()
		d.s.reset(b)
		want, err := d.v2Level()
		if err != nil || want != lv || d.s.i != fl.i || d.s.depth != fl.depth || d.stats.UnknownFields != 0 {
			t.Fatalf("%q: plainLevel %v ending at %d, v2Level %v (%v) ending at %d", b, lv, fl.i, want, err, d.s.i)
		}
	} else if fl.i != 0 {
		t.Fatalf("%q: plainLevel refused but moved to %d", b, fl.i)
	}
}

func trimLeftWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

func TestScannerFastPaths(t *testing.T) {
	for _, in := range fastPathInputs {
		for _, b := range []string{in, " " + in, in + ",", in + "]"} {
			checkFastPaths(t, []byte(b))
		}
	}
	// The fast paths are taken for what Kraken sends.
	s := scanner{b: []byte(`{"price":66786.5,"qty":0.01470022}`)}
	if lv, ok := s.plainLevel(); !ok || lv.Price != (feed.Fixed{Mant: 667865, Scale: 1}) || lv.Qty != (feed.Fixed{Mant: 1470022, Scale: 8}) {
		t.Errorf("plainLevel = %v, %v", lv, ok)
	}
}

func FuzzScannerFastPaths(f *testing.F) {
	for _, in := range fastPathInputs {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkFastPaths(t, b) })
}
