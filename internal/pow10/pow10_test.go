package pow10

import "testing"

func TestInt64(t *testing.T) {
	want := int64(1)
	for n := range int32(Max + 1) {
		if got := Int64(n); got != want {
			t.Errorf("Int64(%d) = %d, want %d", n, got, want)
		}
		want *= 10
	}
}
