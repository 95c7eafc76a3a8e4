package client

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

func TestClassify(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("put m1: %w", err) }
	cases := []struct {
		op   history.Op
		err  error
		want history.Type
	}{
		{history.OpPut, nil, history.OK},
		{history.OpGet, nil, history.OK},
		{history.OpPut, &PanicError{Value: "x"}, history.Info},
		{history.OpGet, &PanicError{Value: "x"}, history.Info},
		{history.OpGet, fmt.Errorf("%w: %w", ErrTimeout, context.DeadlineExceeded), history.Info},
		{history.OpPut, context.Canceled, history.Info},
		{history.OpRemove, wrap(ErrConnLost), history.Info},
		{history.OpSync, wrap(ErrProtocol), history.Info},
		{history.OpPut, wrap(ErrNotSent), history.Fail},
		{history.OpPut, wrap(ErrRejected), history.Fail},
		{history.OpCompact, wrap(ErrRejected), history.Fail},
		{history.OpGet, wrap(ErrRejected), history.Fail},
		{history.OpPut, wrap(store.ErrBadID), history.Fail},
		{history.OpPut, wrap(store.ErrBadEmbedding), history.Fail},
		{history.OpPut, wrap(store.ErrTooLarge), history.Fail},
		{history.OpCompact, wrap(store.ErrCompactionInProgress), history.Fail},
		{history.OpPut, wrap(store.ErrClosed), history.Fail},
		{history.OpPut, wrap(store.ErrGrowFailed), history.Fail},
		{history.OpPut, wrap(store.ErrInjected), history.Info},
		{history.OpUpdateActivation, errors.New("disk on fire"), history.Info},
		{history.OpGet, wrap(store.ErrInjected), history.Fail},
		{history.OpIterate, wrap(store.ErrCorrupt), history.Fail},
		{history.OpCompact, errors.New("disk on fire"), history.Info},
	}
	for _, c := range cases {
		if got := Classify(c.op, c.err); got != c.want {
			t.Errorf("Classify(%v, %v) = %v, want %v", c.op, c.err, got, c.want)
		}
	}
}

func TestValueOfKeepsNilAndEmptyContentApart(t *testing.T) {
	n, e := ValueOf(store.Memory{}), ValueOf(store.Memory{Content: []byte{}})
	if n.HasContent || !e.HasContent || e.ContentLen != 0 {
		t.Fatalf("nil %+v empty %+v", n, e)
	}
	zeros := make([]float32, store.EmbeddingDim)
	if n.EmbeddingDigest != history.DigestEmbedding(zeros) {
		t.Fatal("nil embedding must digest as the zeros the store keeps")
	}
	emb := make([]float32, store.EmbeddingDim)
	emb[3] = 1
	if ValueOf(store.Memory{Embedding: emb}).EmbeddingDigest == n.EmbeddingDigest {
		t.Fatal("different embeddings, same digest")
	}
}
