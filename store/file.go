package store

import (
	"errors"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/warmcheck/warmcheck/sched"
)

const (
	// reservations are the address-space sizes tried, largest first, when a
	// file is mapped. The whole reservation is mapped once over the file
	// (MAP_NORESERVE), so growing the file never remaps and a pointer into
	// the mapping stays valid until Close.
	chunkShift        = 20 // dirty-tracking granularity: 1 MiB
	chunkSize         = 1 << chunkShift
	maxGrowStep       = 1 << 30
	maxBlocksGrowStep = 64 << 20
	maxPopulate       = 8 << 20 // see mappedFile.populate
	minGrowStep       = 1 << 20
	pageSize          = 4096
	imageSuffix       = ".disk"
	tmpFileSuffix     = ".tmp"
)

var reservations = [...]uint64{64 << 30, 16 << 30, 4 << 30, 1 << 30, 256 << 20}

// mappedFile is one data file mapped read-write and shared. Invariants:
// data is the whole reservation and never changes until close; bytes below
// size are backed by the file (fallocated), bytes above are never touched;
// a dirty bit is set after (never before) the bytes of its chunk were written.
type mappedFile struct {
	path   string
	f      *os.File
	data   []byte
	size   atomic.Uint64
	growMu sched.Mutex
	grow   func() error // failpoint hook consulted before each growth
	// maxStep caps one growth: the blocks file grows in small steps because
	// recovery scans every slot of it; content files grow in big ones.
	maxStep uint64
	// sizeRecord: keep the size record of the header page (blocks file).
	sizeRecord bool
	// populate: after a flush, map each flushed run of at most
	// maxPopulate bytes for reading (MADV_POPULATE_READ). The blocks file
	// is written with pwrite (writeAt), which leaves its pages unmapped in
	// this process: without it the first Get of each 64 KiB (fault-around)
	// after the Puts that wrote it takes a page fault on the caller's
	// thread; with it the (background) Sync pays. Longer runs (compaction
	// rewrites headers all over the file) are left alone, so that a Sync
	// never reads in pages the store does not need.
	populate bool

	dirty    []atomic.Uint64
	anyDirty atomic.Bool
	image    *os.File // the durable image, nil unless Options.DurableImage
	// imageMu, when set, is held (write) while the image copy is taken; see
	// Store.beginInPlace.
	imageMu *sched.RWMutex
	// plog, when set (Options.PersistLog), receives every write, growth,
	// sync and unlink of this file.
	plog PersistLog
	// noFlush: msync with MS_ASYNC, not MS_SYNC (Options.NoFlush).
	noFlush bool
	// disk, when set (tests), can fail growth, writes and msyncs with ENOSPC.
	disk *diskSpace
}

// createDataFile atomically creates path holding header: written to a
// temporary file, fsynced, renamed, directory fsynced. With image, the
// durable image (path+".disk") is created first, so a data file never
// exists without its image. Without flush nothing is fsynced
// (Options.NoFlush).
func createDataFile(path string, header []byte, size int64, image, flush bool, plog PersistLog) error {
	if image {
		if err := writeFileSync(path+imageSuffix, header, int64(len(header)), flush); err != nil {
			return err
		}
	}
	tmp := path + tmpFileSuffix
	if err := writeFileSync(tmp, header, size, flush); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	if flush {
		if err := syncDir(filepath.Dir(path)); err != nil {
			return err
		}
	}
	if plog != nil {
		plog.Persist(PersistEvent{Op: PersistCreate, File: filepath.Base(path), Size: uint64(size), Data: append([]byte(nil), header...)})
	}
	return nil
}

func writeFileSync(path string, b []byte, size int64, flush bool) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	_, err = f.Write(b)
	if err == nil && size > int64(len(b)) {
		err = f.Truncate(size)
	}
	if err == nil && flush {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: write %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: sync dir %s: %w", dir, err)
	}
	return nil
}

