package crashpoint

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Variant names one crash state at a point: which unsynced sectors reached
// the disk. Its String is what --state parses back.
type Variant struct {
	Kind string // none, all, only, without, prefix, prefix-rest, suffix, unlinked-back
	Unit int    // the step whose sectors the variant singles out
	K    int    // prefix/suffix length in sectors
}

func (v Variant) String() string {
	switch v.Kind {
	case "none", "all", "unlinked-back":
		return v.Kind
	case "only", "without":
		return fmt.Sprintf("%s:%d", v.Kind, v.Unit)
	}
	return fmt.Sprintf("%s:%d:%d", v.Kind, v.Unit, v.K)
}

// Describe says in words which sectors the variant keeps.
func (v Variant) Describe() string {
	switch v.Kind {
	case "none":
		return "every unsynced sector dropped (only synced bytes on disk)"
	case "all":
		return "every unsynced sector reached the disk"
	case "unlinked-back":
		return "every unsynced sector dropped, and the files unlinked since the last directory fsync are back with their synced bytes"
	case "only":
		return fmt.Sprintf("only the sectors last written by step %d reached the disk", v.Unit)
	case "without":
		return fmt.Sprintf("every unsynced sector but those of step %d reached the disk", v.Unit)
	case "prefix":
		return fmt.Sprintf("the write of step %d torn: its first %d sector(s) reached the disk, nothing else unsynced", v.Unit, v.K)
	case "prefix-rest":
		return fmt.Sprintf("the write of step %d torn: its first %d sector(s) and every other unsynced sector reached the disk", v.Unit, v.K)
	case "suffix":
		return fmt.Sprintf("the write of step %d torn: its last %d sector(s) reached the disk, nothing else unsynced", v.Unit, v.K)
	}
	return v.Kind
}

// ParseVariant parses Variant.String.
func ParseVariant(s string) (Variant, error) {
	parts := strings.Split(s, ":")
	v := Variant{Kind: parts[0]}
	want := map[string]int{"none": 1, "all": 1, "unlinked-back": 1, "only": 2, "without": 2, "prefix": 3, "prefix-rest": 3, "suffix": 3}[v.Kind]
	if want == 0 || len(parts) != want {
		return Variant{}, fmt.Errorf("%w: crash state variant %q (want none, all, only:STEP, without:STEP, prefix:STEP:K, prefix-rest:STEP:K or suffix:STEP:K)", ErrBadInput, s)
	}
	var err error
	if want >= 2 {
		if v.Unit, err = strconv.Atoi(parts[1]); err != nil {
			return Variant{}, fmt.Errorf("%w: crash state variant %q: step: %v", ErrBadInput, s, err)
		}
	}
	if want == 3 {
		if v.K, err = strconv.Atoi(parts[2]); err != nil || v.K < 1 {
			return Variant{}, fmt.Errorf("%w: crash state variant %q: sector count must be a positive integer", ErrBadInput, s)
		}
	}
	return v, nil
}

// keep returns the sectors variant v keeps given the point's units, or
// ok=false when v does not apply there (unknown unit, K out of range).
func (v Variant) keep(units []unit) (keep []sectorRef, ok bool) {
	var target *unit
	if v.Kind != "none" && v.Kind != "all" && v.Kind != "unlinked-back" {
		i := slices.IndexFunc(units, func(u unit) bool { return u.step == v.Unit })
		if i < 0 {
			return nil, false
		}
		target = &units[i]
		if (v.Kind == "prefix" || v.Kind == "prefix-rest" || v.Kind == "suffix") && v.K >= len(target.sectors) {
			return nil, false
		}
	}
	for _, u := range units {
		isTarget := target != nil && u.step == target.step
		switch {
		case v.Kind == "all", v.Kind == "without" && !isTarget, v.Kind == "prefix-rest" && !isTarget, v.Kind == "only" && isTarget:
			keep = append(keep, u.sectors...)
		case isTarget && (v.Kind == "prefix" || v.Kind == "prefix-rest"):
			keep = append(keep, u.sectors[:v.K]...)
		case isTarget && v.Kind == "suffix":
			keep = append(keep, u.sectors[len(u.sectors)-v.K:]...)
		}
	}
	return keep, true
}

// variants chooses the crash states explored at a point, at most limit
// (skipped counts the rest). Always: nothing unsynced, everything unsynced.
// For the newest write: it alone, all but it, and (when it spans several
// sectors) each prefix alone, each prefix with everything else, and each
// suffix alone. When the next step is a sync (a crash during it leaves any
// subset of the dirty sectors), for every older write: it alone and all but
// it. With files unlinked since the last directory fsync: those files back
// (and nothing unsynced). Variants that keep the same sectors as an earlier
// one are dropped.
func variants(units []unit, nextIsSync, unlinked bool, limit int) (out []Variant, skipped int) {
	cand := []Variant{{Kind: "none"}, {Kind: "all"}}
	if unlinked {
		cand = append(cand, Variant{Kind: "unlinked-back"})
	}
	if len(units) > 0 {
		u := units[len(units)-1]
		cand = append(cand, Variant{Kind: "only", Unit: u.step}, Variant{Kind: "without", Unit: u.step})
		for k := 1; k < len(u.sectors); k++ {
			cand = append(cand, Variant{Kind: "prefix", Unit: u.step, K: k}, Variant{Kind: "prefix-rest", Unit: u.step, K: k}, Variant{Kind: "suffix", Unit: u.step, K: k})
		}
		if nextIsSync {
			for i := len(units) - 2; i >= 0; i-- {
				cand = append(cand, Variant{Kind: "only", Unit: units[i].step}, Variant{Kind: "without", Unit: units[i].step})
			}
		}
	}
	seen := map[string]bool{}
	for _, v := range cand {
		keep, ok := v.keep(units)
		if !ok {
			continue
		}
		var key strings.Builder
		if v.Kind == "unlinked-back" {
			key.WriteString("unlinked-back;")
		}
		for _, k := range keep {
			fmt.Fprintf(&key, "%s/%d,", k.file, k.sector)
		}
		if seen[key.String()] {
			continue
		}
		seen[key.String()] = true
		if len(out) == limit {
			skipped++
			continue
		}
		out = append(out, v)
	}
	return out, skipped
}
