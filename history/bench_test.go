package history

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// benchEvents is the realistic mix of sampleEvents (mostly put/get
// invoke+ok with 12-character ids).
// Built on first use, not at package init, so that tests (and the killed
// child processes of kill_test.go) do not pay for it.
var benchEvents = sync.OnceValue(func() []Event { return sampleEvents(100_000, 99) })

// BenchmarkWrite measures Writer.Append into a real file (chunk writes
// included, final fsync excluded) and reports events/s and bytes/event.
func BenchmarkWrite(b *testing.B) {
	events := benchEvents()
	path := filepath.Join(b.TempDir(), "bench.wch")
	w, err := Create(path, testHeader)
	if err != nil {
		b.Fatal(err)
	}
	start := w.off
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.AppendPtr(&events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	size := w.off - start
	w.Close()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(size)/float64(b.N), "bytes/event")
}

// BenchmarkRead measures Reader.Next over an in-memory copy of a written
// history (decode, checksum and framing; no disk I/O).
func BenchmarkRead(b *testing.B) {
	events := benchEvents()
	path := filepath.Join(b.TempDir(), "bench.wch")
	w, err := Create(path, testHeader)
	if err != nil {
		b.Fatal(err)
	}
	for i := range events {
		w.AppendPtr(&events[i])
	}
	w.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	n := 0
	for n < b.N {
		r, err := NewReader(bytes.NewReader(data), "bench")
		if err != nil {
			b.Fatal(err)
		}
		for n < b.N {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(len(data))/float64(len(events)), "bytes/event")
}

// BenchmarkLibraryArrayEncode and BenchmarkLibraryArrayDecode measure the
// msgpack library's reflection-based array encoding of the same events, the
// alternative to the hand-written codec (same wire shape: msgpack arrays).
func BenchmarkLibraryArrayEncode(b *testing.B) {
	events := benchEvents()
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseArrayEncodedStructs(true)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if buf.Len() > 1<<20 {
			buf.Reset()
		}
		if err := enc.Encode(&events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkLibraryArrayDecode(b *testing.B) {
	events := benchEvents()
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseArrayEncodedStructs(true)
	for i := range events {
		enc.Encode(&events[i])
	}
	b.ReportMetric(float64(buf.Len())/float64(len(events)), "bytes/event")
	data := buf.Bytes()
	b.ResetTimer()
	var dec *msgpack.Decoder
	for i := 0; i < b.N; i++ {
		if i%len(events) == 0 {
			dec = msgpack.NewDecoder(bytes.NewReader(data))
		}
		var e Event
		if err := dec.Decode(&e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
