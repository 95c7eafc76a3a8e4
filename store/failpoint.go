package store

// Failpoints is the set of named failpoints of one store. TEMPORARY
// skeleton: implemented with the store (issue 2).
type Failpoints struct{}
