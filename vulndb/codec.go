package vulndb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// The record codec is a compact binary form of Advisory: uvarint-prefixed strings and counts in
// a fixed field order. It is several times faster to decode than JSON and needs no field names,
// which also makes the per-record zstd frames smaller. Advisory.Source is not stored in the
// record: it comes from the index's per-record source table, so kept records can be copied
// between builds byte for byte.

// recordVersion is the first byte of every encoded record so that a later codec can coexist.
const recordVersion = 1

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) strs(ss []string) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.b = binary.AppendVarint(e.b, t.Unix())
	e.uvarint(uint64(t.Nanosecond()))
}

func (e *encoder) severities(ss []Severity) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s.Type)
		e.str(s.Score)
	}
}

// encodeAdvisory appends the binary form of a to dst.
func encodeAdvisory(dst []byte, a *Advisory) []byte {
	e := encoder{b: dst}
	e.b = append(e.b, recordVersion)
	e.str(a.ID)
	e.strs(a.Aliases)
	e.str(a.Summary)
	e.str(a.Details)
	e.time(a.Published)
	e.time(a.Modified)
	e.severities(a.Severity)
	e.str(a.DatabaseSeverity)
	e.uvarint(uint64(len(a.References)))
	for _, r := range a.References {
		e.str(r.Type)
		e.str(r.URL)
	}
	e.uvarint(uint64(len(a.Affected)))
	for i := range a.Affected {
		af := &a.Affected[i]
		e.str(af.Ecosystem)
		e.str(af.Name)
		e.str(af.PURL)
		e.uvarint(uint64(len(af.Ranges)))
		for _, r := range af.Ranges {
			e.str(r.Type)
			e.uvarint(uint64(len(r.Events)))
			for _, ev := range r.Events {
				k, v := eventKind(ev)
				e.b = append(e.b, k)
				e.str(v)
			}
		}
		e.strs(af.Versions)
		e.severities(af.Severity)
		e.str(af.DatabaseSeverity)
		e.uvarint(uint64(len(af.Imports)))
		for _, im := range af.Imports {
			e.str(im.Path)
			e.strs(im.Symbols)
			e.strs(im.GOOS)
			e.strs(im.GOARCH)
		}
	}
	return e.b
}

// Event kinds in the codec.
const (
	evIntroduced byte = iota + 1
	evFixed
	evLastAffected
	evLimit
)

func eventKind(ev Event) (byte, string) {
	switch {
	case ev.Introduced != "":
		return evIntroduced, ev.Introduced
	case ev.Fixed != "":
		return evFixed, ev.Fixed
	case ev.LastAffected != "":
		return evLastAffected, ev.LastAffected
	default:
		return evLimit, ev.Limit
	}
}

var errTruncated = errors.New("record truncated")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errTruncated)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a list length; every element takes at least one byte, so a length larger than
// what is left is corruption, and checking it here bounds every allocation by the input size.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail(fmt.Errorf("list length %d exceeds the %d bytes left", n, len(d.b)))
		return 0
	}
	return int(n)
}

func (d *decoder) byte1() byte {
	if len(d.b) == 0 {
		d.fail(errTruncated)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail(errTruncated)
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.str()
	}
	return ss
}

func (d *decoder) time() time.Time {
	switch d.byte1() {
	case 0:
		return time.Time{}
	case 1:
	default:
		d.fail(errors.New("bad time flag"))
		return time.Time{}
	}
	sec, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errTruncated)
		return time.Time{}
	}
	d.b = d.b[n:]
	nsec := d.uvarint()
	if nsec >= 1e9 {
		d.fail(errors.New("bad nanoseconds"))
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func (d *decoder) severities() []Severity {
	n := d.count()
	if n == 0 {
		return nil
	}
	ss := make([]Severity, n)
	for i := range ss {
		ss[i] = Severity{Type: d.str(), Score: d.str()}
	}
	return ss
}

// decodeAdvisory parses the binary form written by encodeAdvisory.
func decodeAdvisory(b []byte) (*Advisory, error) {
	d := decoder{b: b}
	if v := d.byte1(); d.err == nil && v != recordVersion {
		return nil, fmt.Errorf("unknown record encoding %d", v)
	}
	a := &Advisory{}
	a.ID = d.str()
	a.Aliases = d.strs()
	a.Summary = d.str()
	a.Details = d.str()
	a.Published = d.time()
	a.Modified = d.time()
	a.Severity = d.severities()
	a.DatabaseSeverity = d.str()
	if n := d.count(); n > 0 {
		a.References = make([]Reference, n)
		for i := range a.References {
			a.References[i] = Reference{Type: d.str(), URL: d.str()}
		}
	}
	n := d.count()
	a.Affected = make([]Affected, n)
	for i := range a.Affected {
		af := &a.Affected[i]
		af.Ecosystem = d.str()
		af.Name = d.str()
		af.PURL = d.str()
		if n := d.count(); n > 0 {
			af.Ranges = make([]Range, n)
			for j := range af.Ranges {
				r := &af.Ranges[j]
				r.Type = d.str()
				r.Events = make([]Event, d.count())
				for k := range r.Events {
					kind, v := d.byte1(), d.str()
					switch kind {
					case evIntroduced:
						r.Events[k].Introduced = v
					case evFixed:
						r.Events[k].Fixed = v
					case evLastAffected:
						r.Events[k].LastAffected = v
					case evLimit:
						r.Events[k].Limit = v
					default:
						d.fail(fmt.Errorf("bad event kind %d", kind))
					}
				}
			}
		}
		af.Versions = d.strs()
		af.Severity = d.severities()
		af.DatabaseSeverity = d.str()
		if n := d.count(); n > 0 {
			af.Imports = make([]Import, n)
			for j := range af.Imports {
				af.Imports[j] = Import{Path: d.str(), Symbols: d.strs(), GOOS: d.strs(), GOARCH: d.strs()}
			}
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes after record", len(d.b))
	}
	return a, nil
}

// kevRecord is the stored form of a KEV entry.
func encodeKEV(dst []byte, k *KEV) []byte {
	e := encoder{b: dst}
	for _, s := range []string{k.CVE, k.VendorProject, k.Product, k.Name, k.DateAdded, k.DueDate, k.RequiredAction, k.KnownRansomware} {
		e.str(s)
	}
	return e.b
}

func decodeKEV(b []byte) (*KEV, error) {
	d := decoder{b: b}
	k := &KEV{CVE: d.str(), VendorProject: d.str(), Product: d.str(), Name: d.str(),
		DateAdded: d.str(), DueDate: d.str(), RequiredAction: d.str(), KnownRansomware: d.str()}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes after KEV entry", len(d.b))
	}
	return k, nil
}

// cveKey packs "CVE-YYYY-N…" into a sortable integer: the year in the top 16 bits, the number
// in the low 48 (CVE numbers are far below 2^48). It is the key of the KEV and EPSS tables,
// which keeps their rows fixed-width and binary-searchable.
func cveKey(cve string) (uint64, bool) {
	if len(cve) < 13 || len(cve) > 4+4+1+19 || cve[:4] != "CVE-" && cve[:4] != "cve-" || cve[8] != '-' {
		return 0, false
	}
	var year uint64
	for _, c := range cve[4:8] {
		if c < '0' || c > '9' {
			return 0, false
		}
		year = year*10 + uint64(c-'0')
	}
	var num uint64
	for _, c := range cve[9:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		num = num*10 + uint64(c-'0')
		if num >= 1<<48 {
			return 0, false
		}
	}
	return year<<48 | num, true
}

func f64(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }
