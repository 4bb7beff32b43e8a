// Package report is the last room of the loop: it turns a scan result (match.Result) into what
// people and tools read — a terminal table, hallmark's versioned scan JSON, SARIF 2.1.0 for
// code-scanning UIs, a CycloneDX 1.6 BOM with vulnerabilities, and OpenVEX. Each format is a
// Handler fed one stream of typed messages (Stream); a result saved as JSON and read back with
// ReadJSON replays through any of them, so `scan -o json` once and render later loses nothing.
package report

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/match"
)

// Options controls Write.
type Options struct {
	// Format is one of Formats; "" means "table".
	Format string
	// ToolName and ToolVersion name the producing tool in the formats that record it; they
	// default to hallmark and the running binary's version.
	ToolName, ToolVersion string
	// Timestamp is when the scan ran. Zero leaves it out of every format (for output that
	// depends on the result only) and turns off the table's database age.
	Timestamp time.Time
	// Width is the table's line width in terminal columns; 0 means 80. No line is longer.
	Width int
	// Author is who vouches for an OpenVEX document's statements (openvex only).
	Author string
	// ShowSuppressed lists suppressed findings in the table; they are always counted in its
	// footer, and the structured formats always carry them with their suppression.
	ShowSuppressed bool
}

// Formats are the names Options.Format accepts, in the order help text lists them.
var Formats = []string{"table", "json", "sarif", "cyclonedx-json", "openvex"}

// ErrFormat is returned for an Options.Format not in Formats; the message lists the valid ones.
var ErrFormat = errors.New("unknown output format")

// Header is the first message of a stream: what was scanned, and against which database.
type Header struct {
	Subject inventory.Subject
	// Inventory is the matched inventory; nil when it is not known (e.g. a result assembled
	// from findings alone).
	Inventory *inventory.Inventory
	DB        match.DBInfo
	// Unmatched counts packages that could not be looked up, by reason.
	Unmatched map[string]int
}

// Handler receives a scan result as a stream of messages: one Header, then Findings in
// priority order, then Upgrades and Warnings, then Flush. Formats that are one document
// (everything but a streaming log) write it on Flush; a Handler writes nothing after an error.
type Handler interface {
	Header(*Header) error
	Finding(*match.Finding) error
	Upgrade(match.Upgrade) error
	Warning(string) error
	Flush() error
}

// New returns the Handler for opts.Format writing to w.
func New(w io.Writer, opts Options) (Handler, error) {
	if opts.Width < 0 {
		return nil, fmt.Errorf("report: negative table width %d", opts.Width)
	}
	switch opts.Format {
	case "", "table":
		return &tableHandler{w: w, opts: opts}, nil
	case "json":
		return &jsonHandler{w: w, opts: opts}, nil
	case "sarif":
		return &sarifHandler{w: w, opts: opts}, nil
	case "cyclonedx-json":
		return &cyclonedxHandler{w: w, opts: opts}, nil
	case "openvex":
		return &openvexHandler{w: w, opts: opts}, nil
	}
	return nil, fmt.Errorf("report: %w %q (valid: %s)", ErrFormat, opts.Format, strings.Join(Formats, ", "))
}

// Write renders res in opts.Format to w.
func Write(w io.Writer, res *match.Result, opts Options) error {
	h, err := New(w, opts)
	if err != nil {
		return err
	}
	return Stream(res, h)
}

// Stream sends res to h as messages. It refuses a result whose findings or upgrades lack the
// package or id every format needs, before h sees anything, so no format writes half a report.
func Stream(res *match.Result, h Handler) error {
	if err := check(res); err != nil {
		return err
	}
	if err := h.Header(&Header{Subject: res.Subject, Inventory: res.Inventory, DB: res.DB, Unmatched: res.Unmatched}); err != nil {
		return err
	}
	for _, f := range res.Findings {
		if err := h.Finding(f); err != nil {
			return err
		}
	}
	for _, u := range res.Upgrades {
		if err := h.Upgrade(u); err != nil {
			return err
		}
	}
	for _, m := range res.Warnings {
		if err := h.Warning(m); err != nil {
			return err
		}
	}
	return h.Flush()
}

func check(res *match.Result) error {
	if res == nil {
		return errors.New("report: nil result")
	}
	for i, f := range res.Findings {
		switch {
		case f == nil:
			return fmt.Errorf("report: findings[%d] is nil", i)
		case f.ID == "":
			return fmt.Errorf("report: findings[%d] has no id", i)
		case f.Package == nil:
			return fmt.Errorf("report: findings[%d] (%s) has no package", i, f.ID)
		case f.Package.Name == "":
			return fmt.Errorf("report: findings[%d] (%s) package has no name", i, f.ID)
		}
	}
	for i, u := range res.Upgrades {
		if u.Package == nil {
			return fmt.Errorf("report: upgrades[%d] has no package", i)
		}
	}
	return nil
}

// collector rebuilds the Result from the stream, for the formats that are written as one
// document on Flush.
type collector struct {
	res     match.Result
	started bool
	done    bool
}

func (c *collector) Header(h *Header) error {
	if c.started {
		return errors.New("report: second Header in one stream")
	}
	c.started = true
	c.res.Subject, c.res.Inventory, c.res.DB, c.res.Unmatched = h.Subject, h.Inventory, h.DB, h.Unmatched
	return nil
}

func (c *collector) Finding(f *match.Finding) error {
	if err := c.ready("Finding"); err != nil {
		return err
	}
	c.res.Findings = append(c.res.Findings, f)
	return nil
}

func (c *collector) Upgrade(u match.Upgrade) error {
	if err := c.ready("Upgrade"); err != nil {
		return err
	}
	c.res.Upgrades = append(c.res.Upgrades, u)
	return nil
}

func (c *collector) Warning(m string) error {
	if err := c.ready("Warning"); err != nil {
		return err
	}
	c.res.Warnings = append(c.res.Warnings, m)
	return nil
}

// flush returns the collected result, once.
func (c *collector) flush() (*match.Result, error) {
	if err := c.ready("Flush"); err != nil {
		return nil, err
	}
	c.done = true
	return &c.res, nil
}

func (c *collector) ready(msg string) error {
	switch {
	case !c.started:
		return fmt.Errorf("report: %s before Header", msg)
	case c.done:
		return fmt.Errorf("report: %s after Flush", msg)
	}
	return nil
}

// upgradeFor returns the upgrade listed for p, if any.
func upgradeFor(res *match.Result, p *inventory.Package) (match.Upgrade, bool) {
	i := slices.IndexFunc(res.Upgrades, func(u match.Upgrade) bool { return samePackage(u.Package, p) })
	if i < 0 {
		return match.Upgrade{}, false
	}
	return res.Upgrades[i], true
}

// samePackage compares by identity, then by inventory ID: a result read back from JSON holds
// one pointer per ID, but one assembled by hand may not.
func samePackage(a, b *inventory.Package) bool {
	if a == b {
		return true
	}
	return a != nil && b != nil && a.ID != "" && a.ID == b.ID
}

// severityRank orders severity levels worst first; unknown levels sort last.
func severityRank(level string) int {
	i := slices.Index(severityLevels, level)
	if i < 0 {
		return len(severityLevels)
	}
	return i
}

var severityLevels = []string{match.SeverityCritical, match.SeverityHigh, match.SeverityMedium,
	match.SeverityLow, match.SeverityNone, match.SeverityUnknown}

// advisoryURL is the public page of a vulnerability id: osv.dev serves every OSV id and the
// aliases it knows.
func advisoryURL(id string) string {
	return "https://osv.dev/vulnerability/" + id
}
