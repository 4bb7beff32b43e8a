package misconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Dockerfile is a parsed Dockerfile (the Dockerfile reference, docs.docker.com/reference/dockerfile).
type Dockerfile struct {
	File string
	// Directives are the parser directives at the top (syntax, escape, check), by lower-case name.
	Directives map[string]string
	// Args are the ARG instructions before the first FROM; their defaults are the values FROM
	// lines are expanded with.
	Args []Instruction
	// Stages are the build stages in order; the last is the image that is built by default.
	Stages []Stage
}

// Stage is one FROM and the instructions under it.
type Stage struct {
	Index int
	// Name is the name given with FROM … AS name, lower-cased as BuildKit matches it.
	Name string
	From Instruction
	// Image is the FROM image after expanding global ARG defaults; Unresolved is true when it
	// uses a variable without a default (e.g. $BUILDPLATFORM-dependent names), so it is unknown.
	Image      string
	Unresolved bool
	// BaseStage is the index of the earlier stage this one builds on (FROM name), or -1.
	BaseStage    int
	Instructions []Instruction
}

// Instruction is one Dockerfile instruction.
type Instruction struct {
	// Cmd is the upper-case keyword: RUN, FROM, USER, ….
	Cmd string
	// Line and EndLine are the first and last physical lines, including line continuations
	// and heredoc bodies.
	Line, EndLine int
	// Flags are the leading --name[=value] options (--mount=…, --from=…, --platform=…).
	Flags []string
	// Text is the argument text after the keyword and the flags, continuation lines joined
	// with a space, comments inside continuations dropped.
	Text string
	// JSON is true for the exec form (["executable", "arg"]); Args then holds its elements.
	JSON bool
	// Args are Text split into words the way the instruction reads them: for the exec form the
	// array elements; for ENV, ARG and LABEL key=value words with quotes removed; otherwise
	// whitespace-separated words with quotes kept.
	Args []string
	// Heredocs are the here-documents the instruction opens (RUN, COPY, ADD).
	Heredocs []Heredoc
}

// Heredoc is one here-document (<<EOF … EOF).
type Heredoc struct {
	Name string
	// Line is the first line of the body.
	Line int
	Body string
	// Chomp is <<-: leading tabs are stripped from the body and the terminator.
	Chomp bool
}

// KeyValue is one ENV or ARG pair.
type KeyValue struct {
	Key, Value string
	// HasValue is false for ARG name without a default.
	HasValue bool
}

// Pairs returns the key/value pairs of an ENV, ARG or LABEL instruction.
func (in *Instruction) Pairs() []KeyValue {
	switch in.Cmd {
	case "ENV", "LABEL":
		words := splitWords(in.Text, true)
		if len(words) > 0 && !strings.Contains(words[0], "=") {
			// Legacy form: ENV key value — the value is the rest of the line.
			rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimLeft(in.Text, " \t"), rawFirstWord(in.Text)))
			return []KeyValue{{Key: words[0], Value: unquote(rest), HasValue: true}}
		}
		var out []KeyValue
		for _, w := range words {
			k, v, _ := strings.Cut(w, "=")
			out = append(out, KeyValue{Key: k, Value: v, HasValue: true})
		}
		return out
	case "ARG":
		var out []KeyValue
		for _, w := range splitWords(in.Text, true) {
			k, v, ok := strings.Cut(w, "=")
			out = append(out, KeyValue{Key: k, Value: v, HasValue: ok})
		}
		return out
	}
	return nil
}

var instructions = map[string]bool{
	"ADD": true, "ARG": true, "CMD": true, "COPY": true, "ENTRYPOINT": true, "ENV": true, "EXPOSE": true,
	"FROM": true, "HEALTHCHECK": true, "LABEL": true, "MAINTAINER": true, "ONBUILD": true, "RUN": true,
	"SHELL": true, "STOPSIGNAL": true, "USER": true, "VOLUME": true, "WORKDIR": true,
}

