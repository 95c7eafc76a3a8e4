package conformance

import (
	"fmt"
	"slices"
	"time"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// checkHello: a second connection gets the same declaration (the first was
// validated at start).
func checkHello(s *session) error {
	m, err := s.raw(map[string]any{"seq": 1, "op": "hello", "protocol": client.ProtocolVersion, "client": "warmcheck target-check"})
	if err != nil {
		return err
	}
	if c := rawCode(m); c != "" {
		return fmt.Errorf("hello on a second connection: error %s", c)
	}
	if m["name"] != s.hello.Name {
		return fmt.Errorf("hello on a second connection: name %v, the first said %q", m["name"], s.hello.Name)
	}
	return nil
}

// checkSeqEcho: answers carry the request's seq, however large.
func checkSeqEcho(s *session) error {
	for _, msg := range []map[string]any{
		{"seq": uint64(1)<<40 + 7, "op": "get", "id": "seq-probe"},
		{"seq": 3, "op": "get", "id": "seq-probe"},
	} {
		m, err := s.raw(msg)
		if err != nil {
			return err
		}
		if seq, ok := rawSeq(m); !ok || seq != toUint(msg["seq"]) {
			return fmt.Errorf("get with seq %v: answer has seq %v", msg["seq"], m["seq"])
		}
	}
	return nil
}

func toUint(v any) uint64 {
	switch n := v.(type) {
	case int:
		return uint64(n)
	case int64:
		return uint64(n)
	case uint64:
		return n
	}
	return 0
}

func checkPutGet(s *session) error {
	want := memoryOf(1, []byte("conformance put-get content"))
	if _, err := s.put("pg-a", want); err != nil {
		return err
	}
	if err := s.expect("pg-a", want); err != nil {
		return err
	}
	again := memoryOf(2, []byte("replaced"))
	if _, err := s.put("pg-a", again); err != nil {
		return err
	}
	return s.expect("pg-a", again)
}

func checkNilAndEmpty(s *session) error {
	for id, m := range map[string]store.Memory{"ne-nil": memoryOf(3, nil), "ne-empty": memoryOf(4, []byte{})} {
		if _, err := s.put(id, m); err != nil {
			return err
		}
		if err := s.expect(id, m); err != nil {
			return err
		}
	}
	nilEmb := memoryOf(5, []byte("x"))
	nilEmb.Embedding = nil
	if _, err := s.put("ne-no-embedding", nilEmb); err != nil {
		return err
	}
	return s.expect("ne-no-embedding", nilEmb) // a nil embedding reads back as zeros
}

// checkStoreSetsTimes: created_at and last_access of 0 are set by the store
// to its wall clock during the put.
func checkStoreSetsTimes(s *session) error {
	m := memoryOf(6, []byte("times"))
	m.CreatedAt, m.LastAccess = 0, 0
	before := time.Now().Add(-time.Minute).UnixNano()
	if _, err := s.put("st-a", m); err != nil {
		return err
	}
	after := time.Now().Add(time.Minute).UnixNano()
	got, l, err := s.get("st-a")
	switch {
	case err != nil:
		return err
	case l != store.Found:
		return fmt.Errorf("get \"st-a\" after its put: found false")
	}
	for name, v := range map[string]int64{"created_at": got.CreatedAt, "last_access": got.LastAccess} {
		if v < before || v > after {
			return fmt.Errorf("put with %s 0: the store set %d, not its wall clock during the put (%d..%d)", name, v, before, after)
		}
	}
	return nil
}

// checkGetMissing: a get of an id never put succeeds with found false.
func checkGetMissing(s *session) error {
	m, err := s.raw(map[string]any{"seq": 9, "op": "get", "id": "never-put"})
	if err != nil {
		return err
	}
	if c := rawCode(m); c != "" {
		return fmt.Errorf("get of a missing id answered error %q: it must succeed with found: false (a missing id is a result, not a failure)", c)
	}
	if f, ok := m["found"].(bool); !ok || f {
		return fmt.Errorf("get of a missing id: found is %v, want false", m["found"])
	}
	if _, ok := m["memory"]; ok && m["memory"] != nil {
		return fmt.Errorf("get of a missing id returned a memory")
	}
	return nil
}

func checkRemove(s *session) error {
	if _, err := s.put("rm-a", memoryOf(7, []byte("to remove"))); err != nil {
		return err
	}
	for _, c := range []struct {
		id    string
		found store.Lookup
	}{{"rm-a", store.Found}, {"rm-a", store.Missing}, {"never-put", store.Missing}} {
		ctx, cancel := s.call()
		l, err := s.c.Remove(ctx, c.id)
		cancel()
		if err != nil || l != c.found {
			return fmt.Errorf("remove %q: %v %v, want found=%v", c.id, l, err, c.found == store.Found)
		}
	}
	return s.expectAbsent("rm-a", "it was removed")
}

func checkUpdateActivation(s *session) error {
	m := memoryOf(8, []byte("activation"))
	if _, err := s.put("ua-a", m); err != nil {
		return err
	}
	before := time.Now().Add(-time.Minute).UnixNano()
	ctx, cancel := s.call()
	defer cancel()
	if l, err := s.c.UpdateActivation(ctx, "ua-a", 42.5); err != nil || l != store.Found {
		return fmt.Errorf("update-activation of a stored id: %v %v, want found", l, err)
	}
	if l, err := s.c.UpdateActivation(ctx, "never-put", 1); err != nil || l != store.Missing {
		return fmt.Errorf("update-activation of a missing id: %v %v, want success with found false", l, err)
	}
	got, _, err := s.get("ua-a")
	switch {
	case err != nil:
		return err
	case got.Activation != 42.5:
		return fmt.Errorf("after update-activation to 42.5: activation %g", got.Activation)
	case got.LastAccess < before:
		return fmt.Errorf("after update-activation: last_access %d not set to the wall clock", got.LastAccess)
	}
	m.Activation, m.LastAccess = got.Activation, got.LastAccess
	return s.expect("ua-a", m)
}

// listed returns the target's iterate, by id, failing on duplicates.
func (s *session) listed() (map[string]history.Value, error) {
	ctx, cancel := s.call()
	defer cancel()
	es, err := s.c.Iterate(ctx)
	if err != nil {
		return nil, fmt.Errorf("iterate: %w", err)
	}
	out := map[string]history.Value{}
	for _, e := range es {
		if _, dup := out[e.ID]; dup {
			return nil, fmt.Errorf("iterate lists %q twice", e.ID)
		}
		out[e.ID] = e.Value
	}
	return out, nil
}

func checkIterate(s *session) error {
	ms := map[string]store.Memory{}
	for i := range 4 {
		id := fmt.Sprintf("it-%d", i)
		ms[id] = memoryOf(10+i, []byte(id+" content"))
		if _, err := s.put(id, ms[id]); err != nil {
			return err
		}
	}
	ctx, cancel := s.call()
	defer cancel()
	if _, err := s.c.Remove(ctx, "it-2"); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	delete(ms, "it-2")
	got, err := s.listed()
	if err != nil {
		return err
	}
	if _, ok := got["it-2"]; ok {
		return fmt.Errorf("iterate lists the removed \"it-2\"")
	}
	for id, m := range ms {
		v, ok := got[id]
		want := client.ValueOf(m)
		switch {
		case !ok:
			return fmt.Errorf("iterate does not list %q", id)
		case v.ContentDigest != want.ContentDigest || v.EmbeddingDigest != want.EmbeddingDigest || v.Confidence != want.Confidence:
			return fmt.Errorf("iterate entry %q: content, embedding or confidence differ from the put", id)
		case v.CreatedAt != want.CreatedAt || v.LastAccess != want.LastAccess || v.DecayRate != want.DecayRate || v.Activation != want.Activation:
			return fmt.Errorf("iterate entry %q: activation, decay_rate, created_at or last_access differ from the put", id)
		}
	}
	return nil
}

func checkRecall(s *session) error {
	lo, hi := memoryOf(20, []byte("low")), memoryOf(21, []byte("high"))
	lo.Confidence, hi.Confidence = 0.0625, 0.9375
	if _, err := s.put("rc-lo", lo); err != nil {
		return err
	}
	if _, err := s.put("rc-hi", hi); err != nil {
		return err
	}
	ctx, cancel := s.call()
	defer cancel()
	es, err := s.c.Recall(ctx, 0.9)
	if err != nil {
		return fmt.Errorf("recall: %w", err)
	}
	var ids []string
	for _, e := range es {
		if e.Value.Confidence < 0.9 {
			return fmt.Errorf("recall 0.9 returned %q of confidence %g", e.ID, e.Value.Confidence)
		}
		ids = append(ids, e.ID)
	}
	if !slices.Contains(ids, "rc-hi") {
		return fmt.Errorf("recall 0.9 did not return \"rc-hi\" (confidence 0.9375)")
	}
	return nil
}

func checkSync(s *session) error {
	ctx, cancel := s.call()
	defer cancel()
	if err := s.c.Sync(ctx); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}
