package checker

import _ "embed"

//go:embed results.schema.json
var resultsSchema string

// ResultsSchema is the JSON Schema (draft 2020-12) of Results: of
// results.json and of `analyze --json`.
func ResultsSchema() string { return resultsSchema }
