package client

import (
	"fmt"
	"strings"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/warmcheck/warmcheck/store"
)

// Operation names of requests (PROTOCOL.md, section 4).
const (
	opHello            = "hello"
	opPut              = "put"
	opGet              = "get"
	opRemove           = "remove"
	opUpdateActivation = "update-activation"
	opIterate          = "iterate"
	opRecall           = "recall"
	opCompact          = "compact"
	opSync             = "sync"
	opStats            = "stats"
	opLayout           = "layout"
	opArm              = "failpoint-arm"
	opDisarm           = "failpoint-disarm"
	opRelease          = "failpoint-release"
	opHits             = "failpoint-hits"
)

// request is one request; has says which keys a decoded one carried.
type request struct {
	Seq        uint64
	Op         string
	ID         string
	Memory     store.Memory
	Activation float32
	Threshold  float32
	Failpoint  string
	Action     store.Action
	Protocol   uint64
	Client     string
	has        keySet
}

// Request key bits, in the order of requestKeyNames.
const (
	qSeq keySet = 1 << iota
	qOp
	qID
	qMemory
	qActivation
	qThreshold
	qFailpoint
	qAction
	qProtocol
	qClient
)

var requestKeyNames = []string{"seq", "op", "id", "memory", "activation", "threshold", "failpoint", "action", "protocol", "client"}

// requestKeys are the keys each operation requires besides seq and op.
// An op absent from it is unknown.
var requestKeys = map[string]keySet{
	opHello: qProtocol | qClient, opPut: qID | qMemory, opGet: qID, opRemove: qID,
	opUpdateActivation: qID | qActivation, opIterate: 0, opRecall: qThreshold, opCompact: 0,
	opSync: 0, opStats: 0, opLayout: 0, opArm: qFailpoint | qAction, opDisarm: qFailpoint,
	opRelease: qFailpoint, opHits: 0,
}

// encode writes the request with exactly the keys its op requires. Writes
// to the frame buffer cannot fail; the last error is returned for form.
func (r *request) encode(enc *msgpack.Encoder) error {
	keys := requestKeys[r.Op]
	n := 2
	for k := keys; k != 0; k &= k - 1 {
		n++
	}
	enc.EncodeMapLen(n)
	encodeUintKey(enc, "seq", r.Seq)
	encodeStringKey(enc, "op", r.Op)
	if keys&qID != 0 {
		encodeStringKey(enc, "id", r.ID)
	}
	if keys&qMemory != 0 {
		enc.EncodeString("memory")
		encodeMemory(enc, &r.Memory)
	}
	if keys&qActivation != 0 {
		encodeFloatKey(enc, "activation", r.Activation)
	}
	if keys&qThreshold != 0 {
		encodeFloatKey(enc, "threshold", r.Threshold)
	}
	if keys&qFailpoint != 0 {
		encodeStringKey(enc, "failpoint", r.Failpoint)
	}
	if keys&qAction != 0 {
		enc.EncodeString("action")
		encodeAction(enc, r.Action)
	}
	if keys&qProtocol != 0 {
		encodeUintKey(enc, "protocol", r.Protocol)
		encodeStringKey(enc, "client", r.Client)
	}
	return nil
}

// decodeRequest reads a request; an error means a malformed one
// (bad-request). Required keys are checked by checkRequest.
func decodeRequest(dec *msgpack.Decoder) (request, error) {
	var r request
	err := decodeKeyed(dec, "request", requestKeyNames, &r.has, func(i int, key string) error {
		var err error
		switch key {
		case "seq":
			r.Seq, err = dec.DecodeUint64()
		case "op":
			r.Op, err = dec.DecodeString()
		case "id":
			r.ID, err = dec.DecodeString()
		case "memory":
			r.Memory, err = decodeMemory(dec, "memory")
		case "activation":
			r.Activation, err = decodeFloat32(dec)
		case "threshold":
			r.Threshold, err = decodeFloat32(dec)
		case "failpoint":
			r.Failpoint, err = dec.DecodeString()
		case "action":
			r.Action, err = decodeAction(dec)
		case "protocol":
			r.Protocol, err = dec.DecodeUint64()
		case "client":
			r.Client, err = dec.DecodeString()
		}
		return err
	})
	return r, err
}

// checkRequest reports a request whose op is unknown or that lacks a key
// its op requires.
func checkRequest(r *request) error {
	if !r.has.has(qSeq | qOp) {
		return fmt.Errorf("request: missing %s", strings.Join(missing(r.has, qSeq|qOp, requestKeyNames), ", "))
	}
	keys, ok := requestKeys[r.Op]
	if !ok {
		return fmt.Errorf("request: unknown op %q", r.Op)
	}
	if miss := missing(r.has, keys, requestKeyNames); len(miss) > 0 {
		return fmt.Errorf("request %s: missing %s", r.Op, strings.Join(miss, ", "))
	}
	return nil
}

func encodeAction(enc *msgpack.Encoder, a store.Action) {
	enc.EncodeMapLen(3)
	encodeStringKey(enc, "kind", a.Kind.String())
	encodeIntKey(enc, "delay_ns", int64(a.Delay))
	encodeUintKey(enc, "times", uint64(a.Times))
}

var actionKinds = []store.ActionKind{store.ActionOff, store.ActionPanic, store.ActionSleep, store.ActionPause, store.ActionError}

func decodeAction(dec *msgpack.Decoder) (store.Action, error) {
	var a store.Action
	err := decodeMap(dec, "action", func(key string) error {
		switch key {
		case "kind":
			s, err := dec.DecodeString()
			if err != nil {
				return err
			}
			for _, k := range actionKinds {
				if k.String() == s {
					a.Kind = k
					return nil
				}
			}
			return fmt.Errorf("unknown action kind %q", s)
		case "delay_ns":
			d, err := dec.DecodeInt64()
			a.Delay = time.Duration(d)
			return err
		case "times":
			n, err := dec.DecodeUint64()
			a.Times = int(n)
			return err
		}
		return errUnknownKey
	})
	return a, err
}
