package client

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// ProtocolVersion is the version of PROTOCOL.md this package speaks.
const ProtocolVersion = 1

// Capability is an optional part of the protocol a target declares in its
// hello (PROTOCOL.md, section 5).
type Capability string

const (
	CapPlacements    Capability = history.ReportsPlacements
	CapLayout        Capability = history.ReportsLayout
	CapStats         Capability = history.ReportsStats
	CapCompact       Capability = "compact"
	CapFailpoints    Capability = "failpoints"
	CapDurableImages Capability = "durable-images"
)

// AllCapabilities lists the capabilities this package knows, in the order
// PROTOCOL.md lists them.
var AllCapabilities = []Capability{CapPlacements, CapLayout, CapStats, CapCompact, CapFailpoints, CapDurableImages}

// Hello is a target's answer to the handshake.
type Hello struct {
	Protocol      uint64
	Name          string
	Version       string
	Pid           int
	Capabilities  []Capability
	EmbeddingDim  uint64
	MaxIDLen      uint64
	MaxContentLen uint64
	Failpoints    []string
	DataFiles     []string // glob patterns relative to the data directory
}

// Has reports whether the target declared c.
func (h *Hello) Has(c Capability) bool { return h != nil && slices.Contains(h.Capabilities, c) }

// CapabilityNames are the declared capabilities as strings, for headers and reports.
func (h *Hello) CapabilityNames() []string {
	out := make([]string, 0, len(h.Capabilities))
	for _, c := range h.Capabilities {
		out = append(out, string(c))
	}
	return out
}

// Limits the workloads need from a target (PROTOCOL.md, section 5).
const (
	minIDLen      = 64
	minContentLen = 64 << 10
	maxContentLen = 60 << 20
)

// validate checks a hello against what warmcheck needs; its error names the
// offending field.
func (h *Hello) validate() error {
	switch {
	case h.Protocol != ProtocolVersion:
		return fmt.Errorf("%w: hello: protocol %d, warmcheck speaks %d", ErrHandshake, h.Protocol, ProtocolVersion)
	case h.Name == "":
		return fmt.Errorf("%w: hello: name is empty", ErrHandshake)
	case h.EmbeddingDim != store.EmbeddingDim:
		return fmt.Errorf("%w: hello: embedding_dim %d, the workloads write %d", ErrHandshake, h.EmbeddingDim, store.EmbeddingDim)
	case h.MaxIDLen < minIDLen:
		return fmt.Errorf("%w: hello: max_id_len %d, the workloads need at least %d", ErrHandshake, h.MaxIDLen, minIDLen)
	case h.MaxContentLen < minContentLen || h.MaxContentLen > maxContentLen:
		return fmt.Errorf("%w: hello: max_content_len %d, want %d to %d", ErrHandshake, h.MaxContentLen, minContentLen, maxContentLen)
	case h.Has(CapDurableImages) && len(h.DataFiles) == 0:
		return fmt.Errorf("%w: hello: capability durable-images without data_files", ErrHandshake)
	}
	for _, p := range h.DataFiles {
		if _, err := path.Match(p, ""); err != nil || p == "" || strings.Contains(p, "/") {
			return fmt.Errorf("%w: hello: data_files pattern %q is not a glob of file names", ErrHandshake, p)
		}
	}
	return nil
}

// IsDataFile reports whether name (a file in the data directory) matches
// one of the target's data_files patterns.
func (h *Hello) IsDataFile(name string) bool {
	for _, p := range h.DataFiles {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}
