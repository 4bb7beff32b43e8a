package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/match"
)

// DefaultWidth is the table width when Options.Width is 0.
const DefaultWidth = 80

// Table columns: indent, priority, id, severity, fixed-in; notes take the rest of the line.
// At 80 columns the widths fit the common ids (GHSA-xxxx-xxxx-xxxx, PYSEC-2024-123 with an
// alias count) and "CRITICAL 10.0", leaving about 30 for notes. Wider tables give fixed-in
// more room; narrower ones take a little from severity and fixed-in, then cut the notes.
const (
	colIndent = 2
	colPrio   = 4
)

type columns struct{ id, sev, fixed int }

func columnsFor(width int) columns {
	c := columns{id: 22, sev: 14, fixed: 12}
	if width > DefaultWidth {
		c.fixed += min(width-DefaultWidth, 10)
		return c
	}
	// Ids are what users search for, so they keep their room; "CRITICAL 9.8" still fits.
	short := min(DefaultWidth-width, 5)
	c.sev -= min(short, 1)
	c.fixed -= short - min(short, 1)
	return c
}

type tableHandler struct {
	collector
	w    io.Writer
	opts Options
}

// group is one package and the findings shown under it.
type group struct {
	pkg      *inventory.Package
	findings []*match.Finding
}

func (h *tableHandler) Flush() error {
	res, err := h.flush()
	if err != nil {
		return err
	}
	w := cmp.Or(h.opts.Width, DefaultWidth)
	t := &table{width: w, col: columnsFor(w)}
	t.render(res, h.opts)
	_, err = io.WriteString(h.w, t.b.String())
	return err
}

type table struct {
	b     strings.Builder
	width int
	col   columns
}

// line writes one line, cut to the table width.
func (t *table) line(s string) {
	t.b.WriteString(strings.TrimRight(fit(s, t.width), " "))
	t.b.WriteByte('\n')
}

func (t *table) render(res *match.Result, opts Options) {
	// What was scanned, and with what.
	subj := res.Subject.Name
	if subj == "" {
		subj = "(unnamed subject)"
	}
	head := "Scan of " + clean(subj)
	if res.Subject.Kind != "" {
		head += " (" + clean(res.Subject.Kind) + ")"
	}
	t.line(head)
	if d := res.Subject.Digest; d != "" {
		t.line("  digest " + clean(d))
	}
	if db := res.DB; !db.BuiltAt.IsZero() {
		s := "  advisories built " + db.BuiltAt.UTC().Format("2006-01-02 15:04 UTC")
		if !opts.Timestamp.IsZero() {
			s += " (" + age(opts.Timestamp.Sub(db.BuiltAt)) + ")"
		}
		t.line(s)
	}
	if len(res.DB.Sources) > 0 {
		t.wrap("  sources ", clean(strings.Join(res.DB.Sources, ", ")))
	}
	t.line("")

	var shown []*match.Finding
	suppressed := 0
	for _, f := range res.Findings {
		if f.Suppression != nil {
			suppressed++
			if !opts.ShowSuppressed {
				continue
			}
		}
		shown = append(shown, f)
	}
	groups := groupFindings(shown)
	if len(groups) > 0 {
		t.line(strings.Repeat(" ", colIndent) + pad("PRI", colPrio) + pad("ID", t.col.id) + pad("SEVERITY", t.col.sev) + pad("FIXED IN", t.col.fixed) + "NOTES")
	}
	for _, g := range groups {
		t.line(packageLine(g.pkg))
		for _, f := range g.findings {
			t.line(t.findingLine(f))
		}
		if u, ok := upgradeFor(res, g.pkg); ok && u.Findings > 0 {
			switch {
			case u.To != "":
				t.line(fmt.Sprintf("  upgrade to %s fixes %d", clean(u.To), u.Findings))
			case !slices.ContainsFunc(g.findings, func(f *match.Finding) bool { return f.Suppression == nil && len(f.Fixed) > 0 }):
				t.line("  no fixed version is known")
			default:
				t.line(fmt.Sprintf("  no single version fixes all %d", u.Findings))
			}
		}
		t.line("")
	}
	t.footer(res, suppressed, opts)
}

