package client

import (
	"bufio"
	"encoding/binary"
	"errors"
	"math"
	"net"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// The child-process protocol: over one Unix stream connection the parent
// sends msgpack-encoded requests and the child answers each with exactly one
// response carrying the same Seq, in order. Structs are array-encoded. A
// connection carries one outstanding request at a time; a client that gives
// up on a request (timeout) closes the connection, so a late response can
// never be taken for the answer to a later request.

// reqOp is a request's operation: the store operations use history.Op
// values; control operations start at 100.
type reqOp uint8

const (
	reqArm reqOp = 100 + iota
	reqDisarm
	reqRelease
	reqHits
	reqPing
)

type request struct {
	Seq       uint64
	Op        reqOp
	ID        string
	Memory    *wireMemory
	Value     float32 // update-activation value, recall threshold
	Failpoint string
	Action    wireAction
}

// wireMemory is store.Memory with the embedding as little-endian bytes: one
// msgpack bin instead of 768 separately encoded floats (several times
// cheaper to encode and decode). Nil stays nil for both byte fields.
type wireMemory struct {
	Embedding  []byte
	Confidence float32
	Activation float32
	DecayRate  float32
	CreatedAt  int64
	LastAccess int64
	Content    []byte
}

func toWire(m *store.Memory) *wireMemory {
	w := &wireMemory{Confidence: m.Confidence, Activation: m.Activation, DecayRate: m.DecayRate,
		CreatedAt: m.CreatedAt, LastAccess: m.LastAccess, Content: m.Content}
	if m.Embedding != nil {
		w.Embedding = make([]byte, 4*len(m.Embedding))
		for i, f := range m.Embedding {
			binary.LittleEndian.PutUint32(w.Embedding[4*i:], math.Float32bits(f))
		}
	}
	return w
}

func fromWire(w *wireMemory) store.Memory {
	m := store.Memory{Confidence: w.Confidence, Activation: w.Activation, DecayRate: w.DecayRate,
		CreatedAt: w.CreatedAt, LastAccess: w.LastAccess, Content: w.Content}
	if w.Embedding != nil {
		m.Embedding = make([]float32, len(w.Embedding)/4)
		for i := range m.Embedding {
			m.Embedding[i] = math.Float32frombits(binary.LittleEndian.Uint32(w.Embedding[4*i:]))
		}
	}
	return m
}

// wireAction mirrors store.Action.
type wireAction struct {
	Kind  uint8
	Delay time.Duration
	Times int
}

type response struct {
	Seq        uint64
	ErrCode    uint8 // 0: no error; index+1 into wireErrors; errCodeOther
	Err        string
	Lookup     store.Lookup
	Placement  store.Placement
	Memory     *wireMemory
	Entries    []history.Entry
	Stats      *store.Stats
	Layout     []store.LayoutEntry
	Compaction *store.CompactionStats
	Hits       map[string]uint64
	Pid        int
}

// wireErrors are the sentinel errors that keep their identity across the
// socket (errors.Is works on the parent side). Append only: the code is the
// index + 1, and parent and child are the same binary.
var wireErrors = []error{
	store.ErrBadMagic, store.ErrBadVersion, store.ErrHeaderChecksum, store.ErrCorrupt,
	store.ErrClosed, store.ErrGrowFailed, store.ErrTooLarge, store.ErrBadEmbedding,
	store.ErrBadID, store.ErrCompactionInProgress, store.ErrUnknownBug,
	store.ErrUnknownFailpoint, store.ErrInjected, ErrUnknownOp,
}

const errCodeOther = 255

func errorCode(err error) uint8 {
	for i, s := range wireErrors {
		if errors.Is(err, s) {
			return uint8(i + 1)
		}
	}
	return errCodeOther
}

// remoteError is an error returned by the child's store: its text as the
// child saw it, and the sentinel it wrapped.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

func decodeError(code uint8, msg string) error {
	if code == 0 {
		return nil
	}
	var s error
	if int(code) <= len(wireErrors) {
		s = wireErrors[code-1]
	}
	return &remoteError{msg: msg, sentinel: s}
}

// wireConn is one connection with its buffered msgpack codec.
type wireConn struct {
	c   net.Conn
	bw  *bufio.Writer
	enc *msgpack.Encoder
	dec *msgpack.Decoder
	gen uint64 // the ProcessStore generation it was dialed in (Remote)
}

func newWireConn(c net.Conn) *wireConn {
	bw := bufio.NewWriterSize(c, 16<<10)
	enc := msgpack.NewEncoder(bw)
	enc.UseArrayEncodedStructs(true)
	return &wireConn{c: c, bw: bw, enc: enc, dec: msgpack.NewDecoder(bufio.NewReaderSize(c, 16<<10))}
}

func (w *wireConn) send(v any) error {
	if err := w.enc.Encode(v); err != nil {
		return err
	}
	return w.bw.Flush()
}
