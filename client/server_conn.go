package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

type server struct {
	s       *store.Store
	fps     *store.Failpoints
	onPanic func(v any)
	hello   Hello
}

// serveConn answers one connection's requests in order until it closes.
func (srv *server) serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	f := newFrameConn(c)
	for {
		dec, err := f.readFrame()
		if err != nil {
			return // EOF, closed, or an oversized frame: the connection ends
		}
		req, err := decodeRequest(dec)
		if err == nil && f.rest() != 0 {
			return // trailing bytes: not one msgpack map
		}
		var resp *response
		switch {
		case err != nil:
			seq, ok := seqOf(f.in)
			if !ok {
				return // not a msgpack map at all
			}
			resp = &response{Seq: seq, Err: &wireError{Code: rejectCode(err), Message: err.Error()}}
		default:
			if err := checkRequest(&req); err != nil {
				resp = &response{Seq: req.Seq, Err: &wireError{Code: "bad-request", Message: err.Error()}}
			} else {
				resp = srv.handle(&req)
			}
		}
		if err := f.writeFrame(resp.encode); err != nil {
			return
		}
	}
}

// seqOf reads the seq of a body that failed to decode as a request, to
// answer it with bad-request; ok is false when it is not a map at all.
func seqOf(body []byte) (uint64, bool) {
	dec := msgpack.NewDecoder(bytes.NewReader(body))
	dec.UseLooseInterfaceDecoding(true)
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return 0, false
	}
	switch v := m["seq"].(type) {
	case uint64:
		return v, true
	case int64:
		return uint64(v), true
	}
	return 0, true
}

// rejectCode is the code of a request that failed to decode.
func rejectCode(err error) string {
	if errors.Is(err, store.ErrBadEmbedding) {
		return "bad-embedding"
	}
	return "bad-request"
}

// handle runs one request. A panic in the store is a crash of this process
// (onPanic), never an error response: a store that panicked mid-operation is
// in an unknown state, exactly what the panic nemesis wants to exercise.
func (srv *server) handle(req *request) (resp *response) {
	defer func() {
		if v := recover(); v != nil {
			srv.onPanic(v)
			resp = &response{Seq: req.Seq, Err: &wireError{Code: codeInternal, Message: fmt.Sprintf("store panicked: %v", v)}}
		}
	}()
	resp = &response{Seq: req.Seq}
	if c, ok := opCapability[req.Op]; ok && !srv.hello.Has(c) {
		resp.Err = &wireError{Code: "unsupported", Message: fmt.Sprintf("%s needs capability %s, not declared", req.Op, c)}
		return resp
	}
	var err error
	switch req.Op {
	case opHello:
		resp.Hello, resp.has = srv.hello, helloKeys
	case opPut, opGet, opRemove, opUpdateActivation:
		err = srv.handleRecord(req, resp)
	case opIterate, opRecall, opLayout:
		err = srv.handleList(req, resp)
	case opCompact:
		resp.Compaction, err = srv.s.Compact()
		resp.has = rCompaction
	case opSync:
		err = srv.s.Sync()
	case opStats:
		resp.Stats, resp.has = srv.s.Stats(), rStats
	default:
		err = srv.control(req, resp)
	}
	if err != nil {
		resp.Err = &wireError{Code: codeOf(err), Message: err.Error()}
	}
	return resp
}

// opCapability is the capability each optional operation needs.
var opCapability = map[string]Capability{opCompact: CapCompact, opStats: CapStats, opLayout: CapLayout,
	opArm: CapFailpoints, opDisarm: CapFailpoints, opRelease: CapFailpoints, opHits: CapFailpoints}

// handleRecord runs the single-memory operations.
func (srv *server) handleRecord(req *request, resp *response) error {
	s := srv.s
	var l store.Lookup
	var err error
	switch req.Op {
	case opPut:
		if n := len(req.Memory.Content); n > builtinMaxContent {
			return fmt.Errorf("%w: content of %d bytes, max_content_len %d", store.ErrTooLarge, n, builtinMaxContent)
		}
		resp.Placement, err = s.Put(req.ID, req.Memory)
		if srv.hello.Has(CapPlacements) {
			resp.has = rPlacement
		}
		return err
	case opGet:
		resp.Memory, l, err = s.Get(req.ID)
		resp.has = rFound
		if l == store.Found {
			resp.has |= rMemory
		}
	case opRemove:
		l, err = s.Remove(req.ID)
		resp.has = rFound
	case opUpdateActivation:
		l, err = s.UpdateActivation(req.ID, req.Activation)
		resp.has = rFound
	}
	resp.Found = l == store.Found
	return err
}

// handleList runs iterate, recall and layout; entries go by digest.
func (srv *server) handleList(req *request, resp *response) error {
	var es []history.Entry
	var err error
	resp.has = rEntries
	switch req.Op {
	case opIterate:
		es, err = iterateEntries(srv.s)
		resp.entryForm = iterateForm
	case opRecall:
		es, err = recallEntries(srv.s, req.Threshold)
		resp.entryForm = recallForm
	case opLayout:
		var l []store.LayoutEntry
		l, err = srv.s.Layout()
		resp.Entries = make([]wireEntry, len(l))
		for i := range l {
			resp.Entries[i] = entryOfLayout(&l[i])
		}
		resp.entryForm = placementForm
		if !srv.hello.Has(CapPlacements) {
			resp.entryForm = iterateForm
		}
		return err
	}
	resp.Entries = make([]wireEntry, len(es))
	for i := range es {
		resp.Entries[i] = wireEntry{ID: es[i].ID, Value: es[i].Value}
	}
	return err
}

// failpointName checks a failpoint name against the store's catalogue.
func failpointName(name string) (store.FailpointName, error) {
	for _, fp := range store.AllFailpoints() {
		if string(fp.Name) == name {
			return fp.Name, nil
		}
	}
	return "", fmt.Errorf("%w: %q", store.ErrUnknownFailpoint, strings.TrimSpace(name))
}

func (srv *server) control(req *request, resp *response) error {
	if req.Op == opHits {
		resp.Hits, resp.has = map[string]uint64{}, rHits
		for k, v := range srv.fps.Hits() {
			resp.Hits[string(k)] = v
		}
		return nil
	}
	name, err := failpointName(req.Failpoint)
	if err != nil {
		return err
	}
	switch req.Op {
	case opArm:
		return srv.fps.Arm(name, req.Action)
	case opDisarm:
		srv.fps.Disarm(name)
	case opRelease:
		srv.fps.Release(name)
	}
	return nil
}
