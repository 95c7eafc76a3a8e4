package store

import (
	"fmt"
	"sync/atomic"
	"syscall"
)

// testHooks are settings only tests reach (export_test.go): the zero value
// changes nothing.
type testHooks struct {
	// reservation, when non-zero, is the address reservation of every
	// mapped file instead of the largest that maps: a file then fills up
	// after a few MiB.
	reservation uint64
	// contentTail, when non-zero, is where appends to the current content
	// file start after Open: offsets near their limit without writing that
	// much.
	contentTail uint64
	// disk, when set, can be filled: see diskSpace.
	disk *diskSpace
}

// diskOps is a set of the calls a full disk can fail.
type diskOps uint8

const (
	// diskAllocate: fallocate (growth) and the creation of a data file,
	// which need new blocks: what a full ext4 fails.
	diskAllocate diskOps = 1 << iota
	// diskWrite: pwrite into allocated space (ext4 does not fail it; a
	// thin-provisioned or network volume may).
	diskWrite
	// diskFlush: msync (a volume that allocates at writeback).
	diskFlush
)

// diskSpace simulates a disk that fills up: while full, the calls in its
// set fail with ENOSPC before they run, as a full filesystem fails them,
// with nothing done. A nil *diskSpace is a disk that never fills.
type diskSpace struct{ full atomic.Uint32 }

func (d *diskSpace) check(op diskOps, what string) error {
	if d == nil || diskOps(d.full.Load())&op == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", what, syscall.ENOSPC)
}
