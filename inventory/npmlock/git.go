package npmlock

import (
	"net/url"
	"strings"

	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/metadata"
)

// This file reads git commits, repositories and package sources out of the "resolved" and
// "version" strings of a lockfile, with the results osv-scalibr's extractor gives (its
// commitextractor package, which is internal to osv-scalibr). osv-scalibr does it with regular
// expressions; here each form is matched by hand, which is what makes a 2,000-entry lockfile
// cheap, and each function says which form it accepts. "Word" characters are ASCII letters,
// digits and '_' (\w), and a "line" never holds '\n' (what an unflagged '.' accepts).

// commitOf returns the commit a resolution pins, or "". The forms are tried in this order:
//
//	[…@]git://…#C, git+ssh://…#C, git+https://…#C, ssh://…#C
//	[…@]https://….git#C
//	…https://codeload.github.com/<segments>/tar.gz/C…
//	…https://gitlab.com/<segments>/-/archive/C…
//	…#commit:C, &commit=C (and the other two spellings)
//	github:…#C, gitlab:…#C, bitbucket:…#C
//	a github.com, gitlab.com or bitbucket.org URL: its fragment, or its "ref" query parameter
func commitOf(s string) string {
	if c := schemeFragment(s); c != "" {
		return c
	}
	if c := archiveRef(s, "https://codeload.github.com", "/tar.gz/"); c != "" {
		return c
	}
	if c := archiveRef(s, "https://gitlab.com", "/-/archive/"); c != "" {
		return c
	}
	if c := commitParam(s); c != "" {
		return c
	}
	if c := shorthandFragment(s); c != "" {
		return c
	}
	return hostedRef(s)
}

func isWord(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_'
}

func allWord(s string) bool {
	for i := range len(s) {
		if !isWord(s[i]) {
			return false
		}
	}
	return s != ""
}

// wordFragment splits s at its last '#' when what follows is a non-empty word.
func wordFragment(s string) (hash int, frag string) {
	h := strings.LastIndexByte(s, '#')
	if h < 0 || !allWord(s[h+1:]) {
		return -1, ""
	}
	return h, s[h+1:]
}

// urlStarts reports the offsets where an embedded URL may begin: the start of s, and just after
// each '@' that follows a character on the same line ("alias@git+ssh://…").
func urlStarts(s string, each func(p int) bool) bool {
	if each(0) {
		return true
	}
	for i := 1; i < len(s); i++ {
		if s[i] == '@' && s[i-1] != '\n' && each(i+1) {
			return true
		}
	}
	return false
}

// schemeFragment matches the first two forms of commitOf: a git or ssh URL, or an https URL of
// a ".git" repository, with at least one character of the same line between the scheme and the
// fragment.
func schemeFragment(s string) string {
	h, frag := wordFragment(s)
	if h < 0 {
		return ""
	}
	nl := strings.LastIndexByte(s[:h], '\n')
	found := urlStarts(s, func(p int) bool {
		rest := s[p:]
		for _, scheme := range []string{"git://", "git+ssh://", "git+https://", "ssh://"} {
			if strings.HasPrefix(rest, scheme) {
				if e := p + len(scheme); e < h && e > nl {
					return true
				}
			}
		}
		return false
	})
	if found {
		return frag
	}
	if !strings.HasSuffix(s[:h], ".git") {
		return ""
	}
	g := h - len(".git")
	found = urlStarts(s, func(p int) bool {
		e := p + len("https://")
		return strings.HasPrefix(s[p:], "https://") && e < g && e > nl
	})
	if found {
		return frag
	}
	return ""
}

func isSegment(b byte) bool { return isWord(b) || b == '-' || b == '.' }

// archiveRef matches base (a host URL) followed by one or more "/segment" path steps (word
// characters, '-' and '.'), marker and a word, anywhere in s. The leftmost base that matches
// wins, and within it the last marker, as a greedy match of the steps would choose; the ref is
// the run of word characters after the marker.
func archiveRef(s, base, marker string) string {
	for off := 0; ; {
		i := strings.Index(s[off:], base)
		if i < 0 {
			return ""
		}
		q := off + i + len(base)
		best := -1
		for j := q; j+1 < len(s) && s[j] == '/' && isSegment(s[j+1]); {
			if j > q && strings.HasPrefix(s[j:], marker) && j+len(marker) < len(s) && isWord(s[j+len(marker)]) {
				best = j
			}
			j++
			for j < len(s) && isSegment(s[j]) {
				j++
			}
		}
		if best >= 0 {
			r := best + len(marker)
			e := r
			for e < len(s) && isWord(s[e]) {
				e++
			}
			return s[r:e]
		}
		off = q
	}
}

