package record_test

import (
	"fmt"
	"testing"

	"github.com/papertrade/papertrade/engine/record"
)

type counter struct {
	name string
	log  *[]string
}

func (c counter) Record(r *record.Record) { *c.log = append(*c.log, c.name+":"+r.Kind.String()) }

func TestMulti(t *testing.T) {
	var log []string
	a, b, c := counter{"a", &log}, counter{"b", &log}, counter{"c", &log}
	for _, tc := range []struct {
		name string
		rs   []record.Recorder
		want string
	}{
		{"none", nil, "[]"},
		{"only nils", []record.Recorder{nil, nil}, "[]"},
		{"one", []record.Recorder{nil, a}, "[a:fill]"},
		{"in order", []record.Recorder{b, a, c}, "[b:fill a:fill c:fill]"},
		{"nested flattened", []record.Recorder{a, record.Multi(b, c), nil}, "[a:fill b:fill c:fill]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log = log[:0]
			record.Multi(tc.rs...).Record(&record.Record{Kind: record.KindFill})
			if got := fmt.Sprint(log); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	if record.Multi() != record.Discard {
		t.Error("Multi() is not Discard")
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[record.Kind]string{record.KindOrder: "order", record.KindLag: "lag", 0: "", 99: "unknown"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

func ExampleMulti() {
	mem := &record.Memory{}
	var seen int
	count := recorderFunc(func(*record.Record) { seen++ })
	rec := record.Multi(mem, nil, count) // nil sinks (e.g. no journal) are skipped
	rec.Record(&record.Record{Instance: "grid", Kind: record.KindEquity})
	fmt.Println(len(mem.Records("grid")), seen)
	// Output: 1 1
}

type recorderFunc func(*record.Record)

func (f recorderFunc) Record(r *record.Record) { f(r) }
