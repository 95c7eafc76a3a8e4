package store

import "testing"

// TestErrCorruptText pins ErrCorrupt's message: the checker (which never
// imports store) recognizes corruption errors in saved histories by this
// text (checker/integrity.go corruptMarker). Change both together.
func TestErrCorruptText(t *testing.T) {
	if got := ErrCorrupt.Error(); got != "store: corrupt file" {
		t.Fatalf("ErrCorrupt = %q; checker/integrity.go corruptMarker matches \"store: corrupt file\"", got)
	}
}