// commitParam matches "#commit:C", "#commit=C", "&commit:C" or "&commit=C" ending s, after at
// least one character on the same line.
func commitParam(s string) string {
	w := len(s)
	for w > 0 && isWord(s[w-1]) {
		w--
	}
	const n = len("#commit:")
	if w == len(s) || w < n+1 {
		return ""
	}
	m := s[w-n : w]
	if (m[0] != '#' && m[0] != '&') || m[1:7] != "commit" || (m[7] != ':' && m[7] != '=') || s[w-n-1] == '\n' {
		return ""
	}
	return s[w:]
}

// shorthandFragment matches npm's hosted-git shorthands with a fragment: "github:o/r#C".
func shorthandFragment(s string) string {
	h, frag := wordFragment(s)
	if h < 0 {
		return ""
	}
	for _, p := range []string{"github:", "gitlab:", "bitbucket:"} {
		if strings.HasPrefix(s, p) && len(p) < h && !strings.Contains(s[len(p):h], "\n") {
			return frag
		}
	}
	return ""
}

// hostedRef reads a URL on one of the three big git hosts: its fragment, or, when it has a
// query, the "ref" parameter.
func hostedRef(s string) string {
	if !strings.Contains(s, "github.com") && !strings.Contains(s, "gitlab.com") && !strings.Contains(s, "bitbucket.org") {
		// url.Parse cannot produce one of the three hosts from a string that does not spell it.
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	switch u.Host {
	case "github.com", "gitlab.com", "bitbucket.org":
	default:
		return ""
	}
	if u.RawQuery == "" {
		return u.Fragment
	}
	return u.Query().Get("ref")
}

// repoOf returns the https URL of the repository a resolution points into, or "". What comes
// before a '#' is read when there is something before it.
func repoOf(s string) string {
	if before, _, ok := strings.Cut(s, "#"); ok && before != "" {
		return normalizeRepo(before)
	}
	return normalizeRepo(s)
}

// normalizeRepo turns the ways npm and yarn spell a git repository into "https://host/path":
//   - "<name>@<url>" (yarn berry) is read from the last such "@<scheme>";
//   - "github:o/r", "gitlab:o/r", "bitbucket:o/r", with or without git+, ssh:// or git://;
//   - codeload.github.com and gitlab.com archive URLs;
//   - scp-like "[git+ssh://|ssh://][user@]host:path";
//   - anything else as a URL, https:// assumed, without user, query or fragment.
//
// A trailing ".git" is dropped.
func normalizeRepo(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	for _, scheme := range []string{"@https://", "@http://", "@git+https://", "@git+ssh://", "@git://", "@git+", "@ssh://"} {
		if i := strings.LastIndex(raw, scheme); i >= 0 {
			raw = raw[i+1:]
			break
		}
	}
	short := strings.TrimPrefix(raw, "git+")
	short = strings.TrimPrefix(short, "ssh://")
	short = strings.TrimPrefix(short, "git://")
	for _, h := range [...]struct{ prefix, host string }{{"github:", "github.com"}, {"gitlab:", "gitlab.com"}, {"bitbucket:", "bitbucket.org"}} {
		if repo, ok := strings.CutPrefix(short, h.prefix); ok {
			if i := strings.IndexAny(repo, "#?"); i >= 0 {
				repo = repo[:i]
			}
			return "https://" + h.host + "/" + strings.TrimSuffix(repo, ".git")
		}
	}
	if r, ok := codeloadRepo(raw); ok {
		return "https://github.com/" + r
	}
	if r, ok := gitlabArchiveRepo(raw); ok {
		return "https://gitlab.com/" + r
	}
	if host, p, ok := scpLike(raw); ok {
		return "https://" + host + "/" + strings.TrimSuffix(p, ".git")
	}
	c := strings.TrimPrefix(raw, "git+")
	c = strings.TrimPrefix(c, "git://")
	c = strings.TrimPrefix(c, "ssh://")
	if !strings.HasPrefix(c, "http://") && !strings.HasPrefix(c, "https://") {
		c = "https://" + c
	}
	u, err := url.Parse(c)
	if err != nil {
		return ""
	}
	host := u.Hostname()
	p := strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git")
	if host == "" || p == "" {
		return ""
	}
	return "https://" + host + "/" + p
}

// cutHTTP removes a leading "http://" or "https://".
func cutHTTP(s string) (string, bool) {
	if r, ok := strings.CutPrefix(s, "https://"); ok {
		return r, true
	}
	return strings.CutPrefix(s, "http://")
}

// codeloadRepo reads "owner/repo" from "http[s]://codeload.github.com/owner/repo/tar.gz/…".
func codeloadRepo(s string) (string, bool) {
	r, ok := cutHTTP(s)
	if !ok {
		return "", false
	}
	if r, ok = strings.CutPrefix(r, "codeload.github.com/"); !ok {
		return "", false
	}
	owner, rest, ok := strings.Cut(r, "/")
	if !ok || owner == "" {
		return "", false
	}
	repo, rest, ok := strings.Cut(rest, "/")
	if !ok || repo == "" || !strings.HasPrefix(rest, "tar.gz/") {
		return "", false
	}
	return owner + "/" + repo, true
}

// gitlabArchiveRepo reads the project path from "http[s]://gitlab.com/<path>/-/archive/…" or
// ".../<path>/repository/archive.tar.gz": the shortest non-empty path on the first line.
func gitlabArchiveRepo(s string) (string, bool) {
	r, ok := cutHTTP(s)
	if !ok {
		return "", false
	}
	if r, ok = strings.CutPrefix(r, "gitlab.com/"); !ok {
		return "", false
	}
	for k := 1; k < len(r); k++ {
		if r[k-1] == '\n' {
			return "", false
		}
		if strings.HasPrefix(r[k:], "/-/archive/") || strings.HasPrefix(r[k:], "/repository/archive.tar.gz") {
			return r[:k], true
		}
	}
	return "", false
}

// scpLike reads "[git+ssh://|ssh://][user@]host:path" anchored at the start of s, where the user
// holds no '@' or '/', the host no '/' or ':', and the path does not start with '/', '#' or '?'
// and ends before the first '#' or '?'. An optional part is taken when the rest still matches
// with it, and dropped otherwise.
func scpLike(s string) (host, p string, ok bool) {
	var starts []int
	if strings.HasPrefix(s, "git+ssh://") {
		starts = append(starts, len("git+ssh://"))
	} else if strings.HasPrefix(s, "ssh://") {
		starts = append(starts, len("ssh://"))
	}
	starts = append(starts, 0)
	for _, q := range starts {
		for _, withUser := range []bool{true, false} {
			i := q
			if withUser {
				j := strings.IndexAny(s[i:], "@/")
				if j < 1 || s[i+j] != '@' {
					continue
				}
				i += j + 1
			}
			k := strings.IndexAny(s[i:], "/:")
			if k < 1 || s[i+k] != ':' {
				continue
			}
			host = s[i : i+k]
			i += k + 1
			if i >= len(s) || strings.IndexByte("/#?", s[i]) >= 0 {
				continue
			}
			end := len(s)
			if e := strings.IndexAny(s[i+1:], "#?"); e >= 0 {
				end = i + 1 + e
			}
			return host, s[i:end], true
		}
	}
	return "", "", false
}

// isGitSpec reports a resolution that names a git repository.
func isGitSpec(raw, commit string) bool {
	if commit != "" {
		return true
	}
	l := strings.ToLower(raw)
	for _, p := range []string{"git+", "git://", "git@", "ssh://", "github:", "gitlab:", "bitbucket:"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return strings.HasSuffix(l, ".git") || strings.Contains(l, ".git#")
}

func isHTTPURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "https")) && u.Host != ""
}

// sourceOf classifies where a package came from: an http(s) URL mentioning "npm" is a public
// registry; another http(s) URL or a git repository is "other"; anything else (a directory, a
// file: tarball, nothing) is local.
func sourceOf(resolved, commit string) metadata.NPMPackageSource {
	web := isHTTPURL(resolved)
	switch {
	case web && strings.Contains(strings.ToLower(resolved), "npm"):
		return metadata.PublicRegistry
	case web || isGitSpec(resolved, commit):
		return metadata.Other
	}
	return metadata.Local
}

// sourceRank orders sources when one package is installed from several: the registry wins.
func sourceRank(s metadata.NPMPackageSource) int {
	switch s {
	case metadata.PublicRegistry:
		return 3
	case metadata.Other:
		return 2
	case metadata.Local:
		return 1
	}
	return 0
}
