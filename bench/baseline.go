package bench

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/warmcheck/warmcheck/store"
)

// rawSubject is the raw baseline: one memory-mapped file that records are
// appended to and a Go map from id to record offset. No locks, no
// checksums, no syncs, no free-space reuse: the least work a memory-mapped
// store can do, so that store/raw ratios say what the store's safety costs.
//
// File layout (little endian): bytes 0..7 hold the end of the last record;
// records follow back to back:
//
//	off  size      field
//	0    1         live (1) or removed (0)
//	1    2         id length L
//	3    4         content length, 0xFFFFFFFF for nil content
//	7    4*3       confidence, activation, decay rate (float32 bits)
//	19   8*2       created at, last access (int64)
//	35   4*768     embedding (float32 bits)
//	3107 L         id
//	...  content
type rawSubject struct {
	path   string
	f      *os.File
	region []byte
	end    uint64
	index  map[string]uint64

	contentTotal, contentLive uint64
}

const (
	rawHeader    = 8
	rawFixed     = 35 + 4*store.EmbeddingDim
	rawNil       = math.MaxUint32
	rawInitBytes = 64 << 20
)

// openRaw opens the raw baseline in dir, rebuilding the index by scanning
// the records when the file exists (the raw "recovery").
func openRaw(dir string) (subject, error) {
	path := filepath.Join(dir, "raw-baseline.dat")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("bench: raw baseline: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: raw baseline: %w", err)
	}
	r := &rawSubject{path: path, f: f, index: map[string]uint64{}}
	size := fi.Size()
	if size < rawInitBytes {
		size = rawInitBytes
	}
	if err := r.mapFile(size); err != nil {
		f.Close()
		return nil, err
	}
	r.end = binary.LittleEndian.Uint64(r.region)
	if r.end == 0 {
		r.end = rawHeader
	}
	if r.end > uint64(len(r.region)) {
		r.Close()
		return nil, fmt.Errorf("%w: raw baseline %s: end %d beyond file size %d", ErrCorruptData, path, r.end, len(r.region))
	}
	for off := uint64(rawHeader); off < r.end; {
		idLen, clen := r.lengths(off)
		size := rawFixed + idLen + clen
		if r.region[off] == 1 {
			r.index[string(r.region[off+rawFixed:off+rawFixed+idLen])] = off
			r.contentLive += clen
		}
		r.contentTotal += clen
		off += size
	}
	return r, nil
}

func (r *rawSubject) mapFile(size int64) error {
	if err := r.f.Truncate(size); err != nil {
		return fmt.Errorf("bench: raw baseline grow to %d: %w", size, err)
	}
	region, err := unix.Mmap(int(r.f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("bench: raw baseline mmap %d bytes: %w", size, err)
	}
	r.region = region
	return nil
}

// lengths returns the id and content byte lengths of the record at off.
func (r *rawSubject) lengths(off uint64) (uint64, uint64) {
	idLen := uint64(binary.LittleEndian.Uint16(r.region[off+1:]))
	clen := uint64(binary.LittleEndian.Uint32(r.region[off+3:]))
	if clen == rawNil {
		clen = 0
	}
	return idLen, clen
}

func (r *rawSubject) Name() string { return "raw" }

func (r *rawSubject) Put(id string, m store.Memory) error {
	need := uint64(rawFixed + len(id) + len(m.Content))
	if r.end+need > uint64(len(r.region)) {
		size := int64(len(r.region)) * 2
		for uint64(size) < r.end+need {
			size *= 2
		}
		if err := unix.Munmap(r.region); err != nil {
			return fmt.Errorf("bench: raw baseline munmap: %w", err)
		}
		if err := r.mapFile(size); err != nil {
			return err
		}
	}
	if old, ok := r.index[id]; ok {
		r.region[old] = 0
		_, clen := r.lengths(old)
		r.contentLive -= clen
	}
	off := r.end
	b := r.region[off : off+need]
	b[0] = 1
	binary.LittleEndian.PutUint16(b[1:], uint16(len(id)))
	clen := uint32(len(m.Content))
	if m.Content == nil {
		clen = rawNil
	}
	binary.LittleEndian.PutUint32(b[3:], clen)
	binary.LittleEndian.PutUint32(b[7:], math.Float32bits(m.Confidence))
	binary.LittleEndian.PutUint32(b[11:], math.Float32bits(m.Activation))
	binary.LittleEndian.PutUint32(b[15:], math.Float32bits(m.DecayRate))
	binary.LittleEndian.PutUint64(b[19:], uint64(m.CreatedAt))
	binary.LittleEndian.PutUint64(b[27:], uint64(m.LastAccess))
	emb := b[35:rawFixed]
	if len(m.Embedding) == store.EmbeddingDim {
		copy(emb, unsafe.Slice((*byte)(unsafe.Pointer(&m.Embedding[0])), 4*store.EmbeddingDim))
	} else {
		clear(emb)
	}
	copy(b[rawFixed:], id)
	copy(b[rawFixed+len(id):], m.Content)
	r.end += need
	binary.LittleEndian.PutUint64(r.region, r.end)
	r.index[id] = off
	r.contentTotal += uint64(len(m.Content))
	r.contentLive += uint64(len(m.Content))
	return nil
}

// decode copies the record at off out of the mapping.
func (r *rawSubject) decode(off uint64) store.Memory {
	b := r.region[off:]
	idLen, clen := r.lengths(off)
	m := store.Memory{
		Embedding:  make([]float32, store.EmbeddingDim),
		Confidence: math.Float32frombits(binary.LittleEndian.Uint32(b[7:])),
		Activation: math.Float32frombits(binary.LittleEndian.Uint32(b[11:])),
		DecayRate:  math.Float32frombits(binary.LittleEndian.Uint32(b[15:])),
		CreatedAt:  int64(binary.LittleEndian.Uint64(b[19:])),
		LastAccess: int64(binary.LittleEndian.Uint64(b[27:])),
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&m.Embedding[0])), 4*store.EmbeddingDim), b[35:rawFixed])
	if binary.LittleEndian.Uint32(b[3:]) != rawNil {
		m.Content = append([]byte{}, b[rawFixed+idLen:rawFixed+idLen+clen]...)
	}
	return m
}

