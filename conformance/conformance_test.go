package conformance

import (
	"context"
	"strings"
	"testing"
	"time"
)

// testTarget is this test binary as a target in the given fake mode.
func testTarget(t *testing.T, mode string, timeout time.Duration, only ...string) *Report {
	t.Helper()
	exe := "'" + strings.ReplaceAll(testExecutable(t), "'", `'\''`) + "'"
	rep, err := Run(context.Background(), Config{Exec: exe, Env: []string{fakeEnv + "=" + mode}, Timeout: timeout, StartTimeout: 20 * time.Second, Only: only})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		t.Logf("%-7s %s %s", r.Status, r.Name, r.Message)
	}
	return rep
}

func TestBuiltinStoreIsConformant(t *testing.T) {
	rep := testTarget(t, "builtin", 5*time.Second)
	if !rep.Conformant() {
		t.Fatal("the built-in store, served as an exec target, is not conformant")
	}
	if n := len(rep.Results); n != len(allChecks) {
		t.Fatalf("%d results, want one per check (%d)", n, len(allChecks))
	}
	for _, r := range rep.Results {
		if r.Status != Pass {
			t.Errorf("%s: %s (%s), want pass: the built-in store declares every capability", r.Name, r.Status, r.Message)
		}
	}
}

// A target that declares no optional capability is conformant when it
// answers the undeclared operations with unsupported; only the placements
// check, which has nothing to look at, is skipped.
func TestMinimalTargetIsConformant(t *testing.T) {
	rep := testTarget(t, "minimal", 5*time.Second)
	if !rep.Conformant() || len(rep.Hello.Capabilities) != 0 {
		t.Fatalf("minimal target: conformant %v, capabilities %v", rep.Conformant(), rep.Hello.Capabilities)
	}
	for _, r := range rep.Results {
		if (r.Status == Skipped) != (r.Name == "placements") {
			t.Errorf("%s: %s %s", r.Name, r.Status, r.Message)
		}
	}
}

// Each broken target fails the check that guards the broken rule, with a
// message that says what is wrong.
func TestBrokenTargetsFail(t *testing.T) {
	for _, c := range []struct {
		mode, check, message string
		timeout              time.Duration
	}{
		{"wrong-seq", "seq-echo", "answer has seq", 0},
		{"missing-as-error", "get-missing", `answered error "not-found"`, 0},
		{"bad-id-accepted", "error-bad-id", "answered ok, want error code bad-id", 0},
		{"slow-get", "seq-echo", "timeout", 300 * time.Millisecond},
		{"hello-without-capabilities", "hello", "missing capabilities", 0},
	} {
		t.Run(c.mode, func(t *testing.T) {
			timeout := c.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			rep := testTarget(t, c.mode, timeout, c.check)
			if rep.Conformant() {
				t.Fatal("a broken target passed")
			}
			for _, r := range rep.Results {
				if r.Name == c.check {
					if r.Status != Fail || !strings.Contains(r.Message, c.message) {
						t.Fatalf("%s: %s %q, want fail mentioning %q", r.Name, r.Status, r.Message, c.message)
					}
					return
				}
			}
			t.Fatalf("no result for %s", c.check)
		})
	}
}
