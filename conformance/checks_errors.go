package conformance

import (
	"fmt"
	"strings"
	"sync"

	"github.com/warmcheck/warmcheck/client"
)

// checkBadID: an empty or over-long id is a definite failure, bad-id.
func checkBadID(s *session) error {
	for _, id := range []string{"", strings.Repeat("i", int(s.hello.MaxIDLen)+1)} {
		_, err := s.put(id, memoryOf(50, []byte("bad id")))
		if err := wantCode(fmt.Sprintf("put with an id of %d bytes (max_id_len %d)", len(id), s.hello.MaxIDLen), err, "bad-id"); err != nil {
			return err
		}
	}
	return nil
}

// checkBadEmbedding: an embedding of the wrong length is refused and
// leaves nothing behind.
func checkBadEmbedding(s *session) error {
	m := memoryOf(51, []byte("bad embedding"))
	m.Embedding = m.Embedding[:100]
	_, err := s.put("be-a", m)
	if err := wantCode("put with an embedding of 100 values", err, "bad-embedding"); err != nil {
		return err
	}
	return s.expectAbsent("be-a", "its put failed with a definite error")
}

// checkTooLarge: content one byte over max_content_len is refused and
// leaves nothing behind.
func checkTooLarge(s *session) error {
	n := int(s.hello.MaxContentLen) + 1
	_, err := s.put("tl-a", memoryOf(52, make([]byte, n)))
	if err := wantCode(fmt.Sprintf("put of %d bytes of content (max_content_len %d)", n, s.hello.MaxContentLen), err, "too-large"); err != nil {
		return err
	}
	return s.expectAbsent("tl-a", "its put failed with a definite error")
}

// checkBadRequest: an unknown op and a put without memory are refused with
// bad-request and the request's seq, and the connection goes on serving.
func checkBadRequest(s *session) error {
	ctx, cancel := s.call()
	defer cancel()
	c, err := client.DialRaw(ctx, s.proc.Socket())
	if err != nil {
		return err
	}
	defer c.Close()
	for _, msg := range []map[string]any{
		{"seq": 21, "op": "frobnicate"},
		{"seq": 22, "op": "put", "id": "br-a"},
		{"seq": 23, "op": "get", "id": 12},
		{"seq": 24, "op": "hello", "protocol": 1, "client": "warmcheck target-check"},
	} {
		m, err := c.Exchange(msg, s.cfg.Timeout)
		if err != nil {
			return fmt.Errorf("%v: no answer on the connection: %w", msg, err)
		}
		want := "bad-request"
		if msg["op"] == "hello" {
			want = ""
		}
		if seq, _ := rawSeq(m); seq != toUint(msg["seq"]) || rawCode(m) != want {
			return fmt.Errorf("%v: answered seq %v code %q, want seq %v code %q", msg, m["seq"], rawCode(m), msg["seq"], want)
		}
	}
	return s.expectAbsent("br-a", "its put had no memory")
}

// checkAbandoned: a request whose connection closes before the answer does
// not stop the target serving others.
func checkAbandoned(s *session) error {
	ctx, cancel := s.call()
	defer cancel()
	c, err := client.DialRaw(ctx, s.proc.Socket())
	if err != nil {
		return err
	}
	m := memoryOf(60, []byte("abandoned"))
	c.Send(map[string]any{"seq": 31, "op": "put", "id": "ab-a", "memory": map[string]any{
		"embedding": nil, "confidence": m.Confidence, "activation": m.Activation, "decay_rate": m.DecayRate,
		"created_at": m.CreatedAt, "last_access": m.LastAccess, "content": m.Content}})
	c.Close()
	if _, err := s.c.Hello(ctx); err != nil {
		return fmt.Errorf("hello after a client abandoned a put: %w", err)
	}
	return nil
}

// checkConcurrent: puts and gets on several connections at once, each
// reading back its own value.
func checkConcurrent(s *session) error {
	const workers, each = 8, 20
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("cc-%d-%d", w, i)
				m := memoryOf(100+w*each+i, []byte(id))
				if _, err := s.put(id, m); err != nil {
					errs <- err
					return
				}
				if err := s.expect(id, m); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// checkRestart: after a sync, a SIGKILL and a restart, the memory is there.
func checkRestart(s *session) error {
	want := memoryOf(70, []byte("synced before the kill"))
	if _, err := s.put("rs-a", want); err != nil {
		return err
	}
	if err := checkSync(s); err != nil {
		return err
	}
	if err := s.proc.Kill(); err != nil {
		return fmt.Errorf("kill: %w", err)
	}
	if err := s.proc.Restart(s.ctx); err != nil {
		return fmt.Errorf("restart after SIGKILL (recovery): %w", err)
	}
	if h := s.proc.Hello(); h.Name != s.hello.Name {
		return fmt.Errorf("after restart the hello names %q, before %q", h.Name, s.hello.Name)
	}
	return s.expect("rs-a", want)
}
