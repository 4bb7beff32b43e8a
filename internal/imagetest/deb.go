package imagetest

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// The .deb reader is written here rather than shelling out to dpkg-deb so that tests which
// build images from .deb files run on any machine with a Go toolchain.

// debPackage is a .deb file read into memory.
type debPackage struct {
	name      string
	arch      string
	multiArch string
	// control holds the fields of DEBIAN/control in file order.
	control []field
	// info are the other control members (md5sums, conffiles, postinst, …) by member name.
	info map[string][]byte
	// files are the data archive's entries; list are their image paths in archive order.
	files []File
	list  []string
	// conffiles with their md5 sums, in conffiles order.
	conffiles []field
}

type field struct{ name, value string }

// infoName is the base name dpkg uses for the package's files under var/lib/dpkg/info:
// "pkg", or "pkg:arch" for Multi-Arch: same packages.
func (p *debPackage) infoName() string {
	if p.multiArch == "same" {
		return p.name + ":" + p.arch
	}
	return p.name
}

// readDeb reads a Debian binary package: an ar archive holding debian-binary,
// control.tar[.gz|.xz|.zst] and data.tar[.gz|.xz|.zst|.bz2] (deb(5)).
func readDeb(file string) (*debPackage, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	members, err := readAr(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var control, data []byte
	for _, m := range members {
		switch {
		case strings.HasPrefix(m.name, "control.tar"):
			control, err = decompress(m.name, m.data)
		case strings.HasPrefix(m.name, "data.tar"):
			data, err = decompress(m.name, m.data)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, m.name, err)
		}
	}
	if control == nil || data == nil {
		return nil, fmt.Errorf("%s: not a Debian package (control or data member missing)", file)
	}
	pkg := &debPackage{info: map[string][]byte{}}
	if err := pkg.readControl(control); err != nil {
		return nil, fmt.Errorf("%s: control: %w", file, err)
	}
	if err := pkg.readData(data); err != nil {
		return nil, fmt.Errorf("%s: data: %w", file, err)
	}
	if err := pkg.sumConffiles(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return pkg, nil
}

type arMember struct {
	name string
	data []byte
}

// readAr reads a common-format ar archive: the magic "!<arch>\n", then for each member a
// 60-byte header (name 16, mtime 12, uid 6, gid 6, mode 8, size 10, "`\n") and the data,
// padded to an even length.
func readAr(b []byte) ([]arMember, error) {
	const magic = "!<arch>\n"
	if !bytes.HasPrefix(b, []byte(magic)) {
		return nil, errors.New("not an ar archive")
	}
	b = b[len(magic):]
	var out []arMember
	for len(b) > 0 {
		if len(b) < 60 {
			return nil, errors.New("truncated ar header")
		}
		hdr := b[:60]
		if string(hdr[58:60]) != "`\n" {
			return nil, errors.New("bad ar header terminator")
		}
		name := strings.TrimRight(strings.TrimSpace(string(hdr[:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 || size > int64(len(b)-60) {
			return nil, fmt.Errorf("bad ar member size for %q", name)
		}
		out = append(out, arMember{name: name, data: b[60 : 60+size]})
		next := 60 + size + size%2
		if next > int64(len(b)) {
			next = int64(len(b))
		}
		b = b[next:]
	}
	return out, nil
}

func decompress(name string, b []byte) ([]byte, error) {
	var r io.Reader
	switch path.Ext(name) {
	case ".tar":
		return b, nil
	case ".gz":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		r = zr
	case ".xz":
		zr, err := xz.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		r = zr
	case ".zst":
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	default:
		return nil, fmt.Errorf("unsupported compression %q", path.Ext(name))
	}
	return io.ReadAll(r)
}

func (p *debPackage) readControl(b []byte) error {
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		name := path.Base(hdr.Name)
		if name == "control" {
			p.control, err = parseStanza(data)
			if err != nil {
				return err
			}
			continue
		}
		p.info[name] = data
	}
	for _, f := range p.control {
		switch f.name {
		case "Package":
			p.name = f.value
		case "Architecture":
			p.arch = f.value
		case "Multi-Arch":
			p.multiArch = f.value
		}
	}
	if p.name == "" || p.arch == "" {
		return errors.New("control file has no Package or Architecture field")
	}
	return nil
}

// parseStanza parses one deb822 paragraph; a field's value keeps its continuation lines
// (with their leading space) so it can be written back unchanged.
func parseStanza(b []byte) ([]field, error) {
	var fields []field
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(fields) == 0 {
				return nil, errors.New("continuation line before the first field")
			}
			fields[len(fields)-1].value += "\n" + line
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %q is not a field", line)
		}
		fields = append(fields, field{name: name, value: strings.TrimSpace(value)})
	}
	return fields, sc.Err()
}

func (p *debPackage) readData(b []byte) error {
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(strings.TrimPrefix(hdr.Name, "./"), "/")
		if name == "" || name == "." {
			continue
		}
		f := File{Path: name, Mode: hdr.Mode & 0o7777, ModTime: hdr.ModTime, Linkname: hdr.Linkname}
		switch hdr.Typeflag {
		case tar.TypeReg:
			f.Type = tar.TypeReg
			if f.Data, err = io.ReadAll(tr); err != nil {
				return err
			}
		case tar.TypeDir:
			f.Type = tar.TypeDir
		case tar.TypeSymlink:
			f.Type = tar.TypeSymlink
		case tar.TypeLink:
			f.Type = tar.TypeLink
			f.Linkname = strings.TrimPrefix(hdr.Linkname, "./")
		default:
			return fmt.Errorf("%s: unsupported entry type %q", hdr.Name, hdr.Typeflag)
		}
		p.files = append(p.files, f)
		p.list = append(p.list, "/"+name)
	}
}

// sumConffiles records the md5 of each conffile, as dpkg does in the status file's
// Conffiles field.
func (p *debPackage) sumConffiles() error {
	cf, ok := p.info["conffiles"]
	if !ok {
		return nil
	}
	byPath := map[string][]byte{}
	for _, f := range p.files {
		byPath["/"+f.Path] = f.Data
	}
	for line := range strings.SplitSeq(string(cf), "\n") {
		name := strings.TrimSpace(line)
		if name == "" {
			continue
		}
		// Debian 12's dpkg allows a "remove-on-upgrade" flag before the path.
		if _, rest, ok := strings.Cut(name, " "); ok {
			name = strings.TrimSpace(rest)
		}
		data, ok := byPath[name]
		if !ok {
			return fmt.Errorf("conffile %s is not in the data archive", name)
		}
		sum := md5.Sum(data)
		p.conffiles = append(p.conffiles, field{name: name, value: hex.EncodeToString(sum[:])})
	}
	return nil
}

// statusFieldOrder is the order in which dpkg writes the fields it knows to the status file;
// other fields follow in their control-file order.
var statusFieldOrder = []string{
	"Package", "Essential", "Protected", "Status", "Priority", "Section", "Installed-Size",
	"Origin", "Maintainer", "Bugs", "Architecture", "Multi-Arch", "Source", "Version",
	"Config-Version", "Replaces", "Provides", "Depends", "Pre-Depends", "Recommends",
	"Suggests", "Breaks", "Conflicts", "Enhances", "Conffiles", "Description",
}

// stanza renders the package's status-file paragraph.
func (p *debPackage) stanza() string {
	byName := map[string]string{}
	for _, f := range p.control {
		byName[f.name] = f.value
	}
	byName["Status"] = "install ok installed"
	if len(p.conffiles) > 0 {
		var b strings.Builder
		for _, c := range p.conffiles {
			fmt.Fprintf(&b, "\n %s %s", c.name, c.value)
		}
		byName["Conffiles"] = b.String()
	}
	var b strings.Builder
	write := func(name, value string) {
		if strings.HasPrefix(value, "\n") {
			fmt.Fprintf(&b, "%s:%s\n", name, value)
		} else {
			fmt.Fprintf(&b, "%s: %s\n", name, value)
		}
	}
	known := map[string]bool{}
	for _, name := range statusFieldOrder {
		known[name] = true
		if v, ok := byName[name]; ok {
			write(name, v)
		}
	}
	for _, f := range p.control {
		if !known[f.name] {
			write(f.name, f.value)
		}
	}
	return b.String()
}

// dpkgDB is the set of packages installed by the layers built so far.
type dpkgDB struct {
	pkgs map[string]*debPackage // by infoName
}

func (db *dpkgDB) install(p *debPackage) {
	if db.pkgs == nil {
		db.pkgs = map[string]*debPackage{}
	}
	db.pkgs[p.infoName()] = p
}

// remove purges the package called name (with or without ":arch") and returns the image
// paths to white out: its non-directory files and its info files.
func (db *dpkgDB) remove(name string) ([]string, error) {
	key := ""
	for k, p := range db.pkgs {
		if k == name || p.name == name {
			key = k
			break
		}
	}
	if key == "" {
		return nil, fmt.Errorf("remove %s: package is not installed by an earlier layer", name)
	}
	p := db.pkgs[key]
	delete(db.pkgs, key)
	var out []string
	for _, f := range p.files {
		if f.Type != tar.TypeDir {
			out = append(out, f.Path)
		}
	}
	out = append(out, "var/lib/dpkg/info/"+key+".list")
	for _, member := range slices.Sorted(maps.Keys(p.info)) {
		out = append(out, "var/lib/dpkg/info/"+key+"."+member)
	}
	return out, nil
}

// files renders var/lib/dpkg/status with every installed package (paragraphs sorted by
// package name, as dpkg writes them) and the info files of the packages in added, the ones
// this layer installed: like a real layer, it does not rewrite the other packages' info files.
func (db *dpkgDB) files(added []*debPackage, created time.Time) []File {
	var status strings.Builder
	for i, k := range slices.Sorted(maps.Keys(db.pkgs)) {
		if i > 0 {
			status.WriteString("\n")
		}
		status.WriteString(db.pkgs[k].stanza())
	}
	var out []File
	for _, p := range added {
		k := p.infoName()

		list := "/.\n" + strings.Join(p.list, "\n") + "\n"
		out = append(out, File{Path: "var/lib/dpkg/info/" + k + ".list", Data: []byte(list), ModTime: created})
		for _, member := range slices.Sorted(maps.Keys(p.info)) {
			mode := int64(0o644)
			switch member {
			case "preinst", "postinst", "prerm", "postrm", "config":
				mode = 0o755
			}
			out = append(out, File{Path: "var/lib/dpkg/info/" + k + "." + member, Data: p.info[member], Mode: mode, ModTime: created})
		}
	}
	out = append(out, File{Path: "var/lib/dpkg/status", Data: []byte(status.String()), ModTime: created})
	return out
}
