package client

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/warmcheck/warmcheck/store"
)

// response is one response. has says which keys it carries (set by the
// server before encoding, by decodeResponse when decoding).
type response struct {
	Seq        uint64
	Err        *wireError // nil: the operation succeeded
	Found      bool
	Memory     store.Memory
	Placement  store.Placement
	Entries    []wireEntry
	Compaction store.CompactionStats
	Stats      store.Stats
	Hits       map[string]uint64
	Hello      Hello
	has        keySet
	// entryForm says how the server encodes Entries.
	entryForm entryForm
}

// wireError is a response's "error": a code of PROTOCOL.md section 6 and a
// message for people.
type wireError struct {
	Code    string
	Message string
}

type entryForm uint8

const (
	recallForm    entryForm = iota // id, content, confidence
	iterateForm                    // and the embedding and the recorded fields
	placementForm                  // and the placement (layout)
)

// Response key bits, in the order of responseKeyNames.
const (
	rSeq keySet = 1 << iota
	rError
	rFound
	rMemory
	rPlacement
	rEntries
	rCompaction
	rStats
	rHits
	rProtocol
	rName
	rVersion
	rPid
	rCapabilities
	rEmbeddingDim
	rMaxIDLen
	rMaxContentLen
	rFailpoints
	rDataFiles
)

var responseKeyNames = []string{"seq", "error", "found", "memory", "placement", "entries", "compaction", "stats", "hits",
	"protocol", "name", "version", "pid", "capabilities", "embedding_dim", "max_id_len", "max_content_len", "failpoints", "data_files"}

// helloRequired are the keys a hello answer must carry.
const helloRequired = rProtocol | rName | rCapabilities | rEmbeddingDim | rMaxIDLen | rMaxContentLen

const helloKeys = rProtocol | rName | rVersion | rPid | rCapabilities | rEmbeddingDim | rMaxIDLen | rMaxContentLen | rFailpoints | rDataFiles

// encode writes the keys in r.has (seq always). Writes to the frame buffer
// cannot fail.
func (r *response) encode(enc *msgpack.Encoder) error {
	r.has |= rSeq
	if r.Err != nil {
		r.has = rSeq | rError
	}
	enc.EncodeMapLen(bits.OnesCount32(uint32(r.has)))
	encodeUintKey(enc, "seq", r.Seq)
	if r.has&rError != 0 {
		enc.EncodeString("error")
		enc.EncodeMapLen(2)
		encodeStringKey(enc, "code", r.Err.Code)
		encodeStringKey(enc, "message", r.Err.Message)
	}
	if r.has&rFound != 0 {
		encodeBoolKey(enc, "found", r.Found)
	}
	if r.has&rMemory != 0 {
		enc.EncodeString("memory")
		encodeMemory(enc, &r.Memory)
	}
	if r.has&rPlacement != 0 {
		enc.EncodeString("placement")
		encodePlacement(enc, &r.Placement)
	}
	if r.has&rEntries != 0 {
		enc.EncodeString("entries")
		enc.EncodeArrayLen(len(r.Entries))
		for i := range r.Entries {
			encodeEntry(enc, &r.Entries[i], r.entryForm >= iterateForm, r.entryForm == placementForm)
		}
	}
	if r.has&rCompaction != 0 {
		enc.EncodeString("compaction")
		encodeCompaction(enc, &r.Compaction)
	}
	if r.has&rStats != 0 {
		enc.EncodeString("stats")
		encodeStats(enc, &r.Stats)
	}
	if r.has&rHits != 0 {
		enc.EncodeString("hits")
		enc.Encode(r.Hits)
	}
	if r.has&helloKeys != 0 {
		encodeHello(enc, &r.Hello, r.has)
	}
	return nil
}

// decodeResponse reads a response. entries are the keys each entry must
// carry. Which result keys the op needs is checked by the caller.
func decodeResponse(dec *msgpack.Decoder, entries keySet) (response, error) {
	var r response
	err := decodeKeyed(dec, "response", responseKeyNames, &r.has, func(i int, key string) error {
		var err error
		switch key {
		case "seq":
			r.Seq, err = dec.DecodeUint64()
		case "error":
			r.Err, err = decodeWireError(dec)
		case "found":
			r.Found, err = dec.DecodeBool()
		case "memory":
			r.Memory, err = decodeMemory(dec, "memory")
		case "placement":
			r.Placement, err = decodePlacement(dec)
		case "entries":
			r.Entries, err = decodeEntries(dec, entries)
		case "compaction":
			r.Compaction, err = decodeCompaction(dec)
		case "stats":
			r.Stats, err = decodeStats(dec)
		case "hits":
			err = dec.Decode(&r.Hits)
		default:
			err = decodeHelloKey(dec, key, &r.Hello)
		}
		return err
	})
	if r.Err == nil {
		r.has &^= rError // "error": nil is success
	}
	return r, err
}

