package conformance

import (
	"fmt"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/store"
)

// unsupportedUnlessDeclared: without capability c the op must answer
// unsupported; with it, run.
func (s *session) unsupportedUnlessDeclared(c client.Capability, op string, run func() error) error {
	if s.hello.Has(c) {
		return run()
	}
	m, err := s.raw(map[string]any{"seq": 11, "op": op})
	if err != nil {
		return err
	}
	if code := rawCode(m); code != "unsupported" {
		return fmt.Errorf("%s without capability %s: answered %q, want error code unsupported", op, c, code)
	}
	return nil
}

// checkStats: at a quiet moment, live and content_bytes_live agree with
// the iterate.
func checkStats(s *session) error {
	return s.unsupportedUnlessDeclared(client.CapStats, "stats", func() error {
		vs, err := s.listed()
		if err != nil {
			return err
		}
		ctx, cancel := s.call()
		defer cancel()
		st, err := s.c.Stats(ctx)
		if err != nil {
			return fmt.Errorf("stats: %w", err)
		}
		var bytes uint64
		for _, v := range vs {
			bytes += uint64(v.ContentLen)
		}
		switch {
		case st.Live != uint64(len(vs)):
			return fmt.Errorf("stats: live %d, but iterate lists %d memories", st.Live, len(vs))
		case st.ContentBytesLive != bytes:
			return fmt.Errorf("stats: content_bytes_live %d, but the listed memories hold %d bytes", st.ContentBytesLive, bytes)
		}
		return nil
	})
}

// checkLayout: the layout lists what iterate lists, with the same digests.
func checkLayout(s *session) error {
	return s.unsupportedUnlessDeclared(client.CapLayout, "layout", func() error {
		vs, err := s.listed()
		if err != nil {
			return err
		}
		ctx, cancel := s.call()
		defer cancel()
		l, err := s.c.Layout(ctx)
		if err != nil {
			return fmt.Errorf("layout: %w", err)
		}
		if len(l) != len(vs) {
			return fmt.Errorf("layout lists %d memories, iterate %d", len(l), len(vs))
		}
		for _, e := range l {
			v, ok := vs[e.ID]
			if !ok || v.ContentDigest != e.ContentDigest || v.EmbeddingDigest != e.EmbeddingDigest {
				return fmt.Errorf("layout entry %q does not match the iterate's", e.ID)
			}
		}
		return nil
	})
}

// checkPlacements: a put's placement describes its content, and two puts
// one after the other get different slots and disjoint ranges.
func checkPlacements(s *session) error {
	if !s.hello.Has(client.CapPlacements) {
		return skip("capability placements not declared: offset-overlap, offset-monotonic, unique-slots and content-length will be not-evaluated")
	}
	a, err := s.put("pl-a", memoryOf(30, make([]byte, 100)))
	if err != nil {
		return err
	}
	b, err := s.put("pl-b", memoryOf(31, make([]byte, 50)))
	if err != nil {
		return err
	}
	n, err := s.put("pl-nil", memoryOf(32, nil))
	if err != nil {
		return err
	}
	switch {
	case !a.HasContent || a.Length != 100:
		return fmt.Errorf("put of 100 bytes: placement has_content %v length %d", a.HasContent, a.Length)
	case n.HasContent || n.Length != 0:
		return fmt.Errorf("put of nil content: placement has_content %v length %d, want false 0", n.HasContent, n.Length)
	case a.Slot == b.Slot:
		return fmt.Errorf("two live memories got slot %d", a.Slot)
	case a.Epoch == b.Epoch && b.Offset < a.Offset+uint64(a.Length):
		return fmt.Errorf("put after put: range [%d,%d) does not follow [%d,%d) in the append-only region", b.Offset, b.Offset+uint64(b.Length), a.Offset, a.Offset+uint64(a.Length))
	}
	return nil
}

// checkCompact: a compaction answers its statistics and changes no value.
func checkCompact(s *session) error {
	return s.unsupportedUnlessDeclared(client.CapCompact, "compact", func() error {
		want := memoryOf(40, []byte("survives compaction"))
		if _, err := s.put("cp-a", want); err != nil {
			return err
		}
		ctx, cancel := s.call()
		defer cancel()
		if _, err := s.c.Compact(ctx); err != nil {
			return fmt.Errorf("compact: %w", err)
		}
		return s.expect("cp-a", want)
	})
}

// checkFailpoints: hits answers; an unknown failpoint is refused.
func checkFailpoints(s *session) error {
	return s.unsupportedUnlessDeclared(client.CapFailpoints, "failpoint-hits", func() error {
		ctx, cancel := s.call()
		defer cancel()
		if _, err := s.c.Hits(ctx); err != nil {
			return fmt.Errorf("failpoint-hits: %w", err)
		}
		err := s.c.Arm(ctx, "no-such-failpoint", store.Action{Kind: store.ActionSleep, Times: 1})
		return wantCode("failpoint-arm of an unknown name", err, "unknown-failpoint")
	})
}