func (r *rawSubject) Get(id string) (store.Memory, bool, error) {
	off, ok := r.index[id]
	if !ok {
		return store.Memory{}, false, nil
	}
	return r.decode(off), true, nil
}

func (r *rawSubject) Remove(id string) (bool, error) {
	off, ok := r.index[id]
	if !ok {
		return false, nil
	}
	r.region[off] = 0
	_, clen := r.lengths(off)
	r.contentLive -= clen
	delete(r.index, id)
	return true, nil
}

// IterateView visits every record with its scalars and a view of its
// content (Embedding is nil: the region's embeddings are not 4-byte aligned,
// so a []float32 view of them would be an invalid pointer conversion).
func (r *rawSubject) IterateView(fn func(string, store.Memory) bool) error {
	for id, off := range r.index {
		b := r.region[off:]
		idLen, clen := r.lengths(off)
		m := store.Memory{
			Confidence: math.Float32frombits(binary.LittleEndian.Uint32(b[7:])),
			Activation: math.Float32frombits(binary.LittleEndian.Uint32(b[11:])),
			DecayRate:  math.Float32frombits(binary.LittleEndian.Uint32(b[15:])),
			CreatedAt:  int64(binary.LittleEndian.Uint64(b[19:])),
			LastAccess: int64(binary.LittleEndian.Uint64(b[27:])),
		}
		if binary.LittleEndian.Uint32(b[3:]) != rawNil {
			m.Content = b[rawFixed+idLen : rawFixed+idLen+clen : rawFixed+idLen+clen]
		}
		if !fn(id, m) {
			return nil
		}
	}
	return nil
}

func (r *rawSubject) Iterate(fn func(string, store.Memory) bool) error {
	for id, off := range r.index {
		if !fn(id, r.decode(off)) {
			return nil
		}
	}
	return nil
}

// Compact copies the live records into a fresh file and swaps it in.
func (r *rawSubject) Compact() (compaction, error) {
	start := time.Now()
	tmpPath := r.path + ".compact"
	f, err := os.OpenFile(tmpPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return compaction{}, fmt.Errorf("bench: raw compaction: %w", err)
	}
	size := uint64(rawInitBytes)
	for size < r.end {
		size *= 2
	}
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		return compaction{}, fmt.Errorf("bench: raw compaction: %w", err)
	}
	dst, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return compaction{}, fmt.Errorf("bench: raw compaction mmap: %w", err)
	}
	end := uint64(rawHeader)
	var moved uint64
	for id, off := range r.index {
		idLen, clen := r.lengths(off)
		n := rawFixed + idLen + clen
		copy(dst[end:end+n], r.region[off:off+n])
		r.index[id] = end
		end += n
		moved++
	}
	binary.LittleEndian.PutUint64(dst, end)
	reclaimed := r.contentTotal - r.contentLive
	if err := unix.Munmap(r.region); err != nil {
		return compaction{}, fmt.Errorf("bench: raw compaction munmap: %w", err)
	}
	r.f.Close()
	if err := os.Rename(tmpPath, r.path); err != nil {
		return compaction{}, fmt.Errorf("bench: raw compaction: %w", err)
	}
	r.f, r.region, r.end = f, dst, end
	r.contentTotal = r.contentLive
	return compaction{Duration: time.Since(start), BytesReclaimed: reclaimed, Moved: moved}, nil
}

func (r *rawSubject) Space() space {
	s := space{ContentBytesTotal: r.contentTotal, ContentBytesLive: r.contentLive, FileBytes: uint64(len(r.region))}
	if r.contentTotal > 0 {
		s.Fragmentation = float64(r.contentTotal-r.contentLive) / float64(r.contentTotal)
	}
	return s
}

func (r *rawSubject) Close() error {
	var err error
	if r.region != nil {
		err = unix.Munmap(r.region)
		r.region = nil
	}
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	return err
}
