package humanfmt

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0 panics"}, {1, "1 panic"}, {2, "2 panics"}, {-1, "-1 panics"}} {
		if got := Count(c.n, "panic", "panics"); got != c.want {
			t.Errorf("Count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := Count(uint64(1), "memory", "memories"); got != "1 memory" {
		t.Errorf("uint64: %q", got)
	}
}

func TestList(t *testing.T) {
	if got := List([]uint64{1913, 1918}); got != "1913, 1918" {
		t.Errorf("List = %q", got)
	}
	if got := List([]int{}); got != "" {
		t.Errorf("empty List = %q", got)
	}
}
