package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// Remote is a Client of a store served by Serve on a Unix socket, usually in
// a child process (see ProcessStore). It keeps a pool of connections, one per
// concurrent caller: a call takes an idle connection or dials a new one, and
// gives it back only if the exchange completed. Every error path closes the
// connection, so a late answer is never read as the answer to a later call.
//
// How errors map onto the history (see Classify): a failed dial is ErrNotSent
// (the store never saw the request: fail); a deadline with the request out is
// ErrTimeout and a broken connection is ErrConnLost (both info).
type Remote struct {
	socket string
	idle   chan *wireConn
	seq    atomic.Uint64
	gen    atomic.Uint64 // bumped by DropIdle: older connections are closed, not reused
	closed atomic.Bool
}

var _ Client = (*Remote)(nil)

// maxIdle bounds the connection pool; more concurrent callers still work,
// their extra connections are closed after use.
const maxIdle = 256

// dialBackoff is how long a call waits after a failed dial before it fails.
const dialBackoff = 10 * time.Millisecond

// NewRemote returns a client of the store listening on socket. It dials
// lazily.
func NewRemote(socket string) *Remote {
	return &Remote{socket: socket, idle: make(chan *wireConn, maxIdle)}
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

func (r *Remote) get(ctx context.Context) (*wireConn, error) {
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
	w := newWireConn(c)
	w.gen = gen
	return w, nil
}

func (r *Remote) put(c *wireConn) {
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

// roundTrip sends req and waits for its response, bounded by ctx.
func (r *Remote) roundTrip(ctx context.Context, req *request) (*response, error) {
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
	if err := c.send(req); err != nil {
		c.c.Close()
		return nil, r.ioError(ctx, "send", err)
	}
	var resp response
	if err := c.dec.Decode(&resp); err != nil {
		c.c.Close()
		return nil, r.ioError(ctx, "receive", err)
	}
	if resp.Seq != req.Seq {
		c.c.Close()
		return nil, fmt.Errorf("%w: response seq %d to request %d", ErrProtocol, resp.Seq, req.Seq)
	}
	if !stop() { // the context fired: the deadline may have cut the connection
		c.c.Close()
	} else {
		r.put(c)
	}
	return &resp, decodeError(resp.ErrCode, resp.Err)
}

// ioError names what happened to a request that was (maybe partly) sent.
func (r *Remote) ioError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w: %s on %s: %v", ErrTimeout, what, r.socket, err)
	}
	return fmt.Errorf("%w: %s on %s: %v", ErrConnLost, what, r.socket, err)
}

func (r *Remote) Put(ctx context.Context, id string, m store.Memory) (store.Placement, error) {
	resp, err := r.roundTrip(ctx, &request{Op: reqOp(history.OpPut), ID: id, Memory: toWire(&m)})
	if resp == nil || err != nil {
		return store.Placement{}, err
	}
	return resp.Placement, nil
}

func (r *Remote) Get(ctx context.Context, id string) (store.Memory, store.Lookup, error) {
	resp, err := r.roundTrip(ctx, &request{Op: reqOp(history.OpGet), ID: id})
	if resp == nil || err != nil {
		return store.Memory{}, store.Missing, err
	}
	if resp.Lookup != store.Found || resp.Memory == nil {
		return store.Memory{}, store.Missing, nil
	}
	return fromWire(resp.Memory), store.Found, nil
}

func (r *Remote) Remove(ctx context.Context, id string) (store.Lookup, error) {
	resp, err := r.roundTrip(ctx, &request{Op: reqOp(history.OpRemove), ID: id})
	if resp == nil || err != nil {
		return store.Missing, err
	}
	return resp.Lookup, nil
}

func (r *Remote) UpdateActivation(ctx context.Context, id string, v float32) (store.Lookup, error) {
	resp, err := r.roundTrip(ctx, &request{Op: reqOp(history.OpUpdateActivation), ID: id, Value: v})
	if resp == nil || err != nil {
		return store.Missing, err
	}
	return resp.Lookup, nil
}

func (r *Remote) Iterate(ctx context.Context) ([]history.Entry, error) {
	resp, err := r.roundTrip(ctx, &request{Op: reqOp(history.OpIterate)})
	if resp == nil || err != nil {
		return nil, err
	}
	return nonNil(resp.Entries), nil
}

func (r *Remote) Recall(ctx context.Context, threshold float32) ([]history.Entry, error) {
	resp, err := r.roundTrip(ctx, &request{Op: reqOp(history.OpRecall), Value: threshold})
	if resp == nil || err != nil {
		return nil, err
	}
	return nonNil(resp.Entries), nil
}

func nonNil(es []history.Entry) []history.Entry {
	if es == nil {
		return []history.Entry{}
	}
	return es
}

func (r *Remote) Compact(ctx context.Context) (store.CompactionStats, error) {
	resp, err := r.roundTrip(ctx, &request{Op: reqOp(history.OpCompact)})
	if resp == nil || err != nil || resp.Compaction == nil {
		return store.CompactionStats{}, err
	}
	return *resp.Compaction, nil
}

func (r *Remote) Sync(ctx context.Context) error {
	_, err := r.roundTrip(ctx, &request{Op: reqOp(history.OpSync)})
	return err
}

func (r *Remote) Stats(ctx context.Context) (store.Stats, error) {
	resp, err := r.roundTrip(ctx, &request{Op: reqOp(history.OpStats)})
	if resp == nil || err != nil || resp.Stats == nil {
		return store.Stats{}, err
	}
	return *resp.Stats, nil
}

func (r *Remote) Layout(ctx context.Context) ([]store.LayoutEntry, error) {
	resp, err := r.roundTrip(ctx, &request{Op: reqOp(history.OpLayout)})
	if resp == nil || err != nil {
		return nil, err
	}
	if resp.Layout == nil {
		return []store.LayoutEntry{}, nil
	}
	return resp.Layout, nil
}

// Ping asks the server for its process id.
func (r *Remote) Ping(ctx context.Context) (int, error) {
	resp, err := r.roundTrip(ctx, &request{Op: reqPing})
	if resp == nil || err != nil {
		return 0, err
	}
	return resp.Pid, nil
}

// Arm arms a failpoint in the server's store.
func (r *Remote) Arm(ctx context.Context, name store.FailpointName, a store.Action) error {
	_, err := r.roundTrip(ctx, &request{Op: reqArm, Failpoint: string(name),
		Action: wireAction{Kind: uint8(a.Kind), Delay: a.Delay, Times: a.Times}})
	return err
}

// Disarm disarms a failpoint (and releases goroutines paused there).
func (r *Remote) Disarm(ctx context.Context, name store.FailpointName) error {
	_, err := r.roundTrip(ctx, &request{Op: reqDisarm, Failpoint: string(name)})
	return err
}

// Release wakes goroutines paused at a failpoint.
func (r *Remote) Release(ctx context.Context, name store.FailpointName) error {
	_, err := r.roundTrip(ctx, &request{Op: reqRelease, Failpoint: string(name)})
	return err
}

// Hits returns how many times each failpoint fired (absent: never).
func (r *Remote) Hits(ctx context.Context) (map[string]uint64, error) {
	resp, err := r.roundTrip(ctx, &request{Op: reqHits})
	if resp == nil || err != nil {
		return nil, err
	}
	return resp.Hits, nil
}