// Instructions that take a JSON (exec) form, and those that may open heredocs.
var (
	execForm    = map[string]bool{"RUN": true, "CMD": true, "ENTRYPOINT": true, "SHELL": true, "ADD": true, "COPY": true, "VOLUME": true, "HEALTHCHECK": true}
	heredocCmds = map[string]bool{"RUN": true, "COPY": true, "ADD": true}
	flagCmds    = map[string]bool{"FROM": true, "RUN": true, "COPY": true, "ADD": true, "HEALTHCHECK": true}
)

// A parser directive: "# name=value", only before the first comment, blank line or instruction.
var directiveRe = regexp.MustCompile(`^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$`)

var knownDirectives = map[string]bool{"syntax": true, "escape": true, "check": true}

// maxDockerfileLines bounds the instructions worth reading; Dockerfiles are short.
const maxDockerfileLines = 1 << 20

// ParseDockerfile parses a Dockerfile: parser directives (escape), line continuations with
// comments and empty lines inside them, heredocs, JSON and shell forms, ARGs before FROM and
// multi-stage builds. Errors name name:line and wrap ErrMalformed: an unknown instruction, an
// instruction before the first FROM other than ARG, FROM without an image, an unterminated
// heredoc, a file with no instructions or that is not text.
func ParseDockerfile(name string, data []byte) (*Dockerfile, error) {
	errf := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %w: %s", name, line, ErrMalformed, fmt.Sprintf(format, args...))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return nil, fmt.Errorf("%s: %w: not a text file", name, ErrMalformed)
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) > maxDockerfileLines {
		return nil, fmt.Errorf("%s: %w: more than %d lines", name, ErrMalformed, maxDockerfileLines)
	}
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	df := &Dockerfile{File: name, Directives: map[string]string{}}
	escape := byte('\\')

	i := 0
	// Parser directives.
	for ; i < len(lines); i++ {
		m := directiveRe.FindStringSubmatch(lines[i])
		if m == nil {
			break
		}
		key := strings.ToLower(m[1])
		if !knownDirectives[key] {
			break // an unknown directive is a comment, and ends the directives
		}
		if _, dup := df.Directives[key]; dup {
			return nil, errf(i+1, "parser directive %q given twice", key)
		}
		df.Directives[key] = m[2]
		if key == "escape" {
			switch m[2] {
			case "\\":
			case "`":
				escape = '`'
			default:
				return nil, errf(i+1, "escape directive %q: want \\ or `", m[2])
			}
		}
	}

	stage := -1
	stageNames := map[string]int{}
	var globals map[string]string // the global ARG defaults, fixed at the first FROM
	for i < len(lines) {
		if isBlankOrComment(lines[i]) {
			i++
			continue
		}
		start := i
		// Join continuation lines: an escape character at the end of a line (trailing blanks
		// allowed) continues the instruction; comment and empty lines inside are skipped.
		var b strings.Builder
		cur := lines[i]
		for {
			body, cont := continued(cur, escape)
			b.WriteString(body)
			if !cont {
				break
			}
			i++
			for i < len(lines) && isBlankOrComment(lines[i]) {
				i++
			}
			if i >= len(lines) {
				i--
				break
			}
			cur = lines[i]
		}
		end := i
		i++
		full := strings.TrimSpace(b.String())
		kw, rest := cutWord(full)
		cmd := strings.ToUpper(kw)
		if !instructions[cmd] {
			return nil, errf(start+1, "unknown instruction %q", clip(kw))
		}
		in := Instruction{Cmd: cmd, Line: start + 1, EndLine: end + 1}
		if flagCmds[cmd] {
			in.Flags, rest = leadingFlags(rest)
		}
		in.Text = rest
		if cmd == "ONBUILD" {
			sub, _ := cutWord(rest)
			if !instructions[strings.ToUpper(sub)] || strings.EqualFold(sub, "ONBUILD") || strings.EqualFold(sub, "FROM") {
				return nil, errf(start+1, "ONBUILD %q is not allowed", clip(sub))
			}
		}
		if execForm[cmd] {
			if arr, ok := jsonForm(rest); ok {
				in.JSON, in.Args = true, arr
			}
		}
		if !in.JSON {
			switch cmd {
			case "ENV", "ARG", "LABEL":
				in.Args = splitWords(rest, true)
			default:
				in.Args = splitWords(rest, false)
			}
		}
		if heredocCmds[cmd] && !in.JSON {
			for _, w := range in.Args {
				h, ok := parseHeredocWord(w)
				if !ok {
					continue
				}
				h.Line = i + 1
				var body strings.Builder
				found := false
				for ; i < len(lines); i++ {
					l := lines[i]
					if h.Chomp {
						l = strings.TrimLeft(l, "\t")
					}
					if l == h.Name {
						found = true
						i++
						break
					}
					body.WriteString(l)
					body.WriteByte('\n')
				}
				if !found {
					return nil, errf(start+1, "heredoc <<%s is not terminated", clip(h.Name))
				}
				h.Body = body.String()
				in.Heredocs = append(in.Heredocs, h)
				in.EndLine = i
			}
		}
		if in.Line > 0 && in.EndLine < in.Line {
			in.EndLine = in.Line
		}

		switch {
		case cmd == "FROM":
			if len(in.Args) == 0 {
				return nil, errf(in.Line, "FROM without an image")
			}
			st := Stage{Index: stage + 1, From: in, BaseStage: -1}
			img := unquote(in.Args[0])
			if len(in.Args) >= 3 && strings.EqualFold(in.Args[1], "AS") {
				st.Name = strings.ToLower(unquote(in.Args[2]))
			} else if len(in.Args) != 1 {
				return nil, errf(in.Line, "FROM takes an image and optionally AS name, got %q", clip(in.Text))
			}
			if globals == nil {
				globals = argDefaults(df.Args)
			}
			st.Image, st.Unresolved = expandWith(img, globals)
			if j, ok := stageNames[strings.ToLower(st.Image)]; ok && !st.Unresolved {
				st.BaseStage = j
			}
			stage++
			df.Stages = append(df.Stages, st)
			if st.Name != "" {
				stageNames[st.Name] = stage
			}
		case stage < 0:
			if cmd != "ARG" {
				return nil, errf(in.Line, "%s before the first FROM (only ARG may come before it)", cmd)
			}
			df.Args = append(df.Args, in)
		default:
			df.Stages[stage].Instructions = append(df.Stages[stage].Instructions, in)
		}
	}
	if len(df.Stages) == 0 {
		if len(df.Args) > 0 {
			return nil, errf(df.Args[len(df.Args)-1].Line, "no FROM instruction")
		}
		return nil, fmt.Errorf("%s: %w: no instructions", name, ErrMalformed)
	}
	return df, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func isBlankOrComment(l string) bool {
	t := strings.TrimLeft(l, " \t")
	return t == "" || t[0] == '#'
}

