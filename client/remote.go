package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"
)

// Remote is a Client of a target speaking PROTOCOL.md on a Unix socket,
// usually a child process (see ProcessStore). It keeps a pool of
// connections, one per concurrent caller: a call takes an idle connection or
// dials a new one, and gives it back only if the exchange completed. Every
// error path closes the connection, so a late answer is never read as the
// answer to a later call.
//
// How errors map onto the history (see Classify): a failed dial is ErrNotSent
// (the store never saw the request: fail); a deadline with the request out is
// ErrTimeout, a broken connection ErrConnLost, and an answer that breaks the
// protocol ErrProtocol (all info); an error answer is a *RemoteError whose
// code decides.
type Remote struct {
	socket string
	idle   chan *frameConn
	seq    atomic.Uint64
	gen    atomic.Uint64 // bumped by DropIdle: older connections are closed, not reused
	closed atomic.Bool
	hello  atomic.Pointer[Hello]
}

var _ Client = (*Remote)(nil)

// maxIdle bounds the connection pool; more concurrent callers still work,
// their extra connections are closed after use.
const maxIdle = 256

// dialBackoff is how long a call waits after a failed dial before it fails.
const dialBackoff = 10 * time.Millisecond

// NewRemote returns a client of the target listening on socket. It dials
// lazily and shakes hands on first need (Hello).
func NewRemote(socket string) *Remote {
	return &Remote{socket: socket, idle: make(chan *frameConn, maxIdle)}
}

// DropIdle closes every idle connection and makes connections dialed before
// now unusable for new requests: called when the server process is replaced.
func (r *Remote) DropIdle() {
	r.gen.Add(1)
	for {
		select {
		case c := <-r.idle:
			c.c.Close()
		default:
			return
		}
	}
}

// Close closes idle connections; calls after Close fail with ErrNotSent.
// It does not stop the server.
func (r *Remote) Close() error {
	r.closed.Store(true)
	r.DropIdle()
	return nil
}

func (r *Remote) get(ctx context.Context) (*frameConn, error) {
	gen := r.gen.Load()
	for {
		select {
		case c := <-r.idle:
			if c.gen == gen {
				return c, nil
			}
			c.c.Close()
			continue
		default:
		}
		break
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", r.socket)
	if err != nil {
		// The store is down (killed, restarting): back off briefly so that
		// workers do not spin out thousands of failed operations.
		t := time.NewTimer(dialBackoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		return nil, fmt.Errorf("%w: dial %s: %v", ErrNotSent, r.socket, err)
	}
	f := newFrameConn(c)
	f.gen = gen
	return f, nil
}

func (r *Remote) put(c *frameConn) {
	if r.closed.Load() || c.gen != r.gen.Load() {
		c.c.Close()
		return
	}
	select {
	case r.idle <- c:
	default:
		c.c.Close()
	}
}

// roundTrip sends req and waits for its response, bounded by ctx. entries
// are the keys each entry of the answer must carry. The response is
// returned with a nil error only when it is a success.
func (r *Remote) roundTrip(ctx context.Context, req *request, entries keySet) (*response, error) {
	if r.closed.Load() {
		return nil, fmt.Errorf("%w: client closed", ErrNotSent)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w (context already done: %v)", ErrNotSent, err)
	}
	c, err := r.get(ctx)
	if err != nil {
		return nil, err
	}
	if d, ok := ctx.Deadline(); ok {
		c.c.SetDeadline(d)
	} else {
		c.c.SetDeadline(time.Time{})
	}
	// Cancellation (not only the deadline) interrupts blocked I/O.
	stop := context.AfterFunc(ctx, func() { c.c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	req.Seq = r.seq.Add(1)
	if err := c.writeFrame(req.encode); err != nil {
		c.c.Close()
		return nil, r.ioError(ctx, "send", err)
	}
	resp, err := r.receive(ctx, c, req, entries)
	if err != nil {
		c.c.Close()
		return nil, err
	}
	if !stop() { // the context fired: the deadline may have cut the connection
		c.c.Close()
	} else {
		r.put(c)
	}
	return resp, remoteError(resp.Err)
}

// receive reads and decodes the answer to req.
func (r *Remote) receive(ctx context.Context, c *frameConn, req *request, entries keySet) (*response, error) {
	dec, err := c.readFrame()
	if err != nil {
		if errors.Is(err, ErrProtocol) {
			return nil, err
		}
		return nil, r.ioError(ctx, "receive", err)
	}
	resp, err := decodeResponse(dec, entries)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %s answer: %v", ErrProtocol, req.Op, err)
	case c.rest() != 0:
		return nil, fmt.Errorf("%w: %s answer: %d bytes after the map", ErrProtocol, req.Op, c.rest())
	case !resp.has.has(rSeq):
		return nil, fmt.Errorf("%w: %s answer without seq", ErrProtocol, req.Op)
	case resp.Seq != req.Seq:
		return nil, fmt.Errorf("%w: %s answer has seq %d, the request had %d", ErrProtocol, req.Op, resp.Seq, req.Seq)
	}
	return &resp, nil
}

// ioError names what happened to a request that was (maybe partly) sent.
func (r *Remote) ioError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w: %s on %s: %v", ErrTimeout, what, r.socket, err)
	}
	return fmt.Errorf("%w: %s on %s: %v", ErrConnLost, what, r.socket, err)
}

// Hello shakes hands with the target (PROTOCOL.md, section 5) and keeps its
// answer for the capability checks of later calls.
func (r *Remote) Hello(ctx context.Context) (*Hello, error) {
	resp, err := r.roundTrip(ctx, &request{Op: opHello, Protocol: ProtocolVersion, Client: "warmcheck"}, 0)
	if err != nil {
		return nil, err
	}
	if err := resp.requireKeys(opHello, helloRequired); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	h := resp.Hello
	if err := h.validate(); err != nil {
		return nil, err
	}
	r.hello.Store(&h)
	return &h, nil
}

// Declared is the target's last hello, nil before the first handshake.
func (r *Remote) Declared() *Hello { return r.hello.Load() }

// require fails with ErrUnsupported, without sending anything, when the
// target did not declare c (shaking hands first if it never did).
func (r *Remote) require(ctx context.Context, c Capability, op string) error {
	h := r.hello.Load()
	if h == nil {
		var err error
		if h, err = r.Hello(ctx); err != nil {
			return fmt.Errorf("%w (%s needs the handshake: %v)", ErrNotSent, op, err)
		}
	}
	if !h.Has(c) {
		return fmt.Errorf("%w: %s needs capability %s, which the target %q does not declare", ErrUnsupported, op, c, h.Name)
	}
	return nil
}

// has reports whether the target declared c (false before any handshake).
func (r *Remote) has(c Capability) bool { return r.hello.Load().Has(c) }
