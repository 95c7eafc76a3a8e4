package store_test

// Helpers shared by the black-box suites (model, crash, corruption, fuzz,
// concurrency, bench). They live in package store_test so that the suites
// exercise only the exported API, exactly as the client and nemesis do.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/warmcheck/warmcheck/store"
)

// openStore opens a store in dir and fails the test on error; the store is
// closed at cleanup unless the test closed it already.
func openStore(tb testing.TB, dir string, opts store.Options) *store.Store {
	tb.Helper()
	s, err := store.Open(dir, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// suiteEmbedding is a deterministic, seed-specific embedding: every value
// depends on the seed, so a block holding another memory's embedding is
// detected by comparing digests.
func suiteEmbedding(seed uint64) []float32 {
	v := make([]float32, store.EmbeddingDim)
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

// contentSize draws from the original's content-size mix: 90% 100 B,
// 9% 1 KiB, 1% 5 KiB.
func contentSize(r *rand.Rand) int {
	switch p := r.IntN(100); {
	case p < 90:
		return 100
	case p < 99:
		return 1024
	default:
		return 5 * 1024
	}
}

// taggedContent is content of exactly size bytes that starts with tag and
// is padded with a byte pattern derived from tag, so a torn or misplaced
// read cannot look like a valid value of another memory.
func taggedContent(tag string, size int) []byte {
	b := make([]byte, size)
	n := copy(b, tag)
	h := fnv.New64a()
	h.Write([]byte(tag))
	x := h.Sum64()
	for i := n; i < size; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = 'a' + byte(x%26)
	}
	return b
}

// digest64 and digestEmbedding64 compute what history.Digest and
// history.DigestEmbedding compute (XXH64, seed 0, straight from the xxhash
// library; embeddings over their little-endian float32 bytes); the store
// tests may not import history, so they are written here from the reference
// and pinned by TestSuiteDigestPins.
func digest64(b []byte) uint64 { return xxhash.Sum64(b) }

func digestEmbedding64(v []float32) uint64 {
	raw := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	return xxhash.Sum64(raw)
}

// normEmbedding is what Get must return for an embedding given to Put: nil
// stores zeros.
func normEmbedding(v []float32) []float32 {
	if v == nil {
		return make([]float32, store.EmbeddingDim)
	}
	return v
}

// diffMemory describes how got differs from want in the fields Put promises
// to keep (LastAccess is the store's to set; CreatedAt is compared when want
// has one). It returns "" when they agree. nil and empty content differ.
func diffMemory(want, got store.Memory) string {
	var d []string
	if (want.Content == nil) != (got.Content == nil) {
		d = append(d, fmt.Sprintf("content nil-ness: want nil=%v, got nil=%v", want.Content == nil, got.Content == nil))
	} else if !bytes.Equal(want.Content, got.Content) {
		d = append(d, fmt.Sprintf("content: want %d bytes %q, got %d bytes %q",
			len(want.Content), clip(want.Content), len(got.Content), clip(got.Content)))
	}
	we, ge := normEmbedding(want.Embedding), got.Embedding
	if len(ge) != store.EmbeddingDim {
		d = append(d, fmt.Sprintf("embedding length %d", len(ge)))
	} else if digestEmbedding64(we) != digestEmbedding64(ge) {
		d = append(d, "embedding differs")
	}
	if want.Confidence != got.Confidence {
		d = append(d, fmt.Sprintf("confidence: want %v got %v", want.Confidence, got.Confidence))
	}
	if want.Activation != got.Activation {
		d = append(d, fmt.Sprintf("activation: want %v got %v", want.Activation, got.Activation))
	}
	if want.DecayRate != got.DecayRate {
		d = append(d, fmt.Sprintf("decay rate: want %v got %v", want.DecayRate, got.DecayRate))
	}
	if want.CreatedAt != 0 && want.CreatedAt != got.CreatedAt {
		d = append(d, fmt.Sprintf("created_at: want %d got %d", want.CreatedAt, got.CreatedAt))
	}
	return strings.Join(d, "; ")
}

func clip(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// checkLayout verifies the whole-store placement invariants: no two live
// memories share a slot, no two live content ranges of one epoch overlap,
// and each entry's digest and placement agree with want (when want is not
// nil: id -> expected memory).
func checkLayout(layout []store.LayoutEntry, want map[string]store.Memory) error {
	type rng struct {
		id       string
		off, end uint64
	}
	slots := make(map[uint64]string, len(layout))
	ids := make(map[string]bool, len(layout))
	byEpoch := map[uint64][]rng{}
	for _, e := range layout {
		if ids[e.ID] {
			return fmt.Errorf("id %q appears twice in Layout", e.ID)
		}
		ids[e.ID] = true
		if other, ok := slots[e.Placement.Slot]; ok {
			return fmt.Errorf("slot %d shared by %q and %q", e.Placement.Slot, other, e.ID)
		}
		slots[e.Placement.Slot] = e.ID
		p := e.Placement
		if !p.HasContent && (p.Offset != 0 || p.Length != 0) {
			return fmt.Errorf("%q: no content but offset %d length %d", e.ID, p.Offset, p.Length)
		}
		if p.HasContent && p.Length > 0 {
			end := p.Offset + uint64(p.Length)
			if end < p.Offset {
				return fmt.Errorf("%q: offset %d + length %d overflows", e.ID, p.Offset, p.Length)
			}
			byEpoch[p.Epoch] = append(byEpoch[p.Epoch], rng{e.ID, p.Offset, end})
		}
		if want != nil {
			m, ok := want[e.ID]
			if !ok {
				return fmt.Errorf("Layout lists %q, which is not live", e.ID)
			}
			if p.HasContent != (m.Content != nil) {
				return fmt.Errorf("%q: HasContent %v, content nil=%v", e.ID, p.HasContent, m.Content == nil)
			}
			if int(p.Length) != len(m.Content) {
				return fmt.Errorf("%q: Layout length %d, content length %d", e.ID, p.Length, len(m.Content))
			}
			wantDigest := uint64(0)
			if m.Content != nil {
				wantDigest = digest64(m.Content)
			}
			if e.ContentDigest != wantDigest {
				return fmt.Errorf("%q: content digest %#x, want %#x", e.ID, e.ContentDigest, wantDigest)
			}
			if e.EmbeddingDigest != digestEmbedding64(normEmbedding(m.Embedding)) {
				return fmt.Errorf("%q: embedding digest differs", e.ID)
			}
			if e.Confidence != m.Confidence || e.Activation != m.Activation {
				return fmt.Errorf("%q: Layout confidence/activation %v/%v, want %v/%v",
					e.ID, e.Confidence, e.Activation, m.Confidence, m.Activation)
			}
			if math.Float32bits(e.DecayRate) != math.Float32bits(m.DecayRate) || m.CreatedAt != 0 && e.CreatedAt != m.CreatedAt {
				return fmt.Errorf("%q: Layout decay rate/created_at %v/%d, want %v/%d", e.ID, e.DecayRate, e.CreatedAt, m.DecayRate, m.CreatedAt)
			}
		}
	}
	if want != nil && len(ids) != len(want) {
		for id := range want {
			if !ids[id] {
				return fmt.Errorf("live memory %q missing from Layout (%d entries, %d live)", id, len(ids), len(want))
			}
		}
	}
	for epoch, rs := range byEpoch {
		sort.Slice(rs, func(i, j int) bool { return rs[i].off < rs[j].off })
		for i := 1; i < len(rs); i++ {
			if rs[i].off < rs[i-1].end {
				return fmt.Errorf("epoch %d: content of %q [%d,%d) overlaps %q [%d,%d)",
					epoch, rs[i-1].id, rs[i-1].off, rs[i-1].end, rs[i].id, rs[i].off, rs[i].end)
			}
		}
	}
	return nil
}

// isFormatError reports whether err is one of the sentinel errors Open may
// give for a damaged store.
func isFormatError(err error) bool {
	return errors.Is(err, store.ErrBadMagic) || errors.Is(err, store.ErrBadVersion) ||
		errors.Is(err, store.ErrHeaderChecksum) || errors.Is(err, store.ErrCorrupt)
}

// copyDir copies the regular files of src into a fresh directory dst.
func copyDir(tb testing.TB, src, dst string) {
	tb.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		tb.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// dataFiles lists the store's data files in dir (blocks.dat and the
// content files), skipping durable images.
func dataFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".dat") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// withTimeout runs f and fails the test if it does not return within d:
// a hang (a lock left held) must be a failure, not a stuck test binary.
func withTimeout(tb testing.TB, d time.Duration, what string, f func()) {
	tb.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		tb.Fatalf("%s did not finish within %v (deadlock or lock left held?)", what, d)
	}
}

// longRuns reports whether the slow, scale-sized variants are enabled.
func longRuns() bool { return os.Getenv("WARMCHECK_LONG") == "1" }

func TestSuiteDigestPins(t *testing.T) {
	if got := digest64([]byte("a")); got != 0xd24ec4f1a98c6e5b {
		t.Fatalf("digest64(a) = %#x, want 0xd24ec4f1a98c6e5b (XXH64, seed 0)", got)
	}
	if got := digestEmbedding64([]float32{1}); got != digest64([]byte{0, 0, 0x80, 0x3f}) {
		t.Fatalf("digestEmbedding64 is not XXH64 over little-endian float32 bytes")
	}
}
