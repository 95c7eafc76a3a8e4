package checker

import (
	"errors"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// TestCorruptMarkerText pins the marker to store.ErrCorrupt's message; the
// same literal is pinned on the store side by store/errors_text_test.go.
func TestCorruptMarkerText(t *testing.T) {
	if corruptMarker != "store: corrupt file" {
		t.Fatalf("corruptMarker = %q; it must equal store.ErrCorrupt's message", corruptMarker)
	}
}

// corruptGet completes worker w's get of id as fail with a corruption error,
// as the recorder does (client.Classify: a read that errs is fail).
func corruptGet(b *wsb, w int32, id, msg string) {
	b.inv(w, history.OpGet, id, nil)
	pos := b.done(w, history.Fail, nil)
	b.events[pos].Error = msg
}

// unlockedActivationRun: a, written and compacted, is then read back with an
// error because its block header still points at the deleted epoch 0 (the
// shape unlocked-activation leaves), and a later update-activation of a ends
// info with the same error.
func unlockedActivationRun() *wsb {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	b.put(2, "b", wval(2), wpl(1, 100, 100, 0))
	b.get(2, "b", true, wval(2))
	corruptGet(b, 1, "a", "store: corrupt file: content epoch 0 is gone")
	b.inv(2, history.OpUpdateActivation, "a", &history.Input{Activation: 0.9})
	pos := b.done(2, history.Info, nil)
	b.events[pos].Error = "store: corrupt file: content epoch 0 is gone"
	return finish(b, 200, 0, wentry("a", wval(1), wpl(0, 0, 100, 0)), wentry("b", wval(2), wpl(1, 100, 100, 0)))
}

func TestIntegrityRejectsCorruptionErrors(t *testing.T) {
	b := unlockedActivationRun()
	r := runWS(t, integrityCheck{}, b)
	wantWS(t, r, Invalid)
	if !strings.Contains(r.Summary, "2 operations reported corruption") || !strings.Contains(r.Summary, `get "a"`) ||
		!strings.Contains(r.Summary, "content epoch 0 is gone") {
		t.Errorf("summary does not name the count, op, id and error: %s", r.Summary)
	}
	if !strings.HasPrefix(r.Explanation, ErrIntegrity.Error()) || !strings.Contains(r.Explanation, "update-activation") {
		t.Errorf("explanation: %s", r.Explanation)
	}
	// Witness: both ops' invoke and completion events.
	if len(r.Witness) != 4 {
		t.Errorf("witness %v, want the 4 events of the two corrupt ops", r.Witness)
	}
	for _, w := range r.Witness {
		e := b.events[w]
		if e.Type != history.Invoke && !strings.Contains(e.Error, corruptMarker) {
			t.Errorf("witness event %d is not part of a corrupt op: %+v", w, e)
		}
	}
	if err := ResultErr(r); !errors.Is(err, ErrIntegrity) {
		t.Errorf("ResultErr = %v, want ErrIntegrity", err)
	}
}

// The store wraps ErrCorrupt on either side ("path: offset 12: ...: store:
// corrupt file"); the marker is found anywhere in the text, and a remote
// (process-mode) error keeps the child's text.
func TestIntegrityFindsWrappedMarker(t *testing.T) {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	b.inv(1, history.OpCompact, "", nil)
	pos := b.done(1, history.Info, nil)
	b.events[pos].Error = "content.1.dat: size 4096 but the file had grown to 8192 (truncated): store: corrupt file"
	wantWS(t, runWS(t, integrityCheck{}, b), Invalid)
}

func TestIntegrityAcceptsOtherErrors(t *testing.T) {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	for _, msg := range []string{"store: injected fault", "store: cannot grow file", "timeout", "store: compaction already in progress", "corrupt"} {
		b.inv(2, history.OpGet, "a", nil)
		pos := b.done(2, history.Fail, nil)
		b.events[pos].Error = msg
	}
	// A pending op at the end (no completion) says nothing here.
	b.inv(1, history.OpGet, "a", nil)
	r := runWS(t, integrityCheck{}, b)
	wantWS(t, r, Valid)
	if r.Details["corrupt"] != 0 {
		t.Errorf("details %v", r.Details)
	}
}

func TestIntegrityListsAtMostTen(t *testing.T) {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	for i := 0; i < 25; i++ {
		corruptGet(b, 2, "a", "store: corrupt file: content epoch 3 is gone")
	}
	r := runWS(t, integrityCheck{}, b)
	wantWS(t, r, Invalid)
	if len(r.Witness) != 2*maxIntegrityListed || !strings.Contains(r.Explanation, "and 15 more") || r.Details["corrupt"] != 25 {
		t.Errorf("witness %d events, details %v, explanation %s", len(r.Witness), r.Details, r.Explanation)
	}
}
