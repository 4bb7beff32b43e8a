package attest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// ErrNoGit means the source directory is not a git checkout (or git is not installed):
// provenance needs to name the commit it was built from.
var ErrNoGit = errors.New("not a git checkout")

// GitSource describes the git checkout at dir as a resolved dependency:
// uri "git+<remote>@<ref>", digest {"gitCommit": HEAD}, annotation "dirty" (uncommitted or
// untracked changes). The remote is origin's URL, with scp-style SSH rewritten to https.
func GitSource(ctx context.Context, dir string) (ResourceDescriptor, error) {
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return strings.TrimSpace(out.String()), nil
	}
	commit, err := git("rev-parse", "--verify", "HEAD")
	if err != nil {
		return ResourceDescriptor{}, fmt.Errorf("%w: %s: %v", ErrNoGit, dir, err)
	}
	ref, err := git("symbolic-ref", "-q", "HEAD")
	if err != nil || ref == "" {
		// Detached HEAD (as CI checks out tags): name the tag pointing at it, if any.
		if tag, terr := git("describe", "--tags", "--exact-match", "HEAD"); terr == nil && tag != "" {
			ref = "refs/tags/" + tag
		} else {
			ref = ""
		}
	}
	remote, _ := git("remote", "get-url", "origin")
	status, err := git("status", "--porcelain", "--untracked-files=normal")
	if err != nil {
		return ResourceDescriptor{}, err
	}
	uri := "git+" + httpsRemote(remote)
	if remote == "" {
		uri = "git+file://" + dir
	}
	if ref != "" {
		uri += "@" + ref
	}
	return ResourceDescriptor{
		URI:         uri,
		Digest:      map[string]string{"gitCommit": commit},
		Annotations: map[string]any{"dirty": status != ""},
	}, nil
}

// httpsRemote rewrites "git@github.com:org/repo.git" to "https://github.com/org/repo.git";
// other URLs are kept.
func httpsRemote(r string) string {
	if strings.Contains(r, "://") {
		return r
	}
	if user, rest, ok := strings.Cut(r, "@"); ok && !strings.Contains(user, "/") {
		if host, path, ok := strings.Cut(rest, ":"); ok {
			return "https://" + host + "/" + path
		}
	}
	return r
}
