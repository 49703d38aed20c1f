package jsonstr

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAppend(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"BTC/USD", `"BTC/USD"`},
		{`say "hi"\`, `"say \"hi\"\\"`},
		{"a\nb\rc\td", `"a\nb\rc\td"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"<&>", `"<&>"`},
		{"€ ok", `"€ ok"`},
		{"bad\xffbyte", `"bad\ufffdbyte"`},
		{"cut\xe2\x82", `"cut\ufffd\ufffd"`},
	}
	for _, tt := range tests {
		if got := string(Append(nil, tt.in)); got != tt.want {
			t.Errorf("Append(%q) = %s; want %s", tt.in, got, tt.want)
		}
		if got := string(Append(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("Append([]byte %q) = %s; want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzAppend checks that every string comes back through encoding/json as itself (with
// invalid UTF-8 replaced as json.Marshal would).
func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\n\t\x01", "€", "\xff", "x\xe2\x82y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := Append([]byte("prefix"), s)
		if !strings.HasPrefix(string(b), "prefix") {
			t.Fatalf("prefix lost: %q", b)
		}
		var got string
		if err := json.Unmarshal(b[len("prefix"):], &got); err != nil {
			t.Fatalf("Append(%q) = %s: not a JSON string: %v", s, b, err)
		}
		m, _ := json.Marshal(s)
		var want string
		_ = json.Unmarshal(m, &want)
		if got != want {
			t.Fatalf("Append(%q) read back as %q; want %q", s, got, want)
		}
	})
}

func BenchmarkAppendASCII(b *testing.B) {
	s := []byte(`{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD"}]}`)
	dst := make([]byte, 0, 256)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		dst = AppendInner(dst[:0], s)
	}
}