// groupFindings groups findings by package; packages are ordered by their most urgent finding,
// then name, version and location, and findings within a package by priority, then severity.
func groupFindings(fs []*match.Finding) []*group {
	var groups []*group
	for _, f := range fs {
		i := slices.IndexFunc(groups, func(g *group) bool { return samePackage(g.pkg, f.Package) })
		if i < 0 {
			groups = append(groups, &group{pkg: f.Package})
			i = len(groups) - 1
		}
		groups[i].findings = append(groups[i].findings, f)
	}
	for _, g := range groups {
		slices.SortStableFunc(g.findings, compareFindings)
	}
	slices.SortStableFunc(groups, func(a, b *group) int {
		return cmp.Or(compareFindings(a.findings[0], b.findings[0]) /* best first */, cmp.Compare(a.pkg.Name, b.pkg.Name),
			cmp.Compare(a.pkg.Version, b.pkg.Version), cmp.Compare(mainPath(a.pkg), mainPath(b.pkg)))
	})
	return groups
}

// compareFindings orders findings by urgency: unsuppressed first, then priority rank (unranked
// last), severity, score, and id.
func compareFindings(a, b *match.Finding) int {
	return cmp.Or(
		cmpBool(a.Suppression != nil, b.Suppression != nil),
		cmp.Compare(rank(a), rank(b)),
		cmp.Compare(severityRank(a.Severity.Level), severityRank(b.Severity.Level)),
		-cmp.Compare(a.Severity.Score, b.Severity.Score),
	)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func rank(f *match.Finding) int {
	if f.Priority.Rank < 1 {
		return 5
	}
	return f.Priority.Rank
}

func mainPath(p *inventory.Package) string {
	if len(p.Locations) == 0 {
		return ""
	}
	return p.Locations[0].Path
}

func packageLine(p *inventory.Package) string {
	s := clean(p.Name)
	if p.Version != "" {
		s += "@" + clean(p.Version)
	}
	if p.Ecosystem != "" {
		s += "  " + clean(p.Ecosystem)
	}
	if len(p.Locations) > 0 {
		l := p.Locations[0]
		loc := clean(cmp.Or(l.Path, "."))
		if l.Line > 0 {
			loc += ":" + strconv.Itoa(l.Line)
		}
		s += "  " + loc
	}
	return s
}

func (t *table) findingLine(f *match.Finding) string {
	prio := f.Priority.Label
	if f.Suppression != nil {
		prio = "-"
	}
	id := clean(f.ID)
	if n := len(f.IDs) - 1; n > 0 && slices.Contains(f.IDs, f.ID) {
		// The alias count survives truncation; the id is cut instead.
		more := fmt.Sprintf(" (+%d)", n)
		id = fit(id, t.col.id-1-width1(more)) + more
	}
	sev := cmp.Or(f.Severity.Level, match.SeverityUnknown)
	if f.Severity.Vector != "" || f.Severity.Score > 0 {
		sev += " " + strconv.FormatFloat(f.Severity.Score, 'f', 1, 64)
	}
	fixed := "-"
	if len(f.Fixed) > 0 {
		fixed = clean(f.Fixed[0])
		if len(f.Fixed) > 1 {
			fixed += "+"
		}
	}
	var notes []string
	if s := f.Suppression; s != nil {
		notes = append(notes, "suppressed: "+clean(cmp.Or(s.Status, s.Kind)))
	}
	if f.KEV != nil {
		notes = append(notes, "KEV")
	}
	if f.EPSS != nil {
		notes = append(notes, "EPSS "+percent(f.EPSS.Score))
	}
	if f.Reachability != match.ReachUnknown {
		notes = append(notes, string(f.Reachability))
	}
	return strings.Repeat(" ", colIndent) + pad(clean(prio), colPrio) + pad(id, t.col.id) + pad(sev, t.col.sev) +
		pad(fixed, t.col.fixed) + strings.Join(notes, ", ")
}

func (t *table) footer(res *match.Result, suppressed int, opts Options) {
	counts := map[string]int{}
	pkgs := 0
	var seen []*inventory.Package
	open := 0
	for _, f := range res.Findings {
		if f.Suppression != nil {
			continue
		}
		open++
		counts[cmp.Or(f.Severity.Level, match.SeverityUnknown)]++
		if !slices.ContainsFunc(seen, func(p *inventory.Package) bool { return samePackage(p, f.Package) }) {
			seen = append(seen, f.Package)
			pkgs++
		}
	}
	scanned := ""
	if res.Inventory != nil {
		scanned = fmt.Sprintf(" (%d scanned)", len(res.Inventory.Packages))
	}
	if open == 0 {
		s := "No vulnerabilities found"
		if res.Inventory != nil {
			n := len(res.Inventory.Packages)
			s += fmt.Sprintf(" in %d %s", n, noun(n, "package", "packages"))
		}
		t.line(s + ".")
	} else {
		var parts []string
		for _, l := range severityLevels {
			if n := counts[l]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, strings.ToLower(l)))
			}
		}
		t.wrap("", fmt.Sprintf("%d %s in %d %s%s: %s", open, noun(open, "vulnerability", "vulnerabilities"),
			pkgs, noun(pkgs, "package", "packages"), scanned, strings.Join(parts, ", ")))
	}
	if suppressed > 0 {
		s := fmt.Sprintf("%d suppressed by VEX or ignore rules", suppressed)
		if !opts.ShowSuppressed {
			s += " (not shown)"
		}
		t.line(s)
	}
	if inv := res.Inventory; inv != nil && inv.Partial() {
		e := inv.Errors[0]
		t.wrap("", fmt.Sprintf("Partial scan: %d %s could not be read, first %s: %s", len(inv.Errors),
			noun(len(inv.Errors), "file", "files"), clean(cmp.Or(e.Path, ".")), clean(e.Message)))
	}
	if n := total(res.Unmatched); n > 0 {
		reasons := make([]string, 0, len(res.Unmatched))
		for r := range res.Unmatched {
			reasons = append(reasons, r)
		}
		slices.Sort(reasons)
		for i, r := range reasons {
			reasons[i] = fmt.Sprintf("%s: %d", clean(r), res.Unmatched[r])
		}
		t.line(fmt.Sprintf("Not checked: %d %s (%s)", n, noun(n, "package", "packages"), strings.Join(reasons, ", ")))
	}
	for _, w := range res.Warnings {
		t.wrap("Warning: ", clean(w))
	}
}

