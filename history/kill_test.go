package history

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const killChildEnv = "WARMCHECK_HISTORY_KILL_CHILD"

// killEvents is the deterministic sequence the child writes.
func killEvents() []Event { return sampleEvents(25_000, 77) }

// TestKilledWriterLeavesReadableHistory SIGKILLs a process that is
// appending and flushing, at varying moments, and checks that the file
// holds exactly a prefix of what was appended, at least everything whose
// Flush had returned before the kill.
func TestKilledWriterLeavesReadableHistory(t *testing.T) {
	if path := os.Getenv(killChildEnv); path != "" {
		killChild(path)
		return
	}
	events := killEvents()
	for round, waitFor := range []int{1, 2_000, 10_000} {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("killed-%d.wch", round))
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriterLeavesReadableHistory$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		flushed := 0
		sc := bufio.NewScanner(out)
		for flushed < waitFor && sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "flushed "); ok {
				flushed, _ = strconv.Atoi(n)
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		go func() {
			for sc.Scan() {
			}
		}()
		cmd.Wait()
		if flushed < waitFor {
			t.Fatalf("round %d: child flushed only %d events before exiting", round, flushed)
		}
		_, got, err := ReadFile(path)
		// Killed before Close: torn (no end record, or a chunk cut short),
		// never complete and never corrupt. Killed after it: complete.
		if closed := err == nil && len(got) == len(events); !closed && !errors.Is(err, ErrTorn) {
			t.Fatalf("round %d: %d events, %v; want a torn tail", round, len(got), err)
		}
		if len(got) < flushed {
			t.Fatalf("round %d: %d events readable, %d were flushed before the kill", round, len(got), flushed)
		}
		if !sameEvents(got, events[:len(got)]) {
			t.Fatalf("round %d: the readable events are not a prefix of the written ones", round)
		}
		t.Logf("round %d: killed after %d flushed, %d readable, tail: %v", round, flushed, len(got), err)
	}
}

// killChild appends killEvents forever (cycling), flushing every 37 events
// and reporting each flush on stdout, until it is killed.
func killChild(path string) {
	events := killEvents()
	w, err := Create(path, testHeader)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for i := range events {
		if err := w.Append(events[i]); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		if (i+1)%37 == 0 {
			if err := w.Flush(); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			fmt.Printf("flushed %d\n", i+1)
		}
	}
	w.Close()
	time.Sleep(time.Minute) // wait to be killed
	os.Exit(0)
}
