package client

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// RawConn is one protocol connection that sends any msgpack value as a
// frame and returns answers as generic maps: for conformance tests, which
// must send what Remote never would (unknown ops, missing keys, chosen
// seqs) and see exactly what came back.
type RawConn struct {
	f *frameConn
}

// DialRaw connects to a target's socket.
func DialRaw(ctx context.Context, socket string) (*RawConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return nil, fmt.Errorf("%w: dial %s: %v", ErrNotSent, socket, err)
	}
	return &RawConn{f: newFrameConn(c)}, nil
}

// Send writes msg as one frame.
func (c *RawConn) Send(msg any) error {
	return c.f.writeFrame(func(enc *msgpack.Encoder) error { return enc.Encode(msg) })
}

// Receive reads one frame within timeout and decodes it as a map (integers
// as int64 or uint64).
func (c *RawConn) Receive(timeout time.Duration) (map[string]any, error) {
	c.f.c.SetReadDeadline(time.Now().Add(timeout))
	if _, err := c.f.readFrame(); err != nil {
		return nil, err
	}
	dec := msgpack.NewDecoder(bytes.NewReader(c.f.in))
	dec.UseLooseInterfaceDecoding(true)
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: answer is not a msgpack map: %v", ErrProtocol, err)
	}
	return m, nil
}

// Exchange sends msg and reads the answer.
func (c *RawConn) Exchange(msg any, timeout time.Duration) (map[string]any, error) {
	if err := c.Send(msg); err != nil {
		return nil, err
	}
	return c.Receive(timeout)
}

// Close closes the connection.
func (c *RawConn) Close() error { return c.f.c.Close() }
