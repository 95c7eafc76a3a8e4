package client

import (
	"context"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// nopStore is a direct client whose calls do nothing: what remains is the
// recorder's own cost per operation.
type nopStore struct{ fakeClient }

func (n *nopStore) direct() Client { return n }
func (n *nopStore) Get(context.Context, string) (store.Memory, store.Lookup, error) {
	return store.Memory{Content: []byte("x")}, store.Found, nil
}

// BenchmarkRecorderOverhead: one worker, recorded Gets against a client
// that does nothing, into the real history writer.
func BenchmarkRecorderOverhead(b *testing.B) {
	hw, err := history.Create(b.TempDir()+"/h.wch", history.Header{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer hw.Close()
	r, err := NewRecorder(hw, &nopStore{}, RecorderOptions{Workers: 1, OpTimeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	w := r.Worker(0)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Get(ctx, "m1")
	}
}
