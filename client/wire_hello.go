package client

import (
	"github.com/vmihailenco/msgpack/v5"
)

// encodeHello writes the hello keys of has (a hello answer has them all).
func encodeHello(enc *msgpack.Encoder, h *Hello, has keySet) {
	if has&rProtocol != 0 {
		encodeUintKey(enc, "protocol", h.Protocol)
	}
	if has&rName != 0 {
		encodeStringKey(enc, "name", h.Name)
	}
	if has&rVersion != 0 {
		encodeStringKey(enc, "version", h.Version)
	}
	if has&rPid != 0 {
		encodeUintKey(enc, "pid", uint64(h.Pid))
	}
	if has&rCapabilities != 0 {
		enc.EncodeString("capabilities")
		encodeStrings(enc, h.CapabilityNames())
	}
	for _, f := range []struct {
		bit keySet
		key string
		v   uint64
	}{{rEmbeddingDim, "embedding_dim", h.EmbeddingDim}, {rMaxIDLen, "max_id_len", h.MaxIDLen}, {rMaxContentLen, "max_content_len", h.MaxContentLen}} {
		if has&f.bit != 0 {
			enc.EncodeString(f.key)
			enc.EncodeUint(f.v)
		}
	}
	if has&rFailpoints != 0 {
		enc.EncodeString("failpoints")
		encodeStrings(enc, h.Failpoints)
	}
	if has&rDataFiles != 0 {
		enc.EncodeString("data_files")
		encodeStrings(enc, h.DataFiles)
	}
}

// decodeHelloKey decodes one hello key of a response.
func decodeHelloKey(dec *msgpack.Decoder, key string, h *Hello) error {
	var err error
	switch key {
	case "protocol":
		h.Protocol, err = dec.DecodeUint64()
	case "name":
		h.Name, err = dec.DecodeString()
	case "version":
		h.Version, err = dec.DecodeString()
	case "pid":
		var n uint64
		n, err = dec.DecodeUint64()
		h.Pid = int(n)
	case "capabilities":
		var names []string
		names, err = decodeStrings(dec)
		h.Capabilities = h.Capabilities[:0]
		for _, n := range names {
			h.Capabilities = append(h.Capabilities, Capability(n))
		}
	case "embedding_dim":
		h.EmbeddingDim, err = dec.DecodeUint64()
	case "max_id_len":
		h.MaxIDLen, err = dec.DecodeUint64()
	case "max_content_len":
		h.MaxContentLen, err = dec.DecodeUint64()
	case "failpoints":
		h.Failpoints, err = decodeStrings(dec)
	case "data_files":
		h.DataFiles, err = decodeStrings(dec)
	default:
		return errUnknownKey
	}
	return err
}
