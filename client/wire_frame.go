package client

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"

	"github.com/vmihailenco/msgpack/v5"
)

// MaxFrame is the largest frame body the protocol allows (PROTOCOL.md,
// section 2): a larger length prefix ends the connection.
const MaxFrame = 64 << 20

// frameConn is one protocol connection: frames of a 4-byte big-endian length
// and one msgpack map, written whole and read whole. Not safe for
// concurrent use: a connection carries one exchange at a time.
type frameConn struct {
	c   net.Conn
	br  *bufio.Reader
	out bytes.Buffer
	enc *msgpack.Encoder
	in  []byte
	rd  bytes.Reader
	dec *msgpack.Decoder
	gen uint64 // the Remote generation it was dialed in
}

func newFrameConn(c net.Conn) *frameConn {
	f := &frameConn{c: c, br: bufio.NewReaderSize(c, 16<<10)}
	f.enc = msgpack.NewEncoder(&f.out)
	f.dec = msgpack.NewDecoder(&f.rd)
	return f
}

// writeFrame encodes one message with encode and sends it as one frame.
func (f *frameConn) writeFrame(encode func(*msgpack.Encoder) error) error {
	f.out.Reset()
	f.out.Write([]byte{0, 0, 0, 0})
	if err := encode(f.enc); err != nil {
		return fmt.Errorf("%w: encode: %v", ErrProtocol, err)
	}
	b := f.out.Bytes()
	if len(b)-4 > MaxFrame {
		return fmt.Errorf("%w: message of %d bytes exceeds the %d-byte frame limit", ErrProtocol, len(b)-4, MaxFrame)
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	_, err := f.c.Write(b)
	return err
}

// readFrame reads one frame and returns a decoder positioned at its body;
// decodeWhole checks that the body was one value.
func (f *frameConn) readFrame() (*msgpack.Decoder, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(f.br, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > MaxFrame {
		return nil, fmt.Errorf("%w: frame length %d exceeds %d", ErrProtocol, n, MaxFrame)
	}
	if cap(f.in) < int(n) {
		f.in = make([]byte, n)
	}
	f.in = f.in[:n]
	if _, err := io.ReadFull(f.br, f.in); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	f.rd.Reset(f.in)
	f.dec.Reset(&f.rd)
	return f.dec, nil
}

// rest is how many bytes of the current frame are not decoded yet.
func (f *frameConn) rest() int { return f.rd.Len() }
