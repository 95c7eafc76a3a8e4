package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/warmcheck/warmcheck/history"
)

// exportCommand converts a history (msgpack or JSON Lines) to JSON Lines or
// Jepsen EDN, streaming: memory stays constant whatever the history's size.
func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "convert a history to JSON Lines or Jepsen EDN",
		ArgsUsage: "PATH",
		Description: "PATH is a history file (msgpack or JSON Lines) or a run directory holding history.wch.\n" +
			"Flags may come before or after PATH. A damaged tail is reported on stderr with its byte\n" +
			"offset; everything before it is exported and the exit code is 0.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "jsonl", Usage: "output format: jsonl or edn"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output file (default: stdout)"},
		},
		Action: func(c *cli.Context) error {
			opts, err := exportArgs(c.String("format"), c.String("out"), c.Args().Slice())
			if err != nil {
				return usageError{fmt.Errorf("export: %w", err)}
			}
			return runExport(opts, c.App.Writer, c.App.ErrWriter)
		},
	}
}

type exportOptions struct {
	path, format, out string
}

// exportArgs accepts the flags after PATH too (urfave/cli stops parsing
// flags at the first argument, and the documented form is
// "export PATH --format edn").
func exportArgs(format, out string, args []string) (exportOptions, error) {
	opts := exportOptions{format: format, out: out}
	var paths []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			paths = append(paths, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			paths = append(paths, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var dst *string
		switch name {
		case "format", "f":
			dst = &opts.format
		case "out", "o":
			dst = &opts.out
		default:
			return opts, fmt.Errorf("unknown flag %s", a)
		}
		if !hasValue {
			if i+1 >= len(args) {
				return opts, fmt.Errorf("flag %s needs a value", a)
			}
			i++
			value = args[i]
		}
		*dst = value
	}
	if len(paths) != 1 {
		return opts, fmt.Errorf("want exactly one PATH, got %d (%q)", len(paths), paths)
	}
	opts.path = paths[0]
	if opts.format != "jsonl" && opts.format != "edn" {
		return opts, fmt.Errorf("--format %q: want jsonl or edn", opts.format)
	}
	return opts, nil
}

// eventWriter is what JSONLWriter and EDNWriter have in common.
type eventWriter interface {
	Write(*history.Event) error
	Flush() error
}

func runExport(opts exportOptions, stdout, stderr io.Writer) (err error) {
	path := opts.path
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "history.wch")
	}
	r, err := history.Open(path)
	if err != nil {
		return usageError{fmt.Errorf("export: %w", err)}
	}
	defer r.Close()

	dst := stdout
	if opts.out != "" {
		if same(opts.out, path) {
			return usageError{fmt.Errorf("export: --out %s is the history being read", opts.out)}
		}
		f, err := os.Create(opts.out)
		if err != nil {
			return usageError{fmt.Errorf("export: %w", err)}
		}
		defer func() {
			if cerr := f.Close(); err == nil && cerr != nil {
				err = usageError{fmt.Errorf("export: %w", cerr)}
			}
		}()
		dst = f
	}
	var w eventWriter
	if opts.format == "edn" {
		w, err = history.NewEDNWriter(dst, r.Header())
	} else {
		w, err = history.NewJSONLWriter(dst, r.Header())
	}
	if err != nil {
		return usageError{fmt.Errorf("export: %w", err)}
	}
	n := 0
	var dmg *history.DamageError
	for {
		e, rerr := r.Next()
		if rerr == io.EOF {
			break
		}
		if errors.As(rerr, &dmg) {
			fmt.Fprintf(stderr, "warmcheck: warning: %v; exported the %d intact events before byte %d\n", dmg, n, dmg.Offset)
			break
		}
		if rerr != nil {
			w.Flush()
			return usageError{fmt.Errorf("export: %w", rerr)}
		}
		if err := w.Write(&e); err != nil {
			return usageError{fmt.Errorf("export %s: %w", path, err)}
		}
		n++
	}
	// Only a complete history gets the end line: an export of a torn or
	// corrupt one must read back as cut off, not as whole.
	closer, ends := w.(interface{ Close() error })
	if ends && dmg == nil {
		err = closer.Close()
	} else {
		err = w.Flush()
	}
	if err != nil {
		return usageError{fmt.Errorf("export: %w", err)}
	}
	if dmg != nil && dmg.Completeness != history.Torn {
		return usageError{fmt.Errorf("export: %w; exported only the events before it, without an end line", dmg)}
	}
	return nil
}

// same reports whether a and b name the same existing file.
func same(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
