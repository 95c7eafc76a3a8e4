package conformance

import (
	"errors"
	"fmt"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/store"
)

func (s *session) put(id string, m store.Memory) (store.Placement, error) {
	ctx, cancel := s.call()
	defer cancel()
	p, err := s.c.Put(ctx, id, m)
	if err != nil {
		return p, fmt.Errorf("put %q: %w", id, err)
	}
	return p, nil
}

func (s *session) get(id string) (store.Memory, store.Lookup, error) {
	ctx, cancel := s.call()
	defer cancel()
	m, l, err := s.c.Get(ctx, id)
	if err != nil {
		return m, l, fmt.Errorf("get %q: %w", id, err)
	}
	return m, l, nil
}

// expect checks that id holds want.
func (s *session) expect(id string, want store.Memory) error {
	m, l, err := s.get(id)
	switch {
	case err != nil:
		return err
	case l != store.Found:
		return fmt.Errorf("get %q after its put: found false", id)
	}
	if d := sameMemory(m, want); d != "" {
		return fmt.Errorf("get %q: %s", id, d)
	}
	return nil
}

// expectAbsent checks that id is not stored.
func (s *session) expectAbsent(id, why string) error {
	_, l, err := s.get(id)
	switch {
	case err != nil:
		return err
	case l == store.Found:
		return fmt.Errorf("get %q: found, but %s", id, why)
	}
	return nil
}

// raw sends one message on a fresh connection and returns the answer.
func (s *session) raw(msg map[string]any) (map[string]any, error) {
	ctx, cancel := s.call()
	defer cancel()
	c, err := client.DialRaw(ctx, s.proc.Socket())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	m, err := c.Exchange(msg, s.cfg.Timeout)
	if err != nil {
		return nil, fmt.Errorf("%v: no valid answer: %w", msg["op"], err)
	}
	return m, nil
}

// wantCode checks that err is an error answer with code.
func wantCode(what string, err error, code string) error {
	var re *client.RemoteError
	switch {
	case err == nil:
		return fmt.Errorf("%s: answered ok, want error code %s (a definite failure)", what, code)
	case !errors.As(err, &re):
		return fmt.Errorf("%s: %v, want an answer with error code %s", what, err, code)
	case re.Code != code:
		return fmt.Errorf("%s: error code %q (%s), want %s", what, re.Code, re.Message, code)
	}
	return nil
}

// rawCode is the error code of a raw answer, "" for success.
func rawCode(m map[string]any) string {
	e, ok := m["error"].(map[string]any)
	if !ok {
		return ""
	}
	c, _ := e["code"].(string)
	return c
}

// rawSeq is the seq of a raw answer; ok is false when absent or not an integer.
func rawSeq(m map[string]any) (uint64, bool) {
	switch v := m["seq"].(type) {
	case uint64:
		return v, true
	case int64:
		return uint64(v), v >= 0
	}
	return 0, false
}
