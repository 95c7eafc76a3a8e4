package history

import (
	"bufio"
	"encoding"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// EDN form of a history, in the shape of Jepsen's history.edn (FORMAT.md,
// "EDN"): one op map per line,
//
//	{:type :invoke, :f :put, :value {:id "m1", :input {...}}, :process 3, :time 12345, :index 7, :worker 3}
//
// Client operations have integer processes; nemesis events are
// {:type :info, :f :start-<fault> or :stop-<fault>, :process :nemesis, ...}
// and snapshots {:type :info, :f :snapshot, :process :snapshot, ...}, so
// tools that keep integer processes as client operations (Jepsen, Elle)
// ignore them. Nested values use the JSON Lines field names with '_'
// spelled '-' as keywords. The header is written as ';' comment lines.

// EDNWriter writes a history as EDN. It buffers; call Flush.
type EDNWriter struct {
	bw  *bufio.Writer
	buf []byte
}

// NewEDNWriter writes the header as comment lines (current schema, digest
// named; see Create).
func NewEDNWriter(w io.Writer, h Header) (*EDNWriter, error) {
	if err := normalizeHeader(&h); err != nil {
		return nil, fmt.Errorf("edn %w", err)
	}
	h.EndRecord = false // EDN is export only and has no end record
	bw := bufio.NewWriterSize(w, 64<<10)
	e := &EDNWriter{bw: bw}
	e.buf = append(e.buf[:0], "; warmcheck history, schema "...)
	e.buf = strconv.AppendUint(e.buf, uint64(h.Schema), 10)
	e.buf = append(e.buf, "\n; header "...)
	e.buf = appendEDN(e.buf, reflect.ValueOf(h), 0)
	e.buf = append(e.buf, '\n')
	_, err := bw.Write(e.buf)
	return e, err
}

// Write writes one op map and a newline.
func (w *EDNWriter) Write(e *Event) error {
	w.buf = AppendEDNEvent(w.buf[:0], e)
	w.buf = append(w.buf, '\n')
	_, err := w.bw.Write(w.buf)
	return err
}

// Flush writes buffered lines to the underlying writer.
func (w *EDNWriter) Flush() error { return w.bw.Flush() }

// AppendEDNEvent appends the EDN op map of e (no newline).
func AppendEDNEvent(b []byte, e *Event) []byte {
	b = append(b, "{:type "...)
	b = appendKeyword(b, e.Type.String())
	b = append(b, ", :f "...)
	var value []field
	switch e.Kind {
	case KindOp:
		b = appendKeyword(b, e.Op.String())
		if e.ID != "" {
			value = append(value, field{"id", reflect.ValueOf(e.ID)})
		}
		if e.Input != nil {
			value = append(value, field{"input", reflect.ValueOf(e.Input).Elem()})
		}
		if e.Output != nil {
			value = append(value, field{"output", reflect.ValueOf(e.Output).Elem()})
		}
	case KindNemesis:
		f := "nemesis"
		if e.Nemesis != nil {
			switch e.Nemesis.Phase {
			case NemesisStart:
				f = "start-" + e.Nemesis.Fault
			case NemesisEnd:
				f = "stop-" + e.Nemesis.Fault
			default:
				f = "nemesis-" + e.Nemesis.Fault
			}
			value = structFields(reflect.ValueOf(e.Nemesis).Elem())
		}
		b = appendKeyword(b, f)
	case KindSnapshot:
		b = appendKeyword(b, "snapshot")
		if e.Snapshot != nil {
			value = structFields(reflect.ValueOf(e.Snapshot).Elem())
		}
	default:
		b = appendKeyword(b, e.Kind.String())
	}
	b = append(b, ", :value "...)
	if len(value) == 0 {
		b = append(b, "nil"...)
	} else {
		b = appendFields(b, value, 1)
	}
	b = append(b, ", :process "...)
	switch e.Kind {
	case KindOp:
		b = strconv.AppendInt(b, e.Process, 10)
	case KindSnapshot:
		b = append(b, ":snapshot"...)
	default:
		b = append(b, ":nemesis"...)
	}
	b = append(b, ", :time "...)
	b = strconv.AppendInt(b, e.Time, 10)
	b = append(b, ", :index "...)
	b = strconv.AppendUint(b, e.Index, 10)
	if e.Kind == KindOp {
		b = append(b, ", :worker "...)
		b = strconv.AppendInt(b, int64(e.Worker), 10)
	}
	if e.Error != "" {
		b = append(b, ", :error "...)
		b = appendEDNString(b, e.Error)
	}
	return append(b, '}')
}

type field struct {
	name string
	v    reflect.Value
}

var textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()

// structFields lists a struct's fields by their json names, dropping
// omitempty fields that are empty (the JSON Lines rules).
func structFields(v reflect.Value) []field {
	t := v.Type()
	fs := make([]field, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fv := v.Field(i)
		if strings.Contains(opts, "omitempty") && fv.IsZero() {
			continue
		}
		if (fv.Kind() == reflect.Slice || fv.Kind() == reflect.Map) && fv.Len() == 0 && strings.Contains(opts, "omitempty") {
			continue
		}
		if t == valueType && !v.Interface().(Value).Recorded && isRecordedName(name) {
			continue // not recorded: no key, as in JSON Lines
		}
		fs = append(fs, field{name, fv})
	}
	return fs
}

var valueType = reflect.TypeFor[Value]()

// isRecordedName says whether a Value field is one Value.Recorded governs.
func isRecordedName(name string) bool {
	switch name {
	case "decay_rate", "created_at", "last_access":
		return true
	}
	return false
}

func appendFields(b []byte, fs []field, depth int) []byte {
	b = append(b, '{')
	for i, f := range fs {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendKeyword(b, strings.ReplaceAll(f.name, "_", "-"))
		b = append(b, ' ')
		b = appendEDN(b, f.v, depth+1)
	}
	return append(b, '}')
}

// appendEDN writes any value of the history types: structs as keyword maps,
// enums (TextMarshalers) as keywords, maps with string keys, slices as
// vectors, floats with an explicit fraction and ##NaN/##Inf.
func appendEDN(b []byte, v reflect.Value, depth int) []byte {
	if depth > 32 {
		return append(b, "nil"...)
	}
	if v.Kind() != reflect.Pointer && v.Type().Implements(textMarshaler) {
		text, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return append(b, "nil"...)
		}
		return appendKeyword(b, string(text))
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, "nil"...)
		}
		return appendEDN(b, v.Elem(), depth+1)
	case reflect.Struct:
		return appendFields(b, structFields(v), depth)
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		// EDN integers are arbitrary precision; Clojure reads values above
		// 2^63-1 as BigInt.
		return strconv.AppendUint(b, v.Uint(), 10)
	case reflect.Float32:
		return appendEDNFloat(b, v.Float(), 32)
	case reflect.Float64:
		return appendEDNFloat(b, v.Float(), 64)
	case reflect.String:
		return appendEDNString(b, v.String())
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return append(b, "nil"...)
		}
		b = append(b, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b = append(b, ' ')
			}
			b = appendEDN(b, v.Index(i), depth+1)
		}
		return append(b, ']')
	case reflect.Map:
		if v.IsNil() {
			return append(b, "nil"...)
		}
		keys := v.MapKeys()
		sortValues(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendEDN(b, k, depth+1)
			b = append(b, ' ')
			b = appendEDN(b, v.MapIndex(k), depth+1)
		}
		return append(b, '}')
	}
	return appendEDNString(b, fmt.Sprint(v.Interface()))
}

