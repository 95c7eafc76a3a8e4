package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/sched"
)

// Store is an open warm-tier store. All methods are safe for concurrent use.
type Store struct {
	dir  string
	opts Options
	log  hclog.Logger
	bugs bugSet
	fps  *Failpoints
	sch  *sched.Scheduler // nil: free run (schedule.go)

	// closeMu is held (read) by every operation while it touches the
	// mappings and (write) by Close while it unmaps them.
	closeMu sched.RWMutex
	closed  bool

	blocks  *mappedFile
	epochs  atomic.Pointer[epochSet]
	retired []*contentFile // only under compaction-lost-store: unlinked but still mapped
	idx     *index
	meta    metaTable // scan copy of every published header (slotmeta.go)
	alloc   allocator
	pending pendingFree
	seq     atomic.Uint64
	// slotBufs holds the *[slotSize]byte buffers in which Put assembles a
	// record before writing it (writeBlock).
	slotBufs sync.Pool

	live      atomic.Int64
	liveBytes atomic.Int64

	syncMu         sched.Mutex   // serialises Sync and the retiring of content files
	imageMu        sched.RWMutex // durable image copy of blocks (write) vs in-place header rewrites (read)
	compacting     atomic.Bool
	compactions    atomic.Uint64
	bytesReclaimed atomic.Uint64
	tornDiscarded  uint64
	auto           autoCompactor   // background compaction and fragmentation alert (autocompact.go)
	counters       opCounters      // Metrics (metrics.go)
	guard          *placementGuard // nil unless Options.CheckPlacements (placementcheck.go)

	stopOnce sync.Once
	stop     chan struct{}
	stopped  chan struct{}
}

// Options configure Open. The zero value is valid: group commit every
// DefaultGroupCommit, no seeded bug, no failpoints armed.
type Options struct {
	// GroupCommit is the longest an acknowledged write waits before a
	// background Sync covers it. Zero means DefaultGroupCommit; a negative
	// value disables background syncing (only explicit Sync calls persist).
	GroupCommit time.Duration
	// SyncEveryOp makes every mutating call Sync before it returns.
	SyncEveryOp bool
	// Bugs switches on seeded bugs from the catalogue (see Bugs()).
	Bugs []Bug
	// Failpoints, when non-nil, is consulted at every named failpoint.
	Failpoints *Failpoints
	// DurableImage keeps, beside each data file, a ".disk" copy of exactly
	// what successful Syncs made durable, so that a power-loss nemesis can
	// rebuild what a disk would hold after a power cut. Use one setting per
	// store directory: a store reopened without it and later with it again
	// keeps an image that may hold stale bytes past what recovery rewrote.
	DurableImage bool
	// NoFlush skips the flush to disk: Sync still walks the dirty chunks,
	// copies the durable image and calls msync, but with MS_ASYNC (on Linux
	// a no-op past checking the range), and new files are not fsynced.
	// Every read goes through the page cache, so nothing the process can see
	// changes; only what a machine crash would leave does. For in-process
	// runs that simulate no crash (a controlled schedule); a run with kills
	// or power loss needs the flush and runs the store in a child process.
	NoFlush bool
	// Scheduler, when non-nil, controls the interleaving of the store's
	// calls while it runs (schedule.go); group commit becomes one of its
	// daemon tasks, so the store must be opened before the scheduler runs.
	Scheduler *sched.Scheduler
	// PersistLog, when non-nil, receives every persistence operation (each
	// write, growth, msync and file create/unlink) in order; nil costs one
	// nil check per write and sync.
	PersistLog PersistLog
	// Logger receives recovery and compaction notes; nil discards them.
	Logger hclog.Logger

	test testHooks // diskspace.go; set by tests only
	// AutoCompact starts compactions in the background when fragmentation
	// crosses a threshold, and sets the threshold of the fragmentation
	// warning (autocompact.go). Off by default; not allowed with Scheduler
	// (a controlled run has no free goroutine to run it).
	AutoCompact AutoCompact
	// CheckPlacements is the online invariant check: a Put whose slot or
	// content range collides with another's is refused with
	// ErrPlacementCollision, counted (Metrics) and logged
	// (placementcheck.go). Off by default.
	CheckPlacements bool
}

// DefaultGroupCommit is the default group-commit interval.
const DefaultGroupCommit = 5 * time.Millisecond

const blocksFileName = "blocks.dat"