// continued strips a trailing escape character (and the blanks after it) from a line.
func continued(l string, escape byte) (string, bool) {
	t := strings.TrimRight(l, " \t")
	if t != "" && t[len(t)-1] == escape {
		return t[:len(t)-1], true
	}
	return l, false
}

func cutWord(s string) (string, string) {
	s = strings.TrimLeft(s, " \t")
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}

func rawFirstWord(s string) string {
	w, _ := cutWord(s)
	return w
}

// leadingFlags splits the --flag[=value] words off the front of an instruction's arguments.
func leadingFlags(s string) ([]string, string) {
	var flags []string
	for {
		w, rest := cutWord(s)
		if !strings.HasPrefix(w, "--") || len(w) == 2 {
			return flags, s
		}
		flags = append(flags, w)
		s = rest
	}
}

// jsonForm parses the exec form: a JSON array of strings. Anything else is the shell form, as
// BuildKit falls back to it.
func jsonForm(s string) ([]string, bool) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "[") || !strings.HasSuffix(t, "]") {
		return nil, false
	}
	var arr []string
	if json.Unmarshal([]byte(t), &arr) != nil {
		return nil, false
	}
	return arr, true
}

// splitWords splits on unquoted blanks. With strip, quotes are removed and backslash escapes
// inside double quotes resolved (ENV/ARG values); without, words keep their quotes.
func splitWords(s string, strip bool) []string {
	var words []string
	var b strings.Builder
	inWord := false
	var quote rune
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == '\\' && quote == '"' && i+1 < len(rs) && strings.ContainsRune(`"\$`+"`", rs[i+1]) {
				if !strip {
					b.WriteRune(r)
				}
				i++
				b.WriteRune(rs[i])
				continue
			}
			if r == quote {
				quote = 0
				if !strip {
					b.WriteRune(r)
				}
				continue
			}
			b.WriteRune(r)
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, b.String())
				b.Reset()
				inWord = false
			}
		case r == '"' || r == '\'':
			quote = r
			inWord = true
			if !strip {
				b.WriteRune(r)
			}
		case r == '\\' && i+1 < len(rs) && strip:
			i++
			b.WriteRune(rs[i])
			inWord = true
		default:
			b.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, b.String())
	}
	return words
}

