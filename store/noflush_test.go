package store

import (
	"bytes"
	"fmt"
	"testing"
)

// A store opened with NoFlush keeps every file it maps (the compaction's new
// content file too) out of the disk flush, and loses nothing the process can
// read: a Sync, a compaction and a reopen give back what was put.
func TestNoFlushKeepsWhatTheProcessSees(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{NoFlush: true, GroupCommit: -1})
	for i := range 50 {
		if _, err := s.Put(fmt.Sprintf("m%d", i), Memory{Content: []byte(fmt.Sprintf("content %d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	files := []*mappedFile{s.blocks}
	for _, cf := range s.epochs.Load().files {
		files = append(files, cf.mf)
	}
	if s.epochs.Load().current().epoch == 0 {
		t.Fatal("no compaction's content file to look at")
	}
	for _, mf := range files {
		if !mf.noFlush {
			t.Errorf("%s is flushed to disk under NoFlush", mf.path)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, noFlush := range []bool{true, false} {
		r, err := Open(dir, Options{NoFlush: noFlush})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			want := []byte(fmt.Sprintf("content %d", i))
			if g := mustGet(t, r, fmt.Sprintf("m%d", i)); !bytes.Equal(g.Content, want) {
				t.Fatalf("m%d: %q, want %q", i, g.Content, want)
			}
		}
		if r.blocks.noFlush != noFlush {
			t.Fatalf("reopened with NoFlush=%v: blocks noFlush %v", noFlush, r.blocks.noFlush)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
