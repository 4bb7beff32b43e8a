package reach

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"

	"github.com/hallmark-dev/hallmark/match"
	"github.com/hallmark-dev/hallmark/vulndb"
)

// maxBinary bounds a binary read into memory when its file cannot be read at random offsets.
const maxBinary = 1 << 30

// Annotate sets Reachability and Symbols on each Go finding of res (Package.Ecosystem "Go",
// the standard library included), analysing each binary or go.mod location once. fsys is the
// scanned root: Package.Locations[0].Path is read from it (for a single scanned file, pass
// its directory). A go.mod location is analysed as a module tree with Source's defaults, any
// other location as a binary.
//
// Findings whose records list no imports stay ReachUnknown. A location that cannot be
// analysed adds a warning to res and leaves its findings ReachUnknown; a partial analysis
// marks only ReachCalled findings, because "imported" or "not-imported" could be wrong about
// code that was not read. Only ctx's error is returned.
func Annotate(ctx context.Context, fsys fs.FS, res *match.Result) error {
	type outcome struct {
		syms *Symbols
		err  error
	}
	done := map[string]outcome{}
	for _, f := range res.Findings {
		if f.Package == nil || f.Package.Ecosystem != "Go" || len(f.Package.Locations) == 0 {
			continue
		}
		imports := importsOf(f)
		if len(imports) == 0 {
			continue
		}
		loc := f.Package.Locations[0].Path
		o, ok := done[loc]
		if !ok {
			if err := ctx.Err(); err != nil {
				return err
			}
			o.syms, o.err = analyse(ctx, fsys, loc)
			if err := ctx.Err(); err != nil {
				return err
			}
			done[loc] = o
			switch {
			case o.err != nil:
				res.Warnings = append(res.Warnings, fmt.Sprintf("reachability not analysed for %s: %v", loc, o.err))
			case o.syms.Partial:
				res.Warnings = append(res.Warnings, fmt.Sprintf("reachability for %s is partial (%s): only findings seen called are marked", loc, o.syms.Reason))
			}
		}
		if o.err != nil {
			continue
		}
		level, used := o.syms.Reach(imports)
		if o.syms.Partial && level != match.ReachCalled {
			level, used = match.ReachUnknown, nil
		}
		f.Reachability, f.Symbols = level, used
	}
	return nil
}

// importsOf collects the vulnerable imports of the finding's records for its package; when
// no affected entry names the package, every Go entry counts, rather than none.
func importsOf(f *match.Finding) []vulndb.Import {
	var named, all []vulndb.Import
	for _, adv := range f.Advisories {
		if adv == nil {
			continue
		}
		for _, af := range adv.Affected {
			if af.Ecosystem != "Go" {
				continue
			}
			all = append(all, af.Imports...)
			if af.Name == f.Package.Name {
				named = append(named, af.Imports...)
			}
		}
	}
	if len(named) > 0 {
		return named
	}
	return all
}

func analyse(ctx context.Context, fsys fs.FS, loc string) (*Symbols, error) {
	if path.Base(loc) == "go.mod" {
		sub, err := fs.Sub(fsys, path.Dir(loc))
		if err != nil {
			return nil, err
		}
		return Source(ctx, sub, SourceOptions{})
	}
	f, err := fsys.Open(loc)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if ra, ok := f.(io.ReaderAt); ok {
		return Binary(ra)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxBinary+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxBinary {
		return nil, fmt.Errorf("binary larger than %d bytes", maxBinary)
	}
	return Binary(bytes.NewReader(data))
}
