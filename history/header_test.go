package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// TestHeaderDigestField: which (schema, digest) headers a reader accepts,
// and the digest it reports, in both readable forms.
func TestHeaderDigestField(t *testing.T) {
	cases := []struct {
		name   string
		header map[string]any
		want   string // effective digest, or "" when refused
		err    error
	}{
		{"schema 1 without digest", map[string]any{"schema": 1}, DigestFNV1a64, nil},
		{"schema 1 naming fnv", map[string]any{"schema": 1, "digest": "fnv1a-64"}, DigestFNV1a64, nil},
		{"schema 1 naming xxh64", map[string]any{"schema": 1, "digest": "xxh64"}, "", ErrBadHeader},
		{"schema 2 xxh64", map[string]any{"schema": 2, "digest": "xxh64"}, DigestXXH64, nil},
		{"schema 2 fnv", map[string]any{"schema": 2, "digest": "fnv1a-64"}, DigestFNV1a64, nil},
		{"schema 2 without digest", map[string]any{"schema": 2}, "", ErrBadHeader},
		{"schema 2 unknown digest", map[string]any{"schema": 2, "digest": "md5"}, "", ErrBadHeader},
		{"schema 3", map[string]any{"schema": 3, "digest": "xxh64"}, "", ErrSchemaVersion},
		{"schema 0", map[string]any{"digest": "xxh64"}, "", ErrSchemaVersion},
	}
	for _, c := range cases {
		c.header["workload"] = "w"
		payload, err := msgpack.Marshal(c.header)
		if err != nil {
			t.Fatal(err)
		}
		line, err := json.Marshal(map[string]any{"header": c.header})
		if err != nil {
			t.Fatal(err)
		}
		for form, data := range map[string][]byte{"msgpack": rawHistory(payload), "jsonl": append(line, '\n')} {
			r, err := NewReader(bytes.NewReader(data), "h")
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Errorf("%s (%s): %v, want %v", c.name, form, err, c.err)
				}
				if c.err == ErrBadHeader && !strings.Contains(err.Error(), "digest") {
					t.Errorf("%s (%s): error does not name the digest field: %v", c.name, form, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s (%s): %v", c.name, form, err)
				continue
			}
			if h := r.Header(); h.Digest != c.want || h.Workload != "w" {
				t.Errorf("%s (%s): header %+v, want digest %q", c.name, form, h, c.want)
			}
		}
	}
}

// TestWritersNameDigest: every writer writes the current schema and names
// the digest; a header read from a schema 1 history keeps "fnv1a-64" (its
// events carry FNV-1a digests), a new one gets "xxh64".
func TestWritersNameDigest(t *testing.T) {
	for _, c := range []struct {
		in   Header
		want string
		bad  bool
	}{
		{Header{}, DigestXXH64, false},
		{Header{Schema: SchemaVersion}, DigestXXH64, false},
		{Header{Schema: 1}, DigestFNV1a64, false},
		{Header{Schema: 1, Digest: DigestFNV1a64}, DigestFNV1a64, false},
		{Header{Schema: SchemaVersion, Digest: DigestFNV1a64}, DigestFNV1a64, false},
		{Header{Schema: 1, Digest: DigestXXH64}, "", true},
		{Header{Digest: "crc32"}, "", true},
		{Header{Schema: SchemaVersion + 1}, "", true},
	} {
		path := filepath.Join(t.TempDir(), "h.wch")
		w, err := Create(path, c.in)
		var jbuf, ebuf bytes.Buffer
		jw, jerr := NewJSONLWriter(&jbuf, c.in)
		ew, eerr := NewEDNWriter(&ebuf, c.in)
		if c.bad {
			if err == nil || jerr == nil || eerr == nil {
				t.Errorf("%+v: accepted (%v, %v, %v)", c.in, err, jerr, eerr)
			}
			continue
		}
		if err != nil || jerr != nil || eerr != nil {
			t.Fatalf("%+v: %v, %v, %v", c.in, err, jerr, eerr)
		}
		w.Close()
		jw.Close()
		ew.Flush()
		h, _, err := ReadFile(path)
		if err != nil || h.Schema != SchemaVersion || h.Digest != c.want {
			t.Errorf("%+v: msgpack header %+v (%v), want schema %d digest %q", c.in, h, err, SchemaVersion, c.want)
		}
		w2 := jbuf.Bytes()
		h, _, err = ReadAll(bytes.NewReader(w2), "h.jsonl")
		if err != nil || h.Schema != SchemaVersion || h.Digest != c.want {
			t.Errorf("%+v: jsonl header %+v (%v)", c.in, h, err)
		}
		if !strings.Contains(ebuf.String(), `:digest "`+c.want+`"`) || !strings.HasPrefix(ebuf.String(), "; warmcheck history, schema 2\n") {
			t.Errorf("%+v: edn header %q", c.in, ebuf.String())
		}
	}
}