// Open creates the store in dir, or reopens and recovers the one there.
func Open(dir string, opts Options) (*Store, error) {
	bugs, err := parseBugs(opts.Bugs)
	if err != nil {
		return nil, err
	}
	if err := opts.AutoCompact.validate(); err != nil {
		return nil, err
	}
	if opts.AutoCompact.Enabled && opts.Scheduler != nil {
		return nil, fmt.Errorf("%w: AutoCompact with a Scheduler: a controlled run cannot start background work", ErrBadOptions)
	}
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		return nil, fmt.Errorf("store: big-endian hosts are not supported")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: create %s: %w", dir, err)
	}
	s := &Store{dir: dir, opts: opts, log: opts.Logger, bugs: bugs, fps: opts.Failpoints, idx: newIndex()}
	s.auto.cfg = opts.AutoCompact
	s.slotBufs.New = func() any { return new([slotSize]byte) }
	if s.log == nil {
		s.log = hclog.NewNullLogger()
	}
	ok := false
	defer func() {
		if !ok {
			s.closeFiles()
		}
	}()
	if err := s.openFiles(); err != nil {
		return nil, err
	}
	if opts.Scheduler != nil {
		s.bindScheduler(opts.Scheduler)
	}
	if err := s.clearCleanClose(); err != nil {
		return nil, err
	}
	if err := s.recover(); err != nil {
		return nil, err
	}
	if t := opts.test.contentTail; t != 0 {
		s.epochs.Load().current().tail.Store(t)
	}
	if opts.CheckPlacements {
		s.guard = newPlacementGuard()
		s.guard.seed(s)
		s.alloc.onRelease = s.guard.releaseSlots
	}
	interval := opts.GroupCommit
	if interval == 0 {
		interval = DefaultGroupCommit
	}
	if interval > 0 {
		if err := s.startGroupCommit(interval); err != nil {
			return nil, err
		}
	}
	ok = true
	return s, nil
}

// openFiles opens (creating if absent) the blocks file and every content file.
func (s *Store) openFiles() error {
	bp := filepath.Join(s.dir, blocksFileName)
	if _, err := os.Stat(bp); os.IsNotExist(err) {
		hdr := encodeFileHeader(fileHeader{kind: fileKindBlocks, slotSize: slotSize, createdAt: time.Now().UnixNano()})
		putSizeRecord(hdr, fileHeaderSize+chunkSize)
		if err := s.createFile(bp, hdr, fileHeaderSize+chunkSize); err != nil {
			return err
		}
	}
	mf, hdr, err := s.mapFile(bp, fileKindBlocks)
	if err != nil {
		return err
	}
	s.blocks = mf
	mf.imageMu = &s.imageMu
	if hdr.version == formatVersion1 {
		if err := migrateV1(mf, hdr); err != nil {
			return err
		}
	}

	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("store: read dir %s: %w", s.dir, err)
	}
	var epochs []uint64
	for _, e := range entries {
		if ep, ok := parseContentFileName(e.Name()); ok {
			epochs = append(epochs, ep)
		}
	}
	slices.Sort(epochs)
	if len(epochs) == 0 {
		if err := s.createContentFile(0); err != nil {
			return err
		}
		epochs = append(epochs, 0)
	}
	es := &epochSet{}
	s.epochs.Store(es)
	for _, ep := range epochs {
		path := contentFileName(s.dir, ep)
		mf, hdr, err := s.mapFile(path, fileKindContent)
		if err != nil {
			return err
		}
		cf := &contentFile{mf: mf, epoch: ep}
		cf.tail.Store(fileHeaderSize)
		es.files = append(es.files, cf)
		if hdr.epoch != ep {
			return fmt.Errorf("%s: offset 24: epoch %d does not match the file name: %w", path, hdr.epoch, ErrCorrupt)
		}
	}
	return nil
}

func (s *Store) createContentFile(epoch uint64) error {
	hdr := encodeFileHeader(fileHeader{kind: fileKindContent, epoch: epoch, createdAt: time.Now().UnixNano()})
	return s.createFile(contentFileName(s.dir, epoch), hdr, fileHeaderSize)
}

// createFile creates data file path with the store's settings.
func (s *Store) createFile(path string, hdr []byte, size int64) error {
	if err := s.opts.test.disk.check(diskAllocate, "store: create "+path); err != nil {
		return err
	}
	return createDataFile(path, hdr, size, s.opts.DurableImage, !s.opts.NoFlush, s.opts.PersistLog)
}

