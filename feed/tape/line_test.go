package tape

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/papertrade/papertrade/feed"
)

var t0 = time.Date(2026, 11, 24, 10, 15, 0, 123456789, time.UTC)

const tradeFrame = `{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":68500.0,"qty":0.01044926,"ord_type":"limit","trade_id":70635299,"timestamp":"2024-05-27T12:43:11.798009Z"}]}`

func TestAppendLine(t *testing.T) {
	tests := []struct {
		name string
		f    Frame
		want string
	}{
		{"v2 object", Frame{Recv: t0, API: feed.APIV2, Conn: 3, Raw: []byte(`{"a":1}`)},
			`{"recv":1795515300123456789,"api":"v2","conn":3,"raw":{"a":1}}`},
		{"v1 array", Frame{Recv: t0, API: feed.APIV1, Raw: []byte(`[42,{"b":"x"},"trade","XBT/USD"]`)},
			`{"recv":1795515300123456789,"api":"v1","conn":0,"raw":[42,{"b":"x"},"trade","XBT/USD"]}`},
		{"none, max conn", Frame{Recv: t0, Conn: 4294967295, Raw: []byte(`null`)},
			`{"recv":1795515300123456789,"api":"","conn":4294967295,"raw":null}`},
		{"inner spaces kept", Frame{Recv: t0, API: feed.APIV2, Raw: []byte(`{ "a" : [1, 2] }`)},
			`{"recv":1795515300123456789,"api":"v2","conn":0,"raw":{ "a" : [1, 2] }}`},
		{"text: not JSON", Frame{Recv: t0, API: feed.APIV2, Raw: []byte("502 Bad Gateway\n<html>\"x\"\\</html>\t\x01")},
			`{"recv":1795515300123456789,"api":"v2","conn":0,"text":"502 Bad Gateway\n<html>\"x\"\\</html>\t\u0001"}`},
		{"text: JSON with newline", Frame{Recv: t0, API: feed.APIV2, Raw: []byte("{\"a\":\n1}")},
			`{"recv":1795515300123456789,"api":"v2","conn":0,"text":"{\"a\":\n1}"}`},
		{"text: JSON with outer space", Frame{Recv: t0, API: feed.APIV2, Raw: []byte(` {"a":1}`)},
			`{"recv":1795515300123456789,"api":"v2","conn":0,"text":" {\"a\":1}"}`},
		{"text: empty", Frame{Recv: t0, API: feed.APIV2, Raw: nil},
			`{"recv":1795515300123456789,"api":"v2","conn":0,"text":""}`},
		{"text: unicode", Frame{Recv: t0, API: feed.APIV2, Raw: []byte("héllo €")},
			`{"recv":1795515300123456789,"api":"v2","conn":0,"text":"héllo €"}`},
		{"b64: binary", Frame{Recv: t0, API: feed.APIV2, Raw: []byte{0xff, 0x00, 0x7b}},
			`{"recv":1795515300123456789,"api":"v2","conn":0,"b64":"/wB7"}`},
		{"b64: JSON string with bad UTF-8", Frame{Recv: t0, API: feed.APIV2, Raw: []byte("\"\xc3\x28\"")},
			`{"recv":1795515300123456789,"api":"v2","conn":0,"b64":"IsMoIg=="}`},
		{"negative recv", Frame{Recv: time.Unix(-5, 0), API: feed.APIV2, Raw: []byte(`1`)},
			`{"recv":-5000000000,"api":"v2","conn":0,"raw":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendLine(nil, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want+"\n" {
				t.Fatalf("AppendLine:\n got %s\nwant %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("line is not valid JSON: %s", got)
			}
			back, err := ParseLine(bytes.TrimSuffix(got, []byte("\n")))
			if err != nil {
				t.Fatalf("ParseLine: %v", err)
			}
			checkFrame(t, back, tt.f)
		})
	}
}

func checkFrame(t *testing.T, got, want Frame) {
	t.Helper()
	if !got.Recv.Equal(want.Recv) || got.API != want.API || got.Conn != want.Conn || !bytes.Equal(got.Raw, want.Raw) {
		t.Fatalf("frame:\n got %v %v %d %q\nwant %v %v %d %q", got.Recv, got.API, got.Conn, got.Raw, want.Recv, want.API, want.Conn, want.Raw)
	}
}

func TestAppendLineErrors(t *testing.T) {
	for _, f := range []Frame{
		{API: feed.APIV2, Raw: []byte(`{}`)},
		{Recv: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), Raw: []byte(`{}`)},
		{Recv: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), Raw: []byte(`{}`)},
		{Recv: t0, API: feed.API(9), Raw: []byte(`{}`)},
	} {
		if b, err := AppendLine([]byte("x"), f); err == nil || string(b) != "x" {
			t.Errorf("AppendLine(%v, api %d) = %q, %v; want an error and dst unchanged", f.Recv, f.API, b, err)
		}
	}
}

func TestParseLineGeneralForms(t *testing.T) {
	tests := []struct {
		line string
		want Frame
	}{
		{`{"recv": 5, "api": "v2", "conn": 1, "raw": {"a": 1}}`, Frame{Recv: time.Unix(0, 5), API: feed.APIV2, Conn: 1, Raw: []byte(`{"a": 1}`)}},
		{`{"raw":[1],"conn":2,"api":"v1","recv":7}`, Frame{Recv: time.Unix(0, 7), API: feed.APIV1, Conn: 2, Raw: []byte(`[1]`)}},
		{`{"recv":7,"raw":"x"}`, Frame{Recv: time.Unix(0, 7), Raw: []byte(`"x"`)}},
		{`{"recv":7,"api":"v2","conn":0,"extra":{"future":true},"raw":{}}`, Frame{Recv: time.Unix(0, 7), API: feed.APIV2, Raw: []byte(`{}`)}},
		{"{\"recv\":7,\"api\":\"v2\",\"conn\":0,\"raw\":{}}\r", Frame{Recv: time.Unix(0, 7), API: feed.APIV2, Raw: []byte(`{}`)}},
		{`{"recv":7,"api":"v2","conn":0,"text":"a\u00e9\ud83d\ude00\/"}`, Frame{Recv: time.Unix(0, 7), API: feed.APIV2, Raw: []byte("aé😀/")}},
		{`{"recv":7,"api":"v2","conn":0,"text":"\ud83d"}`, Frame{Recv: time.Unix(0, 7), API: feed.APIV2, Raw: []byte("\uFFFD")}},
		{`{"recv":7,"api":"v2","conn":0,"b64":""}`, Frame{Recv: time.Unix(0, 7), API: feed.APIV2, Raw: []byte{}}},
	}
	for _, tt := range tests {
		got, err := ParseLine([]byte(tt.line))
		if err != nil {
			t.Errorf("ParseLine(%s): %v", tt.line, err)
			continue
		}
		checkFrame(t, got, tt.want)
	}
}

func TestParseLineErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{``, "not a tape line"},
		{`garbage`, "not a tape line"},
		{`{"recv":1,"api":"v2","conn":0,"raw":{"a":1}`, "not a tape line"}, // torn
		{`{"api":"v2","conn":0,"raw":{}}`, `no "recv"`},
		{`{"recv":1,"api":"v3","conn":0,"raw":{}}`, `unknown api "v3"`},
		{`{"recv":1,"api":"v2","conn":0}`, "exactly one"},
		{`{"recv":1,"api":"v2","conn":0,"raw":{},"text":"x"}`, "exactly one"},
		{`{"recv":1,"api":"v2","conn":4294967296,"raw":{}}`, "not a tape line"},
		{`{"recv":99999999999999999999,"api":"v2","conn":0,"raw":{}}`, "not a tape line"},
		{`{"recv":1,"api":"v2","conn":0,"b64":"!!"}`, "not a tape line"},
		{`{"recv":1,"api":"v2","conn":0,"text":"a` + "\x01" + `"}`, "not a tape line"},
		{`[1,2]`, "not a tape line"},
	}
	for _, tt := range tests {
		_, err := ParseLine([]byte(tt.line))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseLine(%q) error = %v, want one containing %q", tt.line, err, tt.want)
		}
	}
}

func TestParseLineNoAllocs(t *testing.T) {
	line, err := AppendLine(nil, Frame{Recv: t0, API: feed.APIV2, Conn: 1, Raw: []byte(tradeFrame)})
	if err != nil {
		t.Fatal(err)
	}
	line = line[:len(line)-1]
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ParseLine(line); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ParseLine allocates %v times per canonical line, want 0", allocs)
	}
}

// embeddableOracle says what embeddable must say, from encoding/json.
func embeddableOracle(b []byte) (want, known bool) {
	if bytes.Count(b, []byte("["))+bytes.Count(b, []byte("{")) >= maxDepth {
		return false, false // depth limit: no simple oracle
	}
	if len(b) == 0 || bytes.IndexByte(b, '\n') >= 0 || isSpace(b[0]) || isSpace(b[len(b)-1]) {
		return false, true
	}
	return json.Valid(b) && utf8.Valid(b), true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func TestEmbeddable(t *testing.T) {
	for _, s := range []string{
		tradeFrame, `{}`, `[]`, `""`, `0`, `-0.5e+10`, `true`, `null`, `{"a":[1,{"b":null}],"c":"\u00e9\n"}`,
		`{`, `}`, `[1,]`, `{"a"}`, `{"a":}`, `01`, `1.`, `.5`, `-`, `1e`, `tru`, `"\x"`, `"\u12"`, "\"a\x01\"",
		`"` + "\xff" + `"`, " 1", "1 ", "[1,\n2]", `[1] [2]`, `{"a":1}}`, strings.Repeat("[", 300) + strings.Repeat("]", 300),
	} {
		got := embeddable([]byte(s))
		want, known := embeddableOracle([]byte(s))
		if !known {
			want = false // deeper than maxDepth: stored as text
		}
		if got != want {
			t.Errorf("embeddable(%.40q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzEmbeddable(f *testing.F) {
	for _, s := range []string{tradeFrame, `{"a":[1,2,{"b":"\u00e9"}]}`, `[1,]`, `"\ud83d"`, "\"\xc3\x28\"", `-0.0e-0`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := embeddable(b)
		if want, known := embeddableOracle(b); known && got != want {
			t.Fatalf("embeddable(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}

// FuzzParseLine: ParseLine never panics, and whatever it accepts survives a round trip
// through AppendLine; frames built from arbitrary bytes read back identical.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		`{"recv":1795515300123456789,"api":"v2","conn":3,"raw":` + tradeFrame + `}`,
		`{"recv":1,"api":"v1","conn":0,"raw":[1,{"a":"b"},"trade","XBT/USD"]}`,
		`{"recv":-1,"api":"","conn":7,"text":"a\nb\"\\\u0001\ud83d\ude00"}`,
		`{"recv":1,"api":"v2","conn":0,"b64":"/wB7"}`,
		`{"recv": 5, "api": "v2", "conn": 1, "raw": {"a": 1}}`,
		`{"recv":1,"api":"v2","conn":0,"raw":{"a":1}`,
		`{"recv":1,"api":"v2","conn":0,"raw":}`,
		`{"recv":1,"api":"v2","conn":0,"text":"\`,
		`{}`, ``, `garbage`,
	} {
		f.Add([]byte(s), []byte(`{"a":1}`))
	}
	f.Fuzz(func(t *testing.T, line, raw []byte) {
		fr, err := ParseLine(bytes.Clone(line))
		if err == nil {
			again, err := AppendLine(nil, fr)
			if err != nil {
				// recv outside 1678-2262 cannot come from a line; anything else is a bug
				t.Fatalf("AppendLine of parsed %q: %v", line, err)
			}
			fr2, err := ParseLine(again[:len(again)-1])
			if err != nil {
				t.Fatalf("re-encoded line %q does not parse: %v", again, err)
			}
			checkFrame(t, fr2, fr)
		}
		want := Frame{Recv: time.Unix(0, int64(len(line))*1e9+int64(len(raw))), API: feed.APIV2, Conn: uint32(len(raw)), Raw: raw}
		enc, err := AppendLine(nil, want)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(enc) {
			t.Fatalf("AppendLine wrote invalid JSON for %q: %s", raw, enc)
		}
		if bytes.IndexByte(enc[:len(enc)-1], '\n') >= 0 {
			t.Fatalf("AppendLine wrote a newline inside the line for %q", raw)
		}
		got, err := ParseLine(enc[:len(enc)-1])
		if err != nil {
			t.Fatalf("ParseLine(AppendLine(%q)): %v", raw, err)
		}
		checkFrame(t, got, want)
	})
}
