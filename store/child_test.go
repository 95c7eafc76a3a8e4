package store_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// testChild is this test binary started as a child process running one
// test (the child side of a crash test), with its stdout as lines.
type testChild struct {
	cmd    *exec.Cmd
	lines  <-chan string // closed when the child's stdout ends
	stderr *bytes.Buffer
}

// startTestChild starts the test named test (its -test.run pattern) in a
// child process with env added to this process's environment.
func startTestChild(t *testing.T, test string, env ...string) testChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return testChild{cmd: cmd, lines: lines, stderr: stderr}
}
