package store

// Bug names one seeded bug of the catalogue. TEMPORARY skeleton: the
// catalogue is filled in with the implementation (issue 2).
type Bug string

// BugInfo describes one seeded bug.
type BugInfo struct {
	Name        Bug
	Description string
}
