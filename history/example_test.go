package history_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/warmcheck/warmcheck/history"
)

// A recorder writes events as they happen; a checker streams them back.
func Example() {
	dir, _ := os.MkdirTemp("", "history-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "history.wch")

	w, err := history.Create(path, history.Header{Workload: "example", Workers: 1})
	if err != nil {
		panic(err)
	}
	w.Append(history.Event{Index: 0, Kind: history.KindOp, Type: history.Invoke, Op: history.OpGet, ID: "m1", Time: 10})
	w.Append(history.Event{Index: 1, Kind: history.KindOp, Type: history.OK, Op: history.OpGet, ID: "m1", Time: 25,
		Output: &history.Output{Found: false}})
	w.Flush() // the recorder does this periodically: a killed run keeps what was flushed
	if err := w.Close(); err != nil {
		panic(err)
	}

	r, err := history.Open(path)
	if err != nil {
		panic(err)
	}
	defer r.Close()
	fmt.Println("workload:", r.Header().Workload)
	for {
		e, err := r.Next()
		var damage *history.DamageError
		switch {
		case err == io.EOF:
			return
		case errors.As(err, &damage):
			fmt.Println("intact up to byte", damage.Offset)
			return
		case err != nil:
			panic(err)
		}
		fmt.Println(e.Index, e.Type, e.Op, e.ID)
	}
	// Output:
	// workload: example
	// 0 invoke get m1
	// 1 ok get m1
}