func unquote(s string) string {
	if w := splitWords(s, true); len(w) == 1 {
		return w[0]
	}
	return s
}

// heredocRe matches a heredoc opener word: optional fd, <<, optional - (strip tabs), the name.
var heredocRe = regexp.MustCompile(`^[0-9]*<<(-?)(.+)$`)

func parseHeredocWord(w string) (Heredoc, bool) {
	m := heredocRe.FindStringSubmatch(w)
	if m == nil || strings.HasPrefix(m[2], "<") {
		return Heredoc{}, false // <<< is a here-string
	}
	name := m[2]
	if len(name) >= 2 && (name[0] == '"' || name[0] == '\'') && name[len(name)-1] == name[0] {
		name = name[1 : len(name)-1]
	}
	if name == "" || strings.ContainsAny(name, `"'`) {
		return Heredoc{}, false
	}
	return Heredoc{Name: name, Chomp: m[1] == "-"}, true
}

// varRe matches $NAME and ${NAME} with the BuildKit modifiers :-, -, :+, +.
var varRe = regexp.MustCompile(`\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\{[^}]*\})`)

// maxExpansion bounds an expanded value: ARG A=${A}${A} repeated doubles it each time.
const maxExpansion = 4096

// expandArgs expands variables in a FROM image with the defaults of the global ARGs. It
// reports unresolved when a variable has no value, or uses a modifier it does not implement.
func expandArgs(s string, args []Instruction) (string, bool) {
	return expandWith(s, argDefaults(args))
}

// argDefaults evaluates the ARG defaults in order (a default may use earlier ones). A
// declared ARG without a default is absent: it has no value at build time unless given one.
func argDefaults(args []Instruction) map[string]string {
	vals := map[string]string{}
	for _, a := range args {
		for _, kv := range a.Pairs() {
			if !kv.HasValue {
				continue
			}
			if v, unresolved := expandWith(kv.Value, vals); !unresolved {
				vals[kv.Key] = v
			} else {
				delete(vals, kv.Key)
			}
		}
	}
	return vals
}

func expandWith(s string, vals map[string]string) (string, bool) {
	if len(s) > maxExpansion {
		return s, true
	}
	unresolved := false
	out := varRe.ReplaceAllStringFunc(s, func(m string) string {
		sm := varRe.FindStringSubmatch(m)
		name := sm[1] + sm[2]
		if name == "" {
			unresolved = true
			return m
		}
		v, ok := vals[name]
		empty := !ok || v == ""
		switch sm[3] {
		case "":
			if !ok {
				unresolved = true
				return m
			}
			return v
		case ":-":
			if empty {
				return sm[4]
			}
			return v
		case "-":
			if !ok {
				return sm[4]
			}
			return v
		case ":+":
			if empty {
				return ""
			}
			return sm[4]
		case "+":
			if !ok {
				return ""
			}
			return sm[4]
		}
		unresolved = true
		return m
	})
	if len(out) > maxExpansion {
		return s, true
	}
	return out, unresolved
}
