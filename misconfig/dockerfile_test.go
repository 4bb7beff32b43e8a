package misconfig

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// insSummary is what the parser tests compare for each instruction.
type insSummary struct {
	Cmd           string
	Line, EndLine int
	Flags         []string
	Text          string
	JSON          bool
	Args          []string
	Heredocs      []Heredoc
}

func summarizeDockerfile(df *Dockerfile) (stages []string, ins []insSummary) {
	all := append([]Instruction{}, df.Args...)
	for _, st := range df.Stages {
		s := st.Image
		if st.Name != "" {
			s += " AS " + st.Name
		}
		if st.Unresolved {
			s += " (unresolved)"
		}
		if st.BaseStage >= 0 {
			s += " (stage " + itoa(st.BaseStage) + ")"
		}
		stages = append(stages, s)
		all = append(all, st.From)
		all = append(all, st.Instructions...)
	}
	for _, in := range all {
		ins = append(ins, insSummary{in.Cmd, in.Line, in.EndLine, in.Flags, in.Text, in.JSON, in.Args, in.Heredocs})
	}
	return stages, ins
}

func TestParseDockerfile(t *testing.T) {
	for _, c := range []struct {
		name, src  string
		directives map[string]string
		stages     []string
		ins        []insSummary
	}{
		{
			name: "continuations-comments-blank-lines",
			src: "FROM alpine:3.20\n" +
				"RUN apk add \\\n" +
				"  # a comment inside the continuation is dropped\n" +
				"\n" +
				"    curl \\   \n" +
				"    git\n" +
				"CMD [\"sh\", \"-c\", \"echo hi\"]\r\n",
			stages: []string{"alpine:3.20"},
			ins: []insSummary{
				{Cmd: "FROM", Line: 1, EndLine: 1, Text: "alpine:3.20", Args: []string{"alpine:3.20"}},
				{Cmd: "RUN", Line: 2, EndLine: 6, Text: "apk add     curl     git", Args: []string{"apk", "add", "curl", "git"}},
				{Cmd: "CMD", Line: 7, EndLine: 7, Text: `["sh", "-c", "echo hi"]`, JSON: true, Args: []string{"sh", "-c", "echo hi"}},
			},
		},
		{
			name: "escape-directive",
			src: "# escape=`\n" +
				"# syntax=docker/dockerfile:1\n" +
				"FROM mcr.microsoft.com/windows/servercore:ltsc2022\n" +
				"RUN dir c:\\ `\n" +
				"    && echo done\n",
			directives: map[string]string{"escape": "`", "syntax": "docker/dockerfile:1"},
			stages:     []string{"mcr.microsoft.com/windows/servercore:ltsc2022"},
			ins: []insSummary{
				{Cmd: "FROM", Line: 3, EndLine: 3, Text: "mcr.microsoft.com/windows/servercore:ltsc2022", Args: []string{"mcr.microsoft.com/windows/servercore:ltsc2022"}},
				{Cmd: "RUN", Line: 4, EndLine: 5, Text: `dir c:\     && echo done`, Args: []string{"dir", `c:\`, "&&", "echo", "done"}},
			},
		},
		{
			name: "directive-after-comment-is-a-comment",
			src:  "# hello\n# escape=`\nFROM a:1\nRUN x \\\n y\n",
			// The escape directive is ignored, so the backslash continues the line.
			directives: map[string]string{},
			stages:     []string{"a:1"},
			ins: []insSummary{
				{Cmd: "FROM", Line: 3, EndLine: 3, Text: "a:1", Args: []string{"a:1"}},
				{Cmd: "RUN", Line: 4, EndLine: 5, Text: "x  y", Args: []string{"x", "y"}},
			},
		},
		{
			name: "heredocs",
			src: "FROM a:1\n" +
				"RUN <<EOF\n" +
				"set -e\n" +
				"echo \"EOF is not the end here\"\n" +
				"EOF\n" +
				"COPY <<-\"ONE\" /one <<TWO /two\n" +
				"\tfirst\n" +
				"\tONE\n" +
				"second\n" +
				"TWO\n" +
				"RUN echo \"<<NOT\" && cat <<< here-string\n",
			stages: []string{"a:1"},
			ins: []insSummary{
				{Cmd: "FROM", Line: 1, EndLine: 1, Text: "a:1", Args: []string{"a:1"}},
				{Cmd: "RUN", Line: 2, EndLine: 5, Text: "<<EOF", Args: []string{"<<EOF"},
					Heredocs: []Heredoc{{Name: "EOF", Line: 3, Body: "set -e\necho \"EOF is not the end here\"\n"}}},
				{Cmd: "COPY", Line: 6, EndLine: 10, Text: `<<-"ONE" /one <<TWO /two`, Args: []string{`<<-"ONE"`, "/one", "<<TWO", "/two"},
					Heredocs: []Heredoc{{Name: "ONE", Line: 7, Body: "first\n", Chomp: true}, {Name: "TWO", Line: 9, Body: "second\n"}}},
				{Cmd: "RUN", Line: 11, EndLine: 11, Text: `echo "<<NOT" && cat <<< here-string`, Args: []string{"echo", `"<<NOT"`, "&&", "cat", "<<<", "here-string"}},
			},
		},
		{
			name: "stages-args-flags",
			src: "ARG REG=registry.example.com\n" +
				"ARG TAG\n" +
				"FROM --platform=$BUILDPLATFORM ${REG}/go:${VER:-1.26} AS Build\n" +
				"RUN --mount=type=cache,target=/root/.cache go build\n" +
				"FROM build AS test\n" +
				"FROM ${REG}/base:${TAG}\n" +
				"COPY --from=build --chown=1:1 /out /out\n" +
				"ENV A=1 B=\"two words\" C='x y'\n" +
				"ENV LEGACY value with spaces\n" +
				"ARG X Y=2\n",
			stages: []string{"registry.example.com/go:1.26 AS build", "build AS test (stage 0)", "registry.example.com/base:${TAG} (unresolved)"},
			ins: []insSummary{
				{Cmd: "ARG", Line: 1, EndLine: 1, Text: "REG=registry.example.com", Args: []string{"REG=registry.example.com"}},
				{Cmd: "ARG", Line: 2, EndLine: 2, Text: "TAG", Args: []string{"TAG"}},
				{Cmd: "FROM", Line: 3, EndLine: 3, Flags: []string{"--platform=$BUILDPLATFORM"}, Text: "${REG}/go:${VER:-1.26} AS Build", Args: []string{"${REG}/go:${VER:-1.26}", "AS", "Build"}},
				{Cmd: "RUN", Line: 4, EndLine: 4, Flags: []string{"--mount=type=cache,target=/root/.cache"}, Text: "go build", Args: []string{"go", "build"}},
				{Cmd: "FROM", Line: 5, EndLine: 5, Text: "build AS test", Args: []string{"build", "AS", "test"}},
				{Cmd: "FROM", Line: 6, EndLine: 6, Text: "${REG}/base:${TAG}", Args: []string{"${REG}/base:${TAG}"}},
				{Cmd: "COPY", Line: 7, EndLine: 7, Flags: []string{"--from=build", "--chown=1:1"}, Text: "/out /out", Args: []string{"/out", "/out"}},
				{Cmd: "ENV", Line: 8, EndLine: 8, Text: `A=1 B="two words" C='x y'`, Args: []string{"A=1", "B=two words", "C=x y"}},
				{Cmd: "ENV", Line: 9, EndLine: 9, Text: "LEGACY value with spaces", Args: []string{"LEGACY", "value", "with", "spaces"}},
				{Cmd: "ARG", Line: 10, EndLine: 10, Text: "X Y=2", Args: []string{"X", "Y=2"}},
			},
		},
		{
			name:   "bom-and-lowercase",
			src:    "\xef\xbb\xbffrom a:1\nuser app\n",
			stages: []string{"a:1"},
			ins: []insSummary{
				{Cmd: "FROM", Line: 1, EndLine: 1, Text: "a:1", Args: []string{"a:1"}},
				{Cmd: "USER", Line: 2, EndLine: 2, Text: "app", Args: []string{"app"}},
			},
		},
		{
			name:   "continuation-at-eof",
			src:    "FROM a:1\nRUN echo \\",
			stages: []string{"a:1"},
			ins: []insSummary{
				{Cmd: "FROM", Line: 1, EndLine: 1, Text: "a:1", Args: []string{"a:1"}},
				{Cmd: "RUN", Line: 2, EndLine: 2, Text: "echo", Args: []string{"echo"}},
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			df, err := ParseDockerfile("Dockerfile", []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			stages, ins := summarizeDockerfile(df)
			if diff := cmp.Diff(c.stages, stages); diff != "" {
				t.Errorf("stages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(c.ins, ins); diff != "" {
				t.Errorf("instructions (-want +got):\n%s", diff)
			}
			if c.directives != nil {
				if diff := cmp.Diff(c.directives, df.Directives); diff != "" {
					t.Errorf("directives (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestInstructionPairs(t *testing.T) {
	df, err := ParseDockerfile("Dockerfile", []byte("FROM a:1\nENV A=1 B=\"two \\\"quoted\\\" words\" C=\nENV LEGACY  value  with spaces\nARG X Y=2\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got [][]KeyValue
	for _, in := range df.Stages[0].Instructions {
		got = append(got, in.Pairs())
	}
	want := [][]KeyValue{
		{{"A", "1", true}, {"B", `two "quoted" words`, true}, {"C", "", true}},
		{{"LEGACY", "value  with spaces", true}},
		{{"X", "", false}, {"Y", "2", true}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pairs (-want +got):\n%s", diff)
	}
}

func TestParseDockerfileErrors(t *testing.T) {
	for _, c := range []struct{ name, src, msg string }{
		{"empty", "", "Dockerfile: malformed file: no instructions"},
		{"comments-only", "# just a comment\n\n", "no instructions"},
		{"only-args", "ARG A=1\n", "Dockerfile:1: malformed file: no FROM instruction"},
		{"unknown-instruction", "FROM a:1\nRUNN echo\n", `Dockerfile:2: malformed file: unknown instruction "RUNN"`},
		{"before-from", "RUN echo\nFROM a:1\n", "Dockerfile:1: malformed file: RUN before the first FROM"},
		{"from-without-image", "FROM\n", "Dockerfile:1: malformed file: FROM without an image"},
		{"from-extra-words", "FROM a b\n", "Dockerfile:1: malformed file: FROM takes an image"},
		{"unterminated-heredoc", "FROM a:1\nRUN <<EOF\necho\n", "Dockerfile:2: malformed file: heredoc <<EOF is not terminated"},
		{"bad-escape", "# escape=x\nFROM a:1\n", "Dockerfile:1: malformed file: escape directive"},
		{"duplicate-directive", "# syntax=a\n# syntax=b\nFROM a:1\n", `parser directive "syntax" given twice`},
		{"binary", "FROM a:1\n\x00\x01", "Dockerfile: malformed file: not a text file"},
		{"invalid-utf8", "FROM a:1\nRUN \xff\n", "not a text file"},
		{"onbuild-onbuild", "FROM a:1\nONBUILD ONBUILD RUN x\n", "ONBUILD"},
		{"yaml", "apiVersion: v1\nkind: Pod\n", `unknown instruction "apiVersion:"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseDockerfile("Dockerfile", []byte(c.src))
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v, want ErrMalformed containing %q", err, c.msg)
			}
		})
	}
}

func TestExpandArgs(t *testing.T) {
	args := []Instruction{{Cmd: "ARG", Text: "A=alpine B= C"}, {Cmd: "ARG", Text: "D=${A}:3"}}
	for _, c := range []struct {
		in, want   string
		unresolved bool
	}{
		{"$A", "alpine", false},
		{"${A}:${B:-1}", "alpine:1", false},
		{"${C-x}", "x", false},
		{"${A:+set}", "set", false},
		{"${B+set}", "set", false},
		{"${D}", "alpine:3", false},
		{"${C}", "${C}", true},
		{"${NOPE}/x", "${NOPE}/x", true},
		{"${A#al}", "${A#al}", true},
	} {
		got, unres := expandArgs(c.in, args)
		if got != c.want || unres != c.unresolved {
			t.Errorf("expandArgs(%q) = %q, %v; want %q, %v", c.in, got, unres, c.want, c.unresolved)
		}
	}
}