func decodeWireError(dec *msgpack.Decoder) (*wireError, error) {
	if c, err := dec.PeekCode(); err == nil && c == msgpcode.Nil {
		return nil, dec.DecodeNil()
	}
	var e wireError
	hasCode := false
	err := decodeMap(dec, "error", func(key string) error {
		var err error
		switch key {
		case "code":
			hasCode = true
			e.Code, err = dec.DecodeString()
		case "message":
			e.Message, err = dec.DecodeString()
		default:
			return errUnknownKey
		}
		return err
	})
	if err == nil && !hasCode {
		err = errors.New("error: missing code")
	}
	return &e, err
}

// requireKeys reports the keys of want missing from a decoded response.
func (r *response) requireKeys(op string, want keySet) error {
	if miss := missing(r.has, want, responseKeyNames); len(miss) > 0 {
		return fmt.Errorf("%w: %s response: missing %s", ErrProtocol, op, strings.Join(miss, ", "))
	}
	return nil
}

var compactionKeys = []string{"epoch", "bytes_before", "bytes_after", "bytes_reclaimed", "moved", "duration_ns"}

func encodeCompaction(enc *msgpack.Encoder, c *store.CompactionStats) {
	vals := []uint64{c.Epoch, c.BytesBefore, c.BytesAfter, c.BytesReclaimed, c.Moved, uint64(c.Duration)}
	enc.EncodeMapLen(len(compactionKeys))
	for i, k := range compactionKeys {
		enc.EncodeString(k)
		enc.EncodeUint(vals[i])
	}
}

func decodeCompaction(dec *msgpack.Decoder) (store.CompactionStats, error) {
	var c store.CompactionStats
	var got keySet
	fields := []*uint64{&c.Epoch, &c.BytesBefore, &c.BytesAfter, &c.BytesReclaimed, &c.Moved}
	err := decodeKeyed(dec, "compaction", compactionKeys, &got, func(i int, key string) error {
		n, err := dec.DecodeInt64()
		if i < len(fields) {
			*fields[i] = uint64(n)
		} else {
			c.Duration = time.Duration(n)
		}
		return err
	})
	if err == nil {
		err = requireAll("compaction", got&(1<<len(fields)-1), compactionKeys[:len(fields)]) // duration_ns is optional
	}
	return c, err
}

var statsKeys = []string{"live", "slots_in_use", "slots_total", "content_bytes_total", "content_bytes_live",
	"fragmentation", "compactions", "bytes_reclaimed", "epoch", "torn_discarded", "file_bytes"}

func statsFields(s *store.Stats) []*uint64 {
	return []*uint64{&s.Live, &s.SlotsInUse, &s.SlotsTotal, &s.ContentBytesTotal, &s.ContentBytesLive,
		nil, &s.Compactions, &s.BytesReclaimed, &s.Epoch, &s.TornDiscarded, &s.FileBytes}
}

func encodeStats(enc *msgpack.Encoder, s *store.Stats) {
	enc.EncodeMapLen(len(statsKeys))
	for i, f := range statsFields(s) {
		enc.EncodeString(statsKeys[i])
		if f == nil {
			enc.EncodeFloat64(s.Fragmentation)
		} else {
			enc.EncodeUint(*f)
		}
	}
}

func decodeStats(dec *msgpack.Decoder) (store.Stats, error) {
	var s store.Stats
	var got keySet
	fields := statsFields(&s)
	err := decodeKeyed(dec, "stats", statsKeys, &got, func(i int, key string) error {
		var err error
		if fields[i] == nil {
			s.Fragmentation, err = dec.DecodeFloat64()
		} else {
			*fields[i], err = dec.DecodeUint64()
		}
		return err
	})
	if err == nil {
		err = requireAll("stats", got, statsKeys)
	}
	return s, err
}
