package crashpoint

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/store"
)

// The compaction workload's recording holds the relocation tables'
// persistence (created whole, the older one unlinked by the next
// compaction), so their crash states are explored like every other file's.
func TestCompactionRecordsRelocationTables(t *testing.T) {
	ops, err := Plan("compaction", 60, 2)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := Record(filepath.Join(t.TempDir(), "run"), ops, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[store.PersistOp]int{}
	for _, st := range rec.Steps {
		if strings.HasPrefix(st.Event.File, "reloc.") {
			seen[st.Event.Op]++
		}
	}
	if seen[store.PersistCreate] < 2 || seen[store.PersistUnlink] < 1 {
		t.Fatalf("relocation table steps %v: want at least two creates and an unlink", seen)
	}
}
