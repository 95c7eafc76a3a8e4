// Package resultschema validates a JSON verdict (results.json, `analyze
// --json`) against checker's JSON Schema, so that tests in every package
// that writes one hold it to the same contract.
//
// Imports: checker (for the schema) and santhosh-tekuri/jsonschema. Only
// tests import it.
package resultschema

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/warmcheck/warmcheck/checker"
)

const schemaURL = "https://github.com/warmcheck/warmcheck/checker/results.schema.json"

// Validate returns nil when doc is a JSON document of checker.Results'
// schema, else an error naming every place it departs from it.
func Validate(doc []byte) error {
	schema, err := jsonschema.UnmarshalJSON(strings.NewReader(checker.ResultsSchema()))
	if err != nil {
		return fmt.Errorf("results.schema.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaURL, schema); err != nil {
		return fmt.Errorf("results.schema.json: %w", err)
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		return fmt.Errorf("results.schema.json: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return sch.Validate(inst)
}
