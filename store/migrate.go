package store

import "fmt"

// migrateV1 moves the store of blocks file mf (header hdr, version 1) to
// formatVersion: the version-1 layout is the current one without
// relocation tables, so only the header changes. Its first sector is
// rewritten whole (atomic, format.go) and msynced before Open writes
// anything else, so no relocation table can exist beside a version-1 header
// that an older binary would accept.
func migrateV1(mf *mappedFile, hdr fileHeader) error {
	hdr.version = formatVersion
	b := encodeFileHeader(hdr)
	copy(mf.data[:sectorSize], b[:sectorSize])
	mf.markDirty(0, sectorSize)
	if err := mf.flush(); err != nil {
		return fmt.Errorf("store: migrate %s to format %d: %w", mf.path, formatVersion, err)
	}
	return nil
}