// mapFile opens and maps data file path with the store's settings.
func (s *Store) mapFile(path string, kind uint32) (*mappedFile, fileHeader, error) {
	mf, hdr, err := openMapped(path, kind, s.opts.DurableImage, func() error { return s.fp(fpGrow) }, s.opts.PersistLog, s.opts.test.reservation)
	if err != nil {
		return nil, fileHeader{}, err
	}
	mf.noFlush = s.opts.NoFlush
	mf.disk = s.opts.test.disk
	return mf, hdr, nil
}

// closeFiles unmaps and closes every file without syncing.
func (s *Store) closeFiles() error {
	var err error
	keep := func(e error) {
		if err == nil && e != nil {
			err = e
		}
	}
	if s.blocks != nil {
		keep(s.blocks.close())
	}
	if es := s.epochs.Load(); es != nil {
		for _, cf := range es.files {
			keep(cf.mf.close())
		}
	}
	for _, cf := range s.retired {
		keep(cf.mf.close())
	}
	return err
}

// Close syncs and closes the store. It waits for operations in flight,
// including ones paused at a failpoint (release them first). Later calls
// return ErrClosed; a second Close returns nil.
func (s *Store) Close() error {
	s.stopGroupCommit()
	defer s.waitBackground()
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	err := s.sync()
	if err == nil {
		err = s.markCleanClose()
	}
	s.closed = true
	if cerr := s.closeFiles(); err == nil {
		err = cerr
	}
	return err
}

// markCleanClose writes and msyncs the clean-close record (format.go).
// Caller holds closeMu (write) after a successful final Sync: nothing can
// write after it.
func (s *Store) markCleanClose() error {
	c := cleanClose{
		seq:       s.seq.Load(),
		live:      uint64(s.live.Load()),
		liveBytes: uint64(s.liveBytes.Load()),
		epoch:     s.epochs.Load().current().epoch,
	}
	return s.writeHeaderPage(func(page []byte) { putCleanRecord(page, c) })
}

// clearCleanClose removes a clean-close record, durably, before Open
// writes anything: a record left behind would vouch for writes made after it.
func (s *Store) clearCleanClose() error {
	if _, ok := cleanRecord(s.blocks.data[:pageSize]); !ok {
		return nil
	}
	return s.writeHeaderPage(clearCleanRecord)
}

func (s *Store) writeHeaderPage(write func(page []byte)) error {
	write(s.blocks.data[:pageSize])
	if s.blocks.plog != nil {
		s.blocks.logWrite(cleanRecordOff, cleanRecordLen)
	}
	if err := s.blocks.syncRange(0, pageSize); err != nil {
		return fmt.Errorf("store: clean-close record: %w", err)
	}
	return nil
}

// abandon closes the store the way a SIGKILL would: nothing more is synced.
func (s *Store) abandon() {
	s.stopGroupCommit()
	defer s.waitBackground()
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if !s.closed {
		s.closed = true
		s.closeFiles()
	}
}

func (s *Store) slotBytes(slot uint64) []byte {
	off := fileHeaderSize + slot*slotSize
	return s.blocks.data[off : off+slotSize : off+slotSize]
}

func slotOffset(slot uint64) uint64 { return fileHeaderSize + slot*slotSize }

func checkID(id string) error {
	if len(id) == 0 || len(id) > MaxIDLen {
		return fmt.Errorf("%w: length %d, want 1..%d", ErrBadID, len(id), MaxIDLen)
	}
	return nil
}

