package store

// Test-only settings of Options (testHooks).

// WithReservation maps every file with an address reservation of n bytes.
func WithReservation(o *Options, n uint64) { o.test.reservation = n }

// WithContentTail starts appends to the current content file at off.
func WithContentTail(o *Options, off uint64) { o.test.contentTail = off }

// Disk is a simulated disk that fills up (diskSpace).
type Disk struct{ d *diskSpace }

// WithDisk puts the store on a simulated disk and returns it.
func WithDisk(o *Options) Disk {
	o.test.disk = &diskSpace{}
	return Disk{o.test.disk}
}

// FillAllocate makes fallocate and file creation fail with ENOSPC: a full
// ext4. FillAll makes pwrite and msync fail too. Free empties the disk.
func (d Disk) FillAllocate() { d.d.full.Store(uint32(diskAllocate)) }
func (d Disk) FillAll()      { d.d.full.Store(uint32(diskAllocate | diskWrite | diskFlush)) }
func (d Disk) Free()         { d.d.full.Store(0) }

// ContentLimit is the offset past which the current content file cannot
// grow (its address reservation, in whole chunks).
func (s *Store) ContentLimit() uint64 { return s.epochs.Load().current().mf.limit() }

// FillFlush makes msync fail with ENOSPC, nothing else: a volume that
// allocates at writeback.
func (d Disk) FillFlush() { d.d.full.Store(uint32(diskFlush)) }

// Kill closes the store as a SIGKILL would: nothing more is synced.
func (s *Store) Kill() { s.abandon() }
