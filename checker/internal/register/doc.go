// Package register decides whether the register histories of a saved
// history are linearizable: each memory's put/get/remove/update-activation
// operations, per crash epoch, from the state the epoch started in. It is
// the engine behind the checker's linearizable check, kept behind a few
// entry points (register.go): build the register view of a history
// (NewView), decide every partition under a budget (Check), and, for a
// partition found not linearizable, its explanation (Outcome.Explanation)
// and porcupine's drawing of its witness (Visualize).
//
// A valid verdict always rests on an order that replays; running out of any
// budget yields Unknown, never Valid. DESIGN.md keeps the design notes and
// the measurements behind the choices.
//
// Imports: the standard library, history and porcupine. It does not pair
// invokes with completions itself: the caller supplies its pairing
// (Pairing), so the checker has one definition of pairing and of crash
// segments.
package register
