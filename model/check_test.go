package model

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestModelCheck runs check.sh: the correct model must verify exhaustively
// in each configuration and each seeded-bug variant (and each mutant of the
// model) must be refuted with a trail. It needs spin
// and a C compiler; without them it skips and says why, so that go test
// stays green on a machine with only Go (.ci/run installs spin).
func TestModelCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("model check takes about two CPU minutes: skipped with -short")
	}
	if _, err := exec.LookPath("spin"); err != nil {
		t.Skip("SKIPPED: spin is not installed (apt-get install -y spin); the model is not checked here")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("SKIPPED: no gcc to compile spin's pan; the model is not checked here")
	}
	script, err := filepath.Abs("check.sh")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", script, t.TempDir()).CombinedOutput()
	t.Logf("check.sh:\n%s", out)
	if err != nil {
		t.Fatalf("check.sh: %v", err)
	}
	for _, want := range []string{"correct", "correct-ltl", "slot-race", "content-offset-race", "compaction-swap-window",
		"compaction-lost-store", "unlocked-activation", "index-before-block",
		"mutant-scan-no-recheck", "mutant-rewrite-not-current"} {
		if !strings.Contains(string(out), want+" ") {
			t.Errorf("check.sh table has no row for %s", want)
		}
	}
}