// openMapped opens path, validates its header and maps it.
// A non-zero reservation replaces the default address reservations (tests).
func openMapped(path string, wantKind uint32, image bool, grow func() error, plog PersistLog, reservation uint64) (*mappedFile, fileHeader, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fileHeader{}, fmt.Errorf("store: open %s: %w", path, err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, fileHeader{}, fmt.Errorf("store: stat %s: %w", path, err)
	}
	hb := make([]byte, fileHeaderSize)
	n, _ := f.ReadAt(hb, 0)
	hdr, err := decodeFileHeader(path, hb[:n], wantKind)
	if err != nil {
		return nil, fileHeader{}, err
	}
	size := uint64(st.Size())
	if wantKind == fileKindBlocks {
		if size < fileHeaderSize+chunkSize || (size-fileHeaderSize)%chunkSize != 0 {
			return nil, fileHeader{}, fmt.Errorf("%s: size %d is not the header plus whole %d-byte chunks (truncated?): %w", path, size, chunkSize, ErrCorrupt)
		}
		grown, ok := sizeRecord(hb[:n])
		if !ok {
			return nil, fileHeader{}, fmt.Errorf("%s: offset %d: size record checksum mismatch: %w", path, sizeRecordOff, ErrCorrupt)
		}
		if grown > size {
			return nil, fileHeader{}, fmt.Errorf("%s: size %d but the file had grown to %d (truncated): %w", path, size, grown, ErrCorrupt)
		}
	}
	var data []byte
	tries := reservations[:]
	if reservation != 0 {
		tries = []uint64{reservation}
	}
	for _, r := range tries {
		if r < size {
			break
		}
		data, err = unix.Mmap(int(f.Fd()), 0, int(r), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_NORESERVE)
		if err == nil {
			break
		}
	}
	if data == nil {
		return nil, fileHeader{}, fmt.Errorf("store: map %s (%d bytes): cannot reserve address space: %v", path, size, err)
	}
	mf := &mappedFile{path: path, f: f, data: data, grow: grow, maxStep: maxGrowStep, plog: plog}
	if wantKind == fileKindBlocks {
		mf.maxStep, mf.sizeRecord, mf.populate = maxBlocksGrowStep, true, true
	}
	mf.size.Store(size)
	mf.dirty = make([]atomic.Uint64, (uint64(len(data))>>chunkShift+63)/64)
	if image {
		img, err := os.OpenFile(path+imageSuffix, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			unix.Munmap(data)
			return nil, fileHeader{}, fmt.Errorf("store: open durable image %s: %w", path+imageSuffix, err)
		}
		mf.image = img
	}
	ok = true
	return mf, hdr, nil
}

// ensure makes bytes [0, end) of the file usable, growing it if needed. On
// failure the file is unchanged and the error wraps ErrGrowFailed.
func (m *mappedFile) ensure(end uint64) error {
	if end <= m.size.Load() {
		return nil
	}
	return m.growTo(end)
}

func (m *mappedFile) growTo(end uint64) error {
	m.growMu.Lock()
	defer m.growMu.Unlock()
	cur := m.size.Load()
	if end <= cur {
		return nil
	}
	if end > uint64(len(m.data)) {
		return fmt.Errorf("%w: %s: %d bytes needed, address reservation is %d bytes", ErrGrowFailed, m.path, end, len(m.data))
	}
	step := min(max(cur, minGrowStep), m.maxStep)
	// Sizes stay fileHeaderSize plus whole chunks, so that recovery can
	// tell a truncated blocks file from a grown one.
	n := fileHeaderSize + (max(cur+step, end)-fileHeaderSize+chunkSize-1)&^uint64(chunkSize-1)
	if n > uint64(len(m.data)) {
		n = m.limit()
		if n < end {
			return fmt.Errorf("%w: %s: %d bytes needed, address reservation is %d bytes", ErrGrowFailed, m.path, end, len(m.data))
		}
	}
	if m.grow != nil {
		if err := m.grow(); err != nil {
			return fmt.Errorf("%w: %s: grow to %d bytes: %w", ErrGrowFailed, m.path, n, err)
		}
	}
	err := m.disk.check(diskAllocate, "fallocate")
	if err == nil {
		err = unix.Fallocate(int(m.f.Fd()), 0, int64(cur), int64(n-cur))
	}
	if errors.Is(err, syscall.EOPNOTSUPP) {
		err = m.f.Truncate(int64(n))
	}
	if err != nil {
		// Fallocate may have extended the file partially: cut it back.
		m.f.Truncate(int64(cur))
		return fmt.Errorf("%w: %s: grow to %d bytes: %w", ErrGrowFailed, m.path, n, err)
	}
	if m.plog != nil {
		m.plog.Persist(PersistEvent{Op: PersistGrow, File: filepath.Base(m.path), Size: n})
	}
	if m.sizeRecord {
		putSizeRecord(m.data[:pageSize], n)
		if m.plog != nil {
			m.logWrite(sizeRecordOff, 12)
		}
		if err := m.syncRange(0, pageSize); err != nil {
			// The file is larger than size says: harmless, the next growth
			// rewrites the record.
			return fmt.Errorf("%w: %s: record size %d: %w", ErrGrowFailed, m.path, n, err)
		}
	}
	m.size.Store(n)
	return nil
}

// limit is the largest size the file can grow to: its address reservation,
// cut to the header plus whole chunks.
func (m *mappedFile) limit() uint64 {
	return fileHeaderSize + (uint64(len(m.data))-fileHeaderSize)&^uint64(chunkSize-1)
}

// markDirty records that bytes [off, off+n) were written. Call it after the
// write: a Sync that clears the bit first then covers the write.
func (m *mappedFile) markDirty(off, n uint64) {
	if n == 0 {
		return
	}
	for c := off >> chunkShift; c <= (off+n-1)>>chunkShift; c++ {
		w, bit := &m.dirty[c/64], uint64(1)<<(c%64)
		if w.Load()&bit == 0 {
			w.Or(bit)
		}
	}
	if !m.anyDirty.Load() {
		m.anyDirty.Store(true)
	}
	if m.plog != nil {
		m.logWrite(off, n)
	}
}