// begin takes the close lock for one operation.
func (s *Store) begin() error {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (s *Store) end() { s.closeMu.RUnlock() }

// putState tracks how far a Put got, so that its deferred cleanup can undo
// exactly that much when it fails or panics.
type putState struct {
	slot      uint64
	allocated bool
	written   bool
	published bool
}

// Put stores or replaces the memory id. It returns where the record and its
// content landed (for nil content: the slot only; Offset, Length and Epoch
// are zero). The slot and content range belong to this memory until it is
// replaced or removed; a replaced or removed slot is reused only after a Sync.
//
// Errors: ErrBadID, ErrBadEmbedding, ErrTooLarge, ErrClosed, ErrGrowFailed
// and ErrInjected mean the Put did not happen, and cannot reappear after a
// crash (a record already written is durably marked free before the error
// is returned). ErrNotSynced (SyncEveryOp only) means it happened but its
// Sync failed. ErrGrowFailed wraps the cause: ENOSPC (a full disk: the Put
// works again once space returns), or the end of a file's address
// reservation (blocks: no more slots; content: Compact starts a new file).
//
// Linearization: a Put takes effect when it publishes its slot in the index
// under the shard write lock. Concurrent Puts of one id are ordered by their
// sequence numbers, as recovery orders them: a Put that finds a higher
// sequence already published loses, is linearized just before the winner,
// and its slot is freed at the next Sync.
func (s *Store) Put(id string, m Memory) (Placement, error) {
	if err := checkID(id); err != nil {
		return Placement{}, err
	}
	if len(m.Embedding) != 0 && len(m.Embedding) != EmbeddingDim {
		return Placement{}, fmt.Errorf("%w: got %d values", ErrBadEmbedding, len(m.Embedding))
	}
	if uint64(len(m.Content)) > MaxContentLen {
		return Placement{}, fmt.Errorf("%w: content of %d bytes, max %d", ErrTooLarge, len(m.Content), uint64(MaxContentLen))
	}
	if err := s.begin(); err != nil {
		return Placement{}, err
	}
	defer s.end()
	pl, err := s.put(id, &m)
	if err == nil {
		s.noteFragmentation(true)
		if s.opts.SyncEveryOp {
			err = s.syncAfterOp()
		}
	}
	return pl, err
}

// syncAfterOp is the Sync of SyncEveryOp; its failure does not undo the
// operation, so it is reported as ErrNotSynced.
func (s *Store) syncAfterOp() error {
	if err := s.sync(); err != nil {
		return fmt.Errorf("%w: %w", ErrNotSynced, err)
	}
	return nil
}

func (s *Store) put(id string, m *Memory) (Placement, error) {
	cf := s.acquireEpoch()
	defer cf.inflight.Add(-1)
	clen := int64(len(m.Content))
	if s.bugs.countOnFailedStore {
		// Seeded bug: counted before the Put can fail, never uncounted.
		s.live.Add(1)
		s.liveBytes.Add(clen)
	}
	var st putState
	defer s.abortPut(&st)

	slot, err := s.allocSlot()
	if err != nil {
		return Placement{}, err
	}
	st.slot, st.allocated = slot, true
	if err := s.fp(fpAfterSlotAlloc); err != nil {
		return Placement{}, err
	}

	pl := Placement{Slot: slot}
	h := recordHeader{
		confidence: m.Confidence,
		activation: m.Activation,
		decayRate:  m.DecayRate,
		createdAt:  m.CreatedAt,
		lastAccess: m.LastAccess,
	}
	if h.createdAt == 0 || h.lastAccess == 0 {
		now := time.Now().UnixNano()
		if h.createdAt == 0 {
			h.createdAt = now
		}
		if h.lastAccess == 0 {
			h.lastAccess = now
		}
	}
	if m.Content != nil {
		off, err := s.appendContent(cf, m.Content)
		if err != nil {
			return Placement{}, err
		}
		h.flags |= flagHasContent
		h.contentOff, h.contentEpoch, h.contentLen = off, cf.epoch, uint32(clen)
		h.contentCRC = crc(m.Content)
		pl.Offset, pl.Length, pl.Epoch, pl.HasContent = off, uint32(clen), cf.epoch, true
	}
	h.seq = s.seq.Add(1)

	if s.bugs.indexBeforeBlock {
		// Seeded bug: the index points at the slot before its block exists.
		if err := s.publish(id, slot, h.seq, h.contentLen, &st); err != nil {
			return Placement{}, err
		}
		s.yield("index-before-block window")
	}
	if err := s.fp(fpBetweenContentAndBlock); err != nil {
		return Placement{}, err
	}
	// A failed write may have left part of the record on disk: abortPut
	// then frees the slot durably, as it frees a written one.
	st.written = true
	if err := s.writeBlock(slot, id, &h, m.Embedding); err != nil {
		return Placement{}, err
	}
	if s.bugs.slotRace {
		s.alloc.nextSlot.Add(1)
	}
	if !s.bugs.indexBeforeBlock {
		if err := s.publish(id, slot, h.seq, h.contentLen, &st); err != nil {
			return Placement{}, err
		}
	}
	return pl, nil
}

// allocSlot returns a slot that is free on disk and inside the blocks file.
func (s *Store) allocSlot() (uint64, error) {
	var slot uint64
	if s.bugs.slotRace {
		// Seeded bug: read the counter now, increment it after the block
		// is written (see put), so concurrent Puts share a slot.
		slot = s.alloc.nextSlot.Load()
		s.yield("slot-race window")
	} else {
		slot, _ = s.alloc.alloc()
	}
	if slot >= maxSlots {
		return 0, fmt.Errorf("%w: slot %d beyond the %d-slot limit", ErrGrowFailed, slot, uint64(maxSlots))
	}
	if err := s.blocks.ensure(slotOffset(slot + 1)); err != nil {
		if !s.bugs.slotRace {
			s.alloc.release(uint32(slot))
		}
		return 0, err
	}
	if err := s.guardSlot(slot); err != nil {
		return 0, err // the slot is another Put's: not released
	}
	return slot, nil
}

// writeBlock writes the whole record into slot: assembled and checksummed in
// a buffer, then written with one pwrite (mappedFile.writeAt), which marks it
// dirty.
func (s *Store) writeBlock(slot uint64, id string, h *recordHeader, emb []float32) error {
	bp := s.slotBufs.Get().(*[slotSize]byte)
	defer s.slotBufs.Put(bp)
	b := bp[:]
	eb := b[sectorSize : sectorSize+embeddingBytes]
	if len(emb) == 0 {
		clear(eb)
	} else {
		copy(eb, embeddingBytesOf(emb))
	}
	h.embeddingCRC = crc(eb)
	encodeHeader(b, h, id)
	sealHeader(b)
	setState(b, stateLive)
	s.point("put: write block")
	if err := s.blocks.writeAt(b, slotOffset(slot)); err != nil {
		return err
	}
	s.meta.set(slot, h)
	return nil
}

// publish makes slot the current record of id, unless a record with a higher
// sequence number is already published (then this Put loses, see Put).
func (s *Store) publish(id string, slot, seq uint64, clen uint32, st *putState) error {
	sh := s.idx.shardOf(id)
	sh.mu.Lock()
	if s.bugs.panicHoldsLock {
		// Seeded bug: no deferred unlock; a panic below leaves it held.
		err := s.publishLocked(sh, id, slot, seq, clen, st)
		sh.mu.Unlock()
		return err
	}
	defer sh.mu.Unlock()
	return s.publishLocked(sh, id, slot, seq, clen, st)
}

func (s *Store) publishLocked(sh *shard, id string, slot, seq uint64, clen uint32, st *putState) error {
	if err := s.fp(fpBeforeIndexPublish); err != nil {
		return err
	}
	old, ok := sh.m[id]
	if ok {
		ob := s.slotBytes(uint64(old))
		if le.Uint64(ob[rhSeq:]) > seq {
			// Lost to a concurrent Put of the same id: linearized just
			// before it; our record is superseded.
			st.published = true
			if s.bugs.countOnFailedStore {
				s.live.Add(-1)
				s.liveBytes.Add(-int64(clen))
			}
			s.pending.addSuperseded(uint32(slot))
			return nil
		}
		olen := int64(0)
		if le.Uint32(ob[rhFlags:])&flagHasContent != 0 {
			olen = int64(le.Uint32(ob[rhContentLen:]))
		}
		sh.m[id] = uint32(slot)
		sh.version++
		st.published = true
		if s.bugs.countOnFailedStore {
			s.live.Add(-1)
			s.liveBytes.Add(-olen)
		} else {
			s.liveBytes.Add(int64(clen) - olen)
		}
		s.pending.addSuperseded(old)
		return nil
	}
	sh.m[id] = uint32(slot)
	sh.version++
	st.published = true
	if !s.bugs.countOnFailedStore {
		s.live.Add(1)
		s.liveBytes.Add(int64(clen))
	}
	return nil
}

// abortPut undoes a Put that failed or panicked before publishing.
func (s *Store) abortPut(st *putState) {
	if st.published || !st.allocated || s.bugs.slotRace {
		return
	}
	if st.written {
		// The record is live on disk: mark it free, durably, so that a failed
		// Put can never reappear after a crash. If that msync fails, the slot
		// waits for the next Sync like a removed one.
		b := s.slotBytes(st.slot)
		setState(b, stateFree)
		off := slotOffset(st.slot)
		page := off &^ (pageSize - 1)
		if err := s.blocks.syncRange(page, page+pageSize); err != nil {
			s.blocks.markDirty(off, sectorSize)
			s.pending.addRemoved(uint32(st.slot))
			return
		}
		s.alloc.release(uint32(st.slot))
		return
	}
	s.alloc.release(uint32(st.slot))
}

// Get returns the memory id, or Missing.
func (s *Store) Get(id string) (Memory, Lookup, error) {
	var m Memory
	l, err := s.get(id, &m)
	if l != Found || err != nil {
		return Memory{}, Missing, err
	}
	return m, Found, nil
}

// GetInto is Get without allocation, for a caller that reads many memories
// one after another: it overwrites *m with memory id, reusing the capacity
// of m.Embedding and m.Content (allocating only when one is too small). A
// memory without content sets m.Content to nil (nil and empty content stay
// distinct, so that buffer is dropped). On Missing or an error *m is left
// as it was. The caller must not be using m's slices elsewhere: they are
// overwritten.
func (s *Store) GetInto(id string, m *Memory) (Lookup, error) {
	return s.get(id, m)
}

func (s *Store) get(id string, m *Memory) (Lookup, error) {
	if err := checkID(id); err != nil {
		return Missing, err
	}
	if err := s.begin(); err != nil {
		return Missing, err
	}
	defer s.end()
	sh := s.idx.shardOf(id)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	slot, ok := sh.m[id]
	if !ok {
		return Missing, nil
	}
	if err := s.fp(fpGet); err != nil {
		return Missing, err
	}
	s.point("get: read record")
	b := s.slotBytes(uint64(slot))
	h := s.record(uint64(slot))
	var c []byte
	if h.hasContent() {
		var err error
		if c, err = contentBytes(s.epochs.Load(), &h); err != nil {
			return Missing, fmt.Errorf("store: get %q (slot %d): %w", id, slot, err)
		}
	}
	emb, cont := m.Embedding, m.Content
	*m = memoryOf(&h)
	// append copies without zeroing the destination first (make would).
	m.Embedding = append(emb[:0], embeddingView(b)...)
	switch {
	case !h.hasContent():
		m.Content = nil
	case len(c) == 0 && cont == nil:
		m.Content = []byte{} // empty, not nil: the memory has content
	default:
		m.Content = append(cont[:0], c...)
	}
	return Found, nil
}

// record returns the header of published slot with its current content
// reference (slotmeta.go). Caller holds the slot's shard lock.
func (s *Store) record(slot uint64) recordHeader {
	h := decodeHeader(s.slotBytes(slot))
	h.contentOff, h.contentEpoch = s.meta.contentRef(slot)
	return h
}

func memoryOf(h *recordHeader) Memory {
	return Memory{
		Confidence: h.confidence,
		Activation: h.activation,
		DecayRate:  h.decayRate,
		CreatedAt:  h.createdAt,
		LastAccess: h.lastAccess,
	}
}

// Remove deletes the memory id and reports whether it existed. Its slot is
// marked free in place and becomes reusable after the next Sync.
func (s *Store) Remove(id string) (Lookup, error) {
	if err := checkID(id); err != nil {
		return Missing, err
	}
	if err := s.begin(); err != nil {
		return Missing, err
	}
	defer s.end()
	l, err := s.remove(id)
	if err == nil && l == Found {
		s.noteFragmentation(true)
		if s.opts.SyncEveryOp {
			err = s.syncAfterOp()
		}
	}
	return l, err
}

func (s *Store) remove(id string) (Lookup, error) {
	sh := s.idx.shardOf(id)
	sh.mu.Lock()
	if s.bugs.panicHoldsLock {
		l, err := s.removeLocked(sh, id)
		sh.mu.Unlock()
		return l, err
	}
	defer sh.mu.Unlock()
	return s.removeLocked(sh, id)
}

func (s *Store) removeLocked(sh *shard, id string) (Lookup, error) {
	slot, ok := sh.m[id]
	if !ok {
		return Missing, nil
	}
	if err := s.fp(fpRemove); err != nil {
		return Missing, err
	}
	b := s.slotBytes(uint64(slot))
	h := decodeHeader(b)
	delete(sh.m, id)
	sh.version++
	setState(b, stateFree)
	s.blocks.markDirty(slotOffset(uint64(slot)), sectorSize)
	s.live.Add(-1)
	if h.hasContent() {
		s.liveBytes.Add(-int64(h.contentLen))
	}
	s.pending.addRemoved(slot)
	return Found, nil
}

// UpdateActivation sets the activation (and last access time) of id in place
// and reports whether it was found.
func (s *Store) UpdateActivation(id string, v float32) (Lookup, error) {
	if err := checkID(id); err != nil {
		return Missing, err
	}
	if err := s.begin(); err != nil {
		return Missing, err
	}
	defer s.end()
	var l Lookup
	var err error
	if s.bugs.unlockedActivation {
		l, err = s.updateActivationUnlocked(id, v)
	} else {
		l, err = s.updateActivation(id, v)
	}
	if err == nil && l == Found && s.opts.SyncEveryOp {
		err = s.syncAfterOp()
	}
	return l, err
}

func (s *Store) updateActivation(id string, v float32) (Lookup, error) {
	sh := s.idx.shardOf(id)
	sh.mu.Lock()
	if s.bugs.panicHoldsLock {
		l, err := s.updateActivationLocked(sh, id, v)
		sh.mu.Unlock()
		return l, err
	}
	defer sh.mu.Unlock()
	return s.updateActivationLocked(sh, id, v)
}

func (s *Store) updateActivationLocked(sh *shard, id string, v float32) (Lookup, error) {
	slot, ok := sh.m[id]
	if !ok {
		return Missing, nil
	}
	if err := s.fp(fpUpdateActivation); err != nil {
		return Missing, err
	}
	// The new header sector is built aside and written with one pwrite:
	// stores through the mapping would leave the header half new in the
	// page cache if the process died between them (a kill, not a power
	// cut), and recovery would then discard a synced memory for its bad
	// checksum. A pwrite of one sector copies it into one page at once.
	var sector [sectorSize]byte
	copy(sector[:], s.slotBytes(uint64(slot))[:sectorSize])
	now := time.Now().UnixNano()
	le.PutUint32(sector[rhActivation:], math.Float32bits(v))
	le.PutUint64(sector[rhLastAccess:], uint64(now))
	sealHeader(sector[:])
	s.beginInPlace()
	err := s.blocks.writeAt(sector[:], slotOffset(uint64(slot)))
	s.endInPlace()
	if err != nil {
		return Missing, fmt.Errorf("store: update activation of %q: %w", id, err)
	}
	s.meta.setActivation(uint64(slot), v, now)
	return Found, nil
}

// beginInPlace and endInPlace bracket a multi-word in-place rewrite of a
// published record header. With a durable image they exclude the image copy
// of the blocks file, so the image never captures a header half rewritten:
// the copy models a disk write of a stable page (see doc.go). Single-word
// updates (state) need no bracket: an aligned 4-byte store is atomic.
func (s *Store) beginInPlace() {
	if s.blocks.image != nil {
		s.imageMu.RLock()
	}
}

func (s *Store) endInPlace() {
	if s.blocks.image != nil {
		s.imageMu.RUnlock()
	}
}

// updateActivationUnlocked is the unlocked-activation seeded bug: the header
// sector and its meta entry are copied out, modified and copied back with no
// lock held, so any concurrent rewrite in between (compaction's relocation
// of the content, a Remove's free marker) is undone.
func (s *Store) updateActivationUnlocked(id string, v float32) (Lookup, error) {
	sh := s.idx.shardOf(id)
	sh.mu.RLock()
	slot, ok := sh.m[id]
	sh.mu.RUnlock()
	if !ok {
		return Missing, nil
	}
	b := s.slotBytes(uint64(slot))
	var sector [sectorSize]byte
	copy(sector[:], b[:sectorSize])
	h := s.meta.header(uint64(slot))
	now := time.Now().UnixNano()
	le.PutUint32(sector[rhActivation:], math.Float32bits(v))
	le.PutUint64(sector[rhLastAccess:], uint64(now))
	sealHeader(sector[:])
	h.activation, h.lastAccess = v, now
	if err := s.fp(fpUpdateActivation); err != nil {
		return Missing, err
	}
	s.yield("unlocked-activation window")
	copy(b[:sectorSize], sector[:])
	s.meta.set(uint64(slot), &h)
	s.blocks.markDirty(slotOffset(uint64(slot)), sectorSize)
	return Found, nil
}