// sortValues orders map keys so that the output is deterministic.
func sortValues(keys []reflect.Value) {
	less := func(a, b reflect.Value) bool { return fmt.Sprint(a.Interface()) < fmt.Sprint(b.Interface()) }
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && less(keys[j], keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}

func appendEDNFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "##NaN"...)
	case math.IsInf(f, 1):
		return append(b, "##Inf"...)
	case math.IsInf(f, -1):
		return append(b, "##-Inf"...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, bits)
	if !strings.ContainsAny(string(b[start:]), ".e") {
		b = append(b, ".0"...)
	}
	return b
}

// appendKeyword writes :name, replacing characters a keyword cannot hold
// (EDN symbols: alphanumerics and . * + ! - _ ? $ % & = < > /, not
// starting with a digit) with '-'.
func appendKeyword(b []byte, name string) []byte {
	b = append(b, ':')
	if name == "" {
		return append(b, '_')
	}
	for i, r := range name {
		ok := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune(".*+!-_?$%&=<>", r) || r >= '0' && r <= '9' && i > 0)
		if !ok {
			r = '-'
		}
		b = append(b, byte(r))
	}
	return b
}

// appendEDNString writes a double-quoted EDN string. Invalid UTF-8 becomes
// U+FFFD; control characters use \uXXXX escapes.
func appendEDNString(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch r {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\t':
			b = append(b, `\t`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			if r < 0x20 || r == 0x7f {
				b = append(b, fmt.Sprintf(`\u%04x`, r)...)
			} else {
				b = utf8.AppendRune(b, r)
			}
		}
	}
	return append(b, '"')
}
