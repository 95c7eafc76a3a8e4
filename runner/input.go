package runner

import (
	"errors"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
)

// ReadInput reads a history file as the checks' input: what run does with
// its own history and analyze with a saved one. A complete history is
// returned as is; a torn one with its Completeness and Damage, for the
// checks to judge the intact part with open invokes cut off; a corrupt one
// is an error matching history.ErrCorrupt (a *history.DamageError naming
// the file, byte offset and chunk) unless salvage is set, when it is
// returned like a torn one with Completeness Corrupt, which checker.Run
// never judges valid. Any other read error (not a history, bad header) is
// returned as is.
func ReadInput(path, outDir string, salvage bool) (*checker.Input, error) {
	hdr, events, err := history.ReadFile(path)
	var damage *history.DamageError
	if err != nil && !errors.As(err, &damage) {
		return nil, err
	}
	in := &checker.Input{Header: hdr, Events: events, OutDir: outDir, Completeness: history.CompletenessOf(err)}
	if damage != nil {
		if in.Completeness == history.Corrupt && !salvage {
			return nil, damage
		}
		in.Damage = damage
	}
	return in, nil
}