// TestReadsSchema1Histories reads histories written before the digest
// changed (copies of histories/bug-panic-holds-lock-seed1.wch and
// histories/valid-all-checks.jsonl, recorded with FNV-1a digests and no
// "digest" key): every event comes back, the header says fnv1a-64, and an
// export keeps saying so.
func TestReadsSchema1Histories(t *testing.T) {
	for _, name := range []string{"schema1.wch", "schema1.jsonl"} {
		h, events, err := ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if h.Schema != 1 || h.Digest != DigestFNV1a64 || len(events) < 20 {
			t.Fatalf("%s: header %+v, %d events", name, h, len(events))
		}
		if err := Validate(events); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// Exported (JSON Lines) and copied (msgpack): schema 2 with the
		// FNV digests named, same events.
		var buf bytes.Buffer
		jw, err := NewJSONLWriter(&buf, h)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "copy.wch")
		mw, err := Create(path, h)
		if err != nil {
			t.Fatal(err)
		}
		for i := range events {
			jw.Write(&events[i])
			mw.AppendPtr(&events[i])
		}
		jw.Close()
		if err := mw.Close(); err != nil {
			t.Fatal(err)
		}
		want := h
		want.Schema = SchemaVersion
		want.EndRecord = true
		for form, read := range map[string]func() (Header, []Event, error){
			"jsonl":   func() (Header, []Event, error) { return ReadAll(bytes.NewReader(buf.Bytes()), "x.jsonl") },
			"msgpack": func() (Header, []Event, error) { return ReadFile(path) },
		} {
			h2, ev2, err := read()
			if err != nil || !reflect.DeepEqual(h2, want) || !sameEvents(ev2, events) {
				t.Fatalf("%s as %s: header %+v (%v), %d events", name, form, h2, err, len(ev2))
			}
		}
	}
}

// TestIndependentReaderSchemas: readwch.py reports a schema 1 file's
// implicit digest and refuses a schema it does not know or a schema 2
// header without a digest.
func TestIndependentReaderSchemas(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	out, err := exec.Command(python, "testdata/readwch.py", "testdata/schema1.wch").Output()
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := bytes.Cut(out, []byte("\n"))
	var header map[string]any
	if err := json.Unmarshal(first, &header); err != nil || header["schema"] != 1.0 || header["digest"] != DigestFNV1a64 {
		t.Fatalf("schema 1 header %s (%v)", first, err)
	}
	if !bytes.HasSuffix(out, []byte(`{"end": "clean"}`+"\n")) {
		t.Fatalf("schema1.wch did not end clean: %s", out[max(0, len(out)-200):])
	}
	for _, h := range []map[string]any{{"schema": 3, "digest": "xxh64"}, {"schema": 2}, {"schema": 2, "digest": "md5"}} {
		payload, err := msgpack.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "bad.wch")
		os.WriteFile(path, rawHistory(payload), 0o644)
		if out, err := exec.Command(python, "testdata/readwch.py", path).CombinedOutput(); err == nil {
			t.Errorf("readwch.py accepted header %v: %s", h, out)
		}
	}
}
