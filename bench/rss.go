package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// RSS is the resident set of this process as /proc/self/status reports it,
// in bytes. VmRSS = RssAnon + RssFile + RssShmem; RssFile counts pages of
// mapped files (the store's data), RssAnon the Go heap and stacks.
type RSS struct {
	VmRSS   uint64 `json:"vmrss"`
	RssAnon uint64 `json:"rss_anon"`
	RssFile uint64 `json:"rss_file"`
}

// ReadRSS reads /proc/self/status.
func ReadRSS() (RSS, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return RSS{}, fmt.Errorf("bench: read RSS: %w", err)
	}
	defer f.Close()
	return parseStatus(f, "/proc/self/status")
}

// parseStatus reads the VmRSS, RssAnon and RssFile lines ("VmRSS:  1234 kB").
func parseStatus(r io.Reader, name string) (RSS, error) {
	var rss RSS
	found := 0
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *uint64
		switch key {
		case "VmRSS":
			dst = &rss.VmRSS
		case "RssAnon":
			dst = &rss.RssAnon
		case "RssFile":
			dst = &rss.RssFile
		default:
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return RSS{}, fmt.Errorf("%w: %s line %d: field %s: want \"N kB\", got %q", ErrBadSample, name, line, key, strings.TrimSpace(rest))
		}
		kb, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return RSS{}, fmt.Errorf("%w: %s line %d: field %s: %v", ErrBadSample, name, line, key, err)
		}
		*dst = kb * 1024
		found++
	}
	if err := sc.Err(); err != nil {
		return RSS{}, fmt.Errorf("bench: read %s: %w", name, err)
	}
	if found != 3 {
		return RSS{}, fmt.Errorf("%w: %s: missing VmRSS, RssAnon or RssFile", ErrBadSample, name)
	}
	return rss, nil
}
