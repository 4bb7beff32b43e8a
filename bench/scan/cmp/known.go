package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// knownDiff is one line of the known-differences file: a difference between the tools that
// has been looked at and explained, so it no longer fails the comparison.
//
//	KIND FIXTURE ECOSYSTEM/NAME@VERSION ID REASON…
//
// KIND is only-hallmark, only-osv-scanner or grouping; FIXTURE, VERSION and ID may be "*";
// ID matches any id of the vulnerability (record id or alias); REASON is required.
type knownDiff struct {
	Kind, Fixture string
	Package       pkgKey // Version "*" matches any version
	ID            string
	Reason        string
}

func readKnown(name string) ([]knownDiff, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseKnown(f, name)
}

func parseKnown(r io.Reader, name string) ([]knownDiff, error) {
	var out []knownDiff
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 5 {
			return nil, fmt.Errorf("%s:%d: want KIND FIXTURE ECOSYSTEM/NAME@VERSION ID REASON, got %d fields", name, n, len(f))
		}
		kd := knownDiff{Kind: f[0], Fixture: f[1], ID: f[3], Reason: strings.Join(f[4:], " ")}
		if !slices.Contains([]string{kindOnlyHallmark, kindOnlyOSV, kindGrouping}, kd.Kind) {
			return nil, fmt.Errorf("%s:%d: kind %q is not only-hallmark, only-osv-scanner or grouping", name, n, kd.Kind)
		}
		eco, rest, ok := strings.Cut(f[2], "/")
		at := strings.LastIndex(rest, "@")
		if !ok || eco == "" || at <= 0 || at == len(rest)-1 {
			return nil, fmt.Errorf("%s:%d: package %q is not ECOSYSTEM/NAME@VERSION", name, n, f[2])
		}
		version := rest[at+1:]
		kd.Package = newKey(eco, rest[:at], version)
		if version == "*" {
			kd.Package.Version = "*"
		}
		out = append(out, kd)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// explain returns the first known difference that covers c.
func explain(known []knownDiff, fixture string, c component) (knownDiff, bool) {
	for _, kd := range known {
		if kd.Kind != c.Kind || (kd.Fixture != "*" && kd.Fixture != fixture) {
			continue
		}
		if kd.Package.Ecosystem != c.Package.Ecosystem || kd.Package.Name != c.Package.Name {
			continue
		}
		if kd.Package.Version != "*" && kd.Package.Version != c.Package.Version {
			continue
		}
		if kd.ID != "*" && !slices.Contains(c.IDs, kd.ID) {
			continue
		}
		return kd, true
	}
	return knownDiff{}, false
}
