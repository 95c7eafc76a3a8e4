package conformance

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/warmcheck/warmcheck/client"
)

// fakeEnv makes the test binary a target: "builtin" serves the built-in
// store, "minimal" the same declaring no optional capability; any other
// value is a broken proxy in front of it (see breakAnswer).
const fakeEnv = "WARMCHECK_CONFORMANCE_FAKE"

func TestMain(m *testing.M) {
	switch mode := os.Getenv(fakeEnv); mode {
	case "":
		os.Exit(m.Run())
	case "builtin", "minimal":
		var args []string
		if mode == "minimal" { // no optional capability at all
			args = []string{"--declare", "none"}
		}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		code := client.ServeMain(ctx, args, os.Stderr)
		stop()
		os.Exit(code)
	default:
		os.Exit(brokenProxy(mode))
	}
}

// brokenProxy serves the built-in store on an inner socket and relays each
// connection to it, breaking the protocol as mode says.
func brokenProxy(mode string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	outer := os.Getenv(client.EnvSocket)
	inner := filepath.Join(filepath.Dir(outer), "inner.sock")
	go client.Serve(ctx, client.ServeConfig{Dir: os.Getenv(client.EnvDataDir), Socket: inner})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if c, err := net.Dial("unix", inner); err == nil {
			c.Close()
			break
		} else if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	ln, err := net.Listen("unix", outer)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	context.AfterFunc(ctx, func() { ln.Close() })
	for {
		c, err := ln.Accept()
		if err != nil {
			return 0
		}
		go relay(mode, c, inner)
	}
}

func relay(mode string, down net.Conn, inner string) {
	defer down.Close()
	up, err := net.Dial("unix", inner)
	if err != nil {
		return
	}
	defer up.Close()
	for {
		req, err := readMap(down)
		if err != nil {
			return
		}
		resp, forward := breakRequest(mode, req)
		if forward {
			if err := writeMap(up, req); err != nil {
				return
			}
			if resp, err = readMap(up); err != nil {
				return
			}
			breakAnswer(mode, req, resp)
		}
		if writeMap(down, resp) != nil {
			return
		}
	}
}

// breakRequest answers a request itself (forward false) the wrong way.
func breakRequest(mode string, req map[string]any) (map[string]any, bool) {
	id, _ := req["id"].(string)
	if mode == "bad-id-accepted" && req["op"] == "put" && (id == "" || len(id) > 200) {
		return map[string]any{"seq": req["seq"], "placement": map[string]any{"slot": 0, "has_content": false, "offset": 0, "length": 0, "epoch": 0}}, false
	}
	if mode == "slow-get" && req["op"] == "get" {
		time.Sleep(time.Second)
	}
	return nil, true
}

// breakAnswer spoils an answer of the real store.
func breakAnswer(mode string, req, resp map[string]any) {
	switch {
	case mode == "wrong-seq" && req["op"] == "get":
		resp["seq"] = toUint(resp["seq"]) + 1
	case mode == "missing-as-error" && req["op"] == "get" && resp["found"] == false:
		delete(resp, "found")
		resp["error"] = map[string]any{"code": "not-found", "message": "no such id"}
	case mode == "hello-without-capabilities" && req["op"] == "hello":
		delete(resp, "capabilities")
	}
}

func readMap(r io.Reader) (map[string]any, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(hdr[:]))
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	dec := msgpack.NewDecoder(bytes.NewReader(body))
	dec.UseLooseInterfaceDecoding(true)
	var m map[string]any
	return m, dec.Decode(&m)
}

func writeMap(w io.Writer, m map[string]any) error {
	body, err := msgpack.Marshal(m)
	if err != nil {
		return err
	}
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	_, err = w.Write(append(frame, body...))
	return err
}

func testExecutable(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}
