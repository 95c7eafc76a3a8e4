package history

import "fmt"

// The names below are the enum spellings used by JSON Lines, EDN and every
// human-facing message. They are part of the file formats: never rename one.

var typeNames = [...]string{Invoke: "invoke", OK: "ok", Fail: "fail", Info: "info"}

var kindNames = [...]string{KindOp: "op", KindNemesis: "nemesis", KindSnapshot: "snapshot"}

var opNames = [...]string{
	OpPut:              "put",
	OpGet:              "get",
	OpRemove:           "remove",
	OpUpdateActivation: "update-activation",
	OpIterate:          "iterate",
	OpRecall:           "recall",
	OpCompact:          "compact",
	OpSync:             "sync",
	OpStats:            "stats",
	OpLayout:           "layout",
}

var phaseNames = [...]string{NemesisStart: "start", NemesisEnd: "end"}

func name(names []string, v uint8, what string) string {
	if int(v) < len(names) && names[v] != "" {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", what, v)
}

func parse(names []string, s, what string) (uint8, error) {
	for i, n := range names {
		if n != "" && n == s {
			return uint8(i), nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q", what, s)
}

func known(names []string, v uint8) bool { return int(v) < len(names) && names[v] != "" }

func (t Type) String() string         { return name(typeNames[:], uint8(t), "type") }
func (k Kind) String() string         { return name(kindNames[:], uint8(k), "kind") }
func (o Op) String() string           { return name(opNames[:], uint8(o), "op") }
func (p NemesisPhase) String() string { return name(phaseNames[:], uint8(p), "phase") }

// Valid reports whether the value is one of the named constants.
func (t Type) Valid() bool         { return known(typeNames[:], uint8(t)) }
func (k Kind) Valid() bool         { return known(kindNames[:], uint8(k)) }
func (o Op) Valid() bool           { return known(opNames[:], uint8(o)) }
func (p NemesisPhase) Valid() bool { return known(phaseNames[:], uint8(p)) }

// ParseType, ParseKind, ParseOp and ParseNemesisPhase invert String for the
// named constants.
func ParseType(s string) (Type, error) {
	v, err := parse(typeNames[:], s, "event type")
	return Type(v), err
}

func ParseKind(s string) (Kind, error) {
	v, err := parse(kindNames[:], s, "event kind")
	return Kind(v), err
}

func ParseOp(s string) (Op, error) {
	v, err := parse(opNames[:], s, "operation")
	return Op(v), err
}

func ParseNemesisPhase(s string) (NemesisPhase, error) {
	v, err := parse(phaseNames[:], s, "nemesis phase")
	return NemesisPhase(v), err
}

// Ops lists every operation in numeric order.
func Ops() []Op {
	ops := make([]Op, 0, len(opNames)-1)
	for i := range opNames {
		if opNames[i] != "" {
			ops = append(ops, Op(i))
		}
	}
	return ops
}