// flush msyncs every chunk marked dirty before the call and, with a durable
// image, copies those chunks into it. On failure the chunks stay dirty.
func (m *mappedFile) flush() error {
	if !m.anyDirty.Load() {
		return nil
	}
	m.anyDirty.Store(false)
	size := m.size.Load()
	for wi := range m.dirty {
		w := m.dirty[wi].Swap(0)
		for w != 0 {
			b := bits.TrailingZeros64(w)
			// Coalesce the run of set bits starting at b.
			run := bits.TrailingZeros64(^(w >> b))
			var mask uint64
			if run == 64 {
				mask = ^uint64(0)
			} else {
				mask = ((uint64(1) << run) - 1) << b
			}
			w &^= mask
			start := (uint64(wi)*64 + uint64(b)) << chunkShift
			end := min(start+uint64(run)<<chunkShift, size)
			if start >= end {
				continue
			}
			if err := m.syncRange(start, end); err != nil {
				m.dirty[wi].Or(mask | w)
				m.anyDirty.Store(true)
				return err
			}
			if m.populate && end-start <= maxPopulate {
				// Best effort: an error (EINVAL before Linux 5.14) only
				// leaves the pages to be mapped by the first read.
				_ = unix.Madvise(m.data[start:end], unix.MADV_POPULATE_READ)
			}
		}
	}
	return nil
}

// writeAt writes b at offset off through the file descriptor (pwrite), not
// through the mapping, and marks it dirty. The page cache is shared, so the
// mapping sees the bytes as soon as it returns, and Sync's msync (on Linux an
// fdatasync of the mapped range) flushes them like bytes stored through the
// map. Put writes its record this way: a store through the mapping into a
// page not written yet, or written back since (every group commit writes
// back the pages it covers), takes a write fault and ext4's page_mkwrite,
// which cost more than the copy a pwrite makes (Put thread CPU 18-21 us per
// 100K-fill put with group commit before, 10 us after; measured). Bytes
// [off, off+len(b)) must lie below size. On failure the range may be partly
// written.
func (m *mappedFile) writeAt(b []byte, off uint64) error {
	if err := m.pwrite(b, off); err != nil {
		return err
	}
	m.markDirty(off, uint64(len(b)))
	return nil
}

// pwrite writes b at off through the file descriptor, without marking it
// dirty (the caller does).
func (m *mappedFile) pwrite(b []byte, off uint64) error {
	err := m.disk.check(diskWrite, "pwrite")
	if err == nil {
		_, err = m.f.WriteAt(b, int64(off))
	}
	if err != nil {
		return fmt.Errorf("store: write %s [%d,%d): %w", m.path, off, off+uint64(len(b)), err)
	}
	return nil
}

// startWriteback asks the kernel to start writing bytes [start, end) to
// disk without waiting (sync_file_range WRITE), so that a later syncRange
// finds them written or in flight. Best effort: nothing relies on it for
// durability, and it is skipped under noFlush.
func (m *mappedFile) startWriteback(start, end uint64) {
	if m.noFlush || end <= start {
		return
	}
	_ = unix.SyncFileRange(int(m.f.Fd()), int64(start), int64(end-start), unix.SYNC_FILE_RANGE_WRITE)
}

func (m *mappedFile) syncRange(start, end uint64) error {
	flags := unix.MS_SYNC
	if m.noFlush {
		flags = unix.MS_ASYNC
	}
	err := m.disk.check(diskFlush, "msync")
	if err == nil {
		err = unix.Msync(m.data[start:end], flags)
	}
	if err != nil {
		return fmt.Errorf("store: msync %s [%d,%d): %w", m.path, start, end, err)
	}
	if m.plog != nil {
		m.logSync(start, end)
	}
	if m.image != nil {
		if m.imageMu != nil {
			m.imageMu.Lock()
			defer m.imageMu.Unlock()
		}
		if _, err := m.image.WriteAt(m.data[start:end], int64(start)); err != nil {
			return fmt.Errorf("store: write durable image %s: %w", m.image.Name(), err)
		}
	}
	return nil
}

// syncAll msyncs bytes [0, end) regardless of dirty bits (recovery).
func (m *mappedFile) syncAll(end uint64) error {
	end = min(end, m.size.Load())
	for i := range m.dirty {
		m.dirty[i].Store(0)
	}
	m.anyDirty.Store(false)
	if end == 0 {
		return nil
	}
	return m.syncRange(0, end)
}

// close unmaps and closes without syncing.
func (m *mappedFile) close() error {
	var err error
	if m.data != nil {
		err = unix.Munmap(m.data)
		m.data = nil
	}
	if cerr := m.f.Close(); err == nil {
		err = cerr
	}
	if m.image != nil {
		if cerr := m.image.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// remove closes m and deletes the file and its durable image.
func (m *mappedFile) remove() error {
	err := m.close()
	rerr := os.Remove(m.path)
	if err == nil && rerr != nil {
		err = rerr
	}
	if rerr == nil && m.plog != nil {
		m.plog.Persist(PersistEvent{Op: PersistUnlink, File: filepath.Base(m.path)})
	}
	os.Remove(m.path + imageSuffix)
	return err
}

// removeFiles deletes path and its durable image, keeping any mapping.
func removeFiles(path string) error {
	os.Remove(path + imageSuffix)
	return os.Remove(path)
}
