package history

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

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
	m := startCPU(b)
	for i := 0; i < b.N; i++ {
		if err := w.AppendPtr(&events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	m.report(b, b.N)
	size := w.off - start
	w.Close()
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
	m := startCPU(b)
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
	m.report(b, b.N)
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
	m := startCPU(b)
	for i := 0; i < b.N; i++ {
		if buf.Len() > 1<<20 {
			buf.Reset()
		}
		if err := enc.Encode(&events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
	}
	m.report(b, b.N)
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
	m := startCPU(b)
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
	m.report(b, b.N)
}

// BenchmarkReadFile is BenchmarkRead through Open on a file on disk (page
// cache warm).
func BenchmarkReadFile(b *testing.B) {
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
	m := startCPU(b)
	n := 0
	for n < b.N {
		r, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		for n < b.N {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			n++
		}
		r.Close()
	}
	m.report(b, b.N)
}

// BenchmarkReadJSONL measures the JSON Lines path of the same Reader.
func BenchmarkReadJSONL(b *testing.B) {
	events := benchEvents()[:20_000]
	data := writeJSONL(b, events)
	m := startCPU(b)
	n := 0
	for n < b.N {
		r, err := NewReader(bytes.NewReader(data), "bench.jsonl")
		if err != nil {
			b.Fatal(err)
		}
		for n < b.N {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	m.report(b, b.N)
	b.ReportMetric(float64(len(data))/float64(len(events)), "bytes/event")
}

// cpuTime is this process's user+system CPU time. The benchmark machine is
// shared, so wall-clock events/s depend on the neighbours' load; events per
// CPU-second do much less (GC work on other threads is included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMeter reports events per CPU-second next to the wall-clock rate.
type cpuMeter struct{ start time.Duration }

func startCPU(b *testing.B) cpuMeter {
	b.ResetTimer()
	return cpuMeter{cpuTime()}
}

func (m cpuMeter) report(b *testing.B, events int) {
	b.StopTimer()
	used := cpuTime() - m.start
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	if used > 0 {
		b.ReportMetric(float64(events)/used.Seconds(), "events/cpu-s")
	}
}