func noun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// wrap writes text in lines of the table width, the first starting with prefix and the
// others indented as deep; a word longer than a line is cut.
func (t *table) wrap(prefix, text string) {
	indent := strings.Repeat(" ", min(width1(prefix), t.width/2))
	cur := prefix
	fresh := true // nothing but the prefix or indent on the current line yet
	for _, word := range strings.Fields(text) {
		switch {
		case fresh:
			cur += word
		case width1(cur)+1+width1(word) <= t.width:
			cur += " " + word
		default:
			t.line(cur)
			cur = indent + word
		}
		fresh = false
	}
	t.line(cur)
}

// percent writes an EPSS probability as a percentage with the precision it deserves.
func percent(p float64) string {
	pc := p * 100
	if pc >= 10 || pc == 0 {
		return strconv.FormatFloat(pc, 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(pc, 'f', 1, 64) + "%"
}

// age says how old the database is, in whole units.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < time.Hour:
		return "less than an hour old"
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours old", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days old", int(d/(24*time.Hour)))
}

// clean makes text from advisories and lockfiles safe to print on a terminal: control
// characters (escape sequences, newlines) and bidirectional overrides, which could rewrite
// what the user sees, become spaces.
func clean(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unsafeRune(r) {
			return ' '
		}
		return r
	}, s)
}

func unsafeRune(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
}

// runeWidth is the number of terminal columns r takes: 2 for East Asian wide and fullwidth
// characters, 0 for combining marks, else 1.
func runeWidth(r rune) int {
	if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == '\u200b' {
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

func width1(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// fit cuts s to at most n columns, ending in "…" when it cut.
func fit(s string, n int) string {
	if width1(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		rw := runeWidth(r)
		if w+rw > n-1 {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	return b.String() + "…"
}

// pad fits s into a column of n, keeping at least one space before the next column.
func pad(s string, n int) string {
	s = fit(s, n-1)
	return s + strings.Repeat(" ", n-width1(s))
}
