package reach

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"debug/gosym"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrNotGo is returned by Binary for a file that is not a Go executable hallmark can read.
var ErrNotGo = errors.New("not a readable Go binary")

// pclntab magic numbers, by the Go release that introduced the layout.
const (
	magic12  = 0xfffffffb
	magic116 = 0xfffffffa
	magic118 = 0xfffffff0
	magic120 = 0xfffffff1
)

// Indexes of the inline tree in a function's pcdata and funcdata tables (internal/abi).
const (
	pcdataInlTreeIndex = 2
	funcdataInlTree    = 3
	inlinedCallSize    = 16 // funcID, pad[3], nameOff, parentPc, startLine
)

// maxSection bounds what is read of one section, so a header claiming gigabytes fails
// cleanly instead of exhausting memory.
const maxSection = 1 << 30

// Binary reads the symbol table of a Go binary (ELF, Mach-O or PE, stripped or not): the
// functions it links, including functions inlined into others (Go ≥ 1.20 records them in the
// pclntab's inline tree), and so the packages it links. The result names the toolchain
// version and target platform from the embedded build information.
func Binary(r io.ReaderAt) (*Symbols, error) {
	info, err := buildinfo.Read(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotGo, err)
	}
	exe, err := openExe(r)
	if err != nil {
		return nil, err
	}
	s := newSymbols()
	s.GoVersion = info.GoVersion
	for _, st := range info.Settings {
		switch st.Key {
		case "GOOS":
			s.GOOS = st.Value
		case "GOARCH":
			s.GOARCH = st.Value
		}
	}
	tab, addr, err := exe.pclntab()
	if err != nil {
		return nil, err
	}
	h, err := parseHeader(tab, exe.order)
	if err != nil {
		return nil, err
	}
	gt, err := funcTable(tab)
	if err != nil {
		return nil, err
	}
	if len(gt.Funcs) == 0 {
		return nil, fmt.Errorf("%w: pclntab lists no functions", ErrNotGo)
	}
	for _, f := range gt.Funcs {
		if pkg, sym, ok := SplitSymbol(f.Name); ok {
			s.add(pkg, sym)
		}
	}
	if err := inlined(s, exe, h, addr); err != nil {
		return nil, err
	}
	return s, nil
}

// funcTable lists the pclntab's functions with debug/gosym, which reads every layout since
// Go 1.2. gosym is not hardened against every malformed table; a panic inside it means the
// table is malformed, so it is reported as such (only around this call, so that fuzzing still
// sees this package's own mistakes).
func funcTable(tab []byte) (t *gosym.Table, err error) {
	defer func() {
		if p := recover(); p != nil {
			t, err = nil, fmt.Errorf("%w: malformed pclntab (%v)", ErrNotGo, p)
		}
	}()
	t, err = gosym.NewTable(nil, gosym.NewLineTable(tab, 0))
	if err != nil {
		return nil, fmt.Errorf("%w: pclntab: %v", ErrNotGo, err)
	}
	return t, nil
}

// inlined adds the functions named in the inline trees. Only the Go 1.20+ layout is read;
// for older binaries the result is marked partial.
func inlined(s *Symbols, exe *exeFile, h *header, addr uint64) error {
	if h.magic != magic120 {
		s.partial("binary built before Go 1.20: functions inlined into others are not seen")
		return nil
	}
	funcs, err := h.funcs()
	if err != nil {
		return err
	}
	gofunc, ok := findGofunc(exe, h, addr, funcs)
	if !ok {
		s.partial("the binary's go:func.* table was not found: functions inlined into others are not seen")
		return nil
	}
	mem := exe.reader(gofunc)
	for _, f := range funcs {
		if f.inlTree == noFuncdata || f.inlIndex == 0 {
			continue
		}
		n, err := h.maxPCValue(f)
		if err != nil {
			return err
		}
		for i := 0; i <= n; i++ {
			var e [inlinedCallSize]byte
			if err := mem.readAt(e[:], gofunc+uint64(f.inlTree)+uint64(i)*inlinedCallSize); err != nil {
				return fmt.Errorf("%w: inline tree of %s: %v", ErrNotGo, h.name(f.nameOff), err)
			}
			name := h.name(int32(exe.order.Uint32(e[4:])))
			if name == "" {
				return fmt.Errorf("%w: inline tree of %s: entry %d names no function", ErrNotGo, h.name(f.nameOff), i)
			}
			if pkg, sym, ok := SplitSymbol(name); ok {
				s.add(pkg, sym)
			}
		}
	}
	return nil
}

// header is a parsed Go 1.16+ pclntab header (runtime.pcHeader).
type header struct {
	tab      []byte
	order    binary.ByteOrder
	magic    uint32
	quantum  uint32
	ptrSize  int
	nfunc    int
	funcname []byte // funcnametab
	pctab    []byte
	pcln     []byte // functab followed by the _func records
	funcOff  uint64 // offset of funcnametab in tab
}

func parseHeader(tab []byte, order binary.ByteOrder) (*header, error) {
	if len(tab) < 8 {
		return nil, fmt.Errorf("%w: pclntab header truncated", ErrNotGo)
	}
	h := &header{tab: tab, order: order, magic: order.Uint32(tab), quantum: uint32(tab[6]), ptrSize: int(tab[7])}
	switch h.magic {
	case magic12, magic116, magic118, magic120:
	default:
		return nil, fmt.Errorf("%w: unknown pclntab magic %#x", ErrNotGo, h.magic)
	}
	if h.ptrSize != 4 && h.ptrSize != 8 {
		return nil, fmt.Errorf("%w: pclntab pointer size %d", ErrNotGo, h.ptrSize)
	}
	word := func(i int) (uint64, error) {
		off := 8 + i*h.ptrSize
		if off+h.ptrSize > len(tab) {
			return 0, fmt.Errorf("%w: pclntab header truncated", ErrNotGo)
		}
		if h.ptrSize == 4 {
			return uint64(order.Uint32(tab[off:])), nil
		}
		return order.Uint64(tab[off:]), nil
	}
	// Every layout starts with the function count, and every function takes at least 8
	// bytes of function table: a larger count is a lie that would make readers allocate
	// without bound.
	nfunc, err := word(0)
	if err != nil {
		return nil, err
	}
	if nfunc > uint64(len(tab))/8 {
		return nil, fmt.Errorf("%w: pclntab claims %d functions in %d bytes", ErrNotGo, nfunc, len(tab))
	}
	if h.magic != magic120 && h.magic != magic118 {
		return h, nil // names come from debug/gosym; no inline tree is read
	}
	// Go 1.18+: nfunc, nfiles, textStart, funcnameOffset, cuOffset, filetabOffset,
	// pctabOffset, pclnOffset.
	var w [8]uint64
	for i := range w {
		v, err := word(i)
		if err != nil {
			return nil, err
		}
		w[i] = v
	}
	n := uint64(len(tab))
	if w[0] > n/8 || w[3] > n || w[6] > n || w[7] > n {
		return nil, fmt.Errorf("%w: pclntab header offsets out of range", ErrNotGo)
	}
	h.nfunc = int(w[0])
	h.funcOff = w[3]
	h.funcname = tab[w[3]:]
	if w[4] > w[3] && w[4] <= n { // the cu table follows the names
		h.funcname = tab[w[3]:w[4]]
	}
	h.pctab = tab[w[6]:]
	h.pcln = tab[w[7]:]
	return h, nil
}

// name returns the NUL-terminated function name at off in funcnametab, "" when off is bad.
func (h *header) name(off int32) string {
	if off < 0 || int(off) >= len(h.funcname) {
		return ""
	}
	b := h.funcname[off:]
	end := bytes.IndexByte(b, 0)
	if end <= 0 {
		return ""
	}
	return string(b[:end])
}

const noFuncdata = ^uint32(0)

// funcInfo is what inline-tree reading needs of one runtime._func record.
type funcInfo struct {
	nameOff  int32
	size     uint32 // bytes of code, from the next function's entry
	inlIndex uint32 // pctab offset of the PCDATA_InlTreeIndex table; 0 if none
	inlTree  uint32 // go:func.* offset of the inline tree; noFuncdata if none
}

func (h *header) funcs() ([]funcInfo, error) {
	// functab: nfunc+1 pairs (entryoff, funcoff), the last holding only the end pc.
	if uint64(h.nfunc+1)*8 > uint64(len(h.pcln)) {
		return nil, fmt.Errorf("%w: pclntab function table truncated (%d functions)", ErrNotGo, h.nfunc)
	}
	u32 := func(b []byte, off uint64) (uint32, bool) {
		if off+4 > uint64(len(b)) {
			return 0, false
		}
		return h.order.Uint32(b[off:]), true
	}
	out := make([]funcInfo, 0, h.nfunc)
	for i := range h.nfunc {
		entry := h.order.Uint32(h.pcln[i*8:])
		next := h.order.Uint32(h.pcln[(i+1)*8:])
		foff := uint64(h.order.Uint32(h.pcln[i*8+4:]))
		if next < entry {
			return nil, fmt.Errorf("%w: pclntab function %d out of order", ErrNotGo, i)
		}
		const fixed = 44 // runtime._func up to and including nfuncdata
		if foff+fixed > uint64(len(h.pcln)) {
			return nil, fmt.Errorf("%w: pclntab function %d record out of range", ErrNotGo, i)
		}
		rec := h.pcln[foff:]
		f := funcInfo{nameOff: int32(h.order.Uint32(rec[4:])), size: next - entry, inlTree: noFuncdata}
		npcdata := uint64(h.order.Uint32(rec[28:]))
		nfuncdata := uint64(rec[43])
		if npcdata > pcdataInlTreeIndex {
			v, ok := u32(rec, fixed+pcdataInlTreeIndex*4)
			if !ok {
				return nil, fmt.Errorf("%w: pclntab function %d pcdata out of range", ErrNotGo, i)
			}
			f.inlIndex = v
		}
		if nfuncdata > funcdataInlTree {
			v, ok := u32(rec, fixed+npcdata*4+funcdataInlTree*4)
			if !ok {
				return nil, fmt.Errorf("%w: pclntab function %d funcdata out of range", ErrNotGo, i)
			}
			f.inlTree = v
		}
		out = append(out, f)
	}
	return out, nil
}

// maxPCValue decodes f's PCDATA_InlTreeIndex table and returns the largest inline-tree index
// it holds (-1 if none). The table is a run of (value delta, pc delta) varint pairs.
func (h *header) maxPCValue(f funcInfo) (int, error) {
	if uint64(f.inlIndex) >= uint64(len(h.pctab)) {
		return 0, fmt.Errorf("%w: pc table of %s out of range", ErrNotGo, h.name(f.nameOff))
	}
	p := h.pctab[f.inlIndex:]
	val, best := int32(-1), int32(-1)
	pc := uint64(0)
	for first := true; ; first = false {
		uv, n := binary.Uvarint(p)
		if n <= 0 || uv > 1<<32-1 {
			return 0, fmt.Errorf("%w: pc table of %s is malformed", ErrNotGo, h.name(f.nameOff))
		}
		if uv == 0 && !first {
			break
		}
		p = p[n:]
		d := uint32(uv)
		val += int32(-(d & 1) ^ (d >> 1))
		pcd, n := binary.Uvarint(p)
		if n <= 0 {
			return 0, fmt.Errorf("%w: pc table of %s is malformed", ErrNotGo, h.name(f.nameOff))
		}
		p = p[n:]
		if val > best {
			best = val
		}
		pc += pcd * uint64(max(h.quantum, 1))
		if pc >= uint64(f.size) {
			break // the table covers the function; anything after belongs to no pc
		}
	}
	// An index is bounded by the code size: at most one inlined call per byte.
	if best > int32(f.size) {
		return 0, fmt.Errorf("%w: inline tree of %s claims %d entries", ErrNotGo, h.name(f.nameOff), best)
	}
	return int(best), nil
}

// findGofunc locates go:func.*, the base the inline-tree offsets are relative to. Its
// address is a field of runtime.moduledata, which starts with a pointer to the pclntab
// followed by the funcnametab slice; the field's position has moved between releases, so
// each nearby word that points into the file is tried and kept only if it makes the inline
// trees of the first functions name real functions.
func findGofunc(exe *exeFile, h *header, addr uint64, funcs []funcInfo) (uint64, bool) {
	var sample []funcInfo
	for _, f := range funcs {
		if f.inlTree != noFuncdata && f.inlIndex != 0 {
			sample = append(sample, f)
			if len(sample) == 16 {
				break
			}
		}
	}
	if len(sample) == 0 {
		return 0, true // nothing was inlined; the base is never used
	}
	ps := uint64(h.ptrSize)
	for _, d := range exe.data {
		data, err := d.bytes()
		if err != nil {
			continue
		}
		for off := uint64(0); off+48*ps <= uint64(len(data)); off += ps {
			if exe.ptr(data[off:], h.ptrSize) != addr || exe.ptr(data[off+ps:], h.ptrSize) != addr+h.funcOff {
				continue
			}
			for i := uint64(20); i < 48; i++ {
				cand := exe.ptr(data[off+i*ps:], h.ptrSize)
				if cand != 0 && validGofunc(exe, h, cand, sample) {
					return cand, true
				}
			}
		}
	}
	return 0, false
}

func validGofunc(exe *exeFile, h *header, base uint64, sample []funcInfo) bool {
	mem := exe.reader(base)
	for _, f := range sample {
		var e [inlinedCallSize]byte
		if mem.readAt(e[:], base+uint64(f.inlTree)) != nil {
			return false
		}
		off := int32(exe.order.Uint32(e[4:]))
		if e[1] != 0 || e[2] != 0 || e[3] != 0 || h.name(off) == "" || off > 0 && h.funcname[off-1] != 0 {
			return false
		}
	}
	return true
}

// exeFile is the little of an object file that Binary needs, whatever its format.
type exeFile struct {
	order    binary.ByteOrder
	sections []*section // every section with file contents
	data     []*section // writable data sections, where runtime.moduledata lives
	tab      *section   // the pclntab section, if the format names one
	tabStart uint64     // offset of the pclntab inside tab
	tabEnd   uint64     // end offset inside tab; 0 for the section end
}

type section struct {
	name string
	off  uint64 // file offset
	addr uint64
	size uint64
	r    io.ReaderAt
	data []byte
	err  error
}

func (s *section) bytes() ([]byte, error) {
	if s.data == nil && s.err == nil {
		if s.size > maxSection {
			s.err = fmt.Errorf("%w: section %s is %d bytes", ErrNotGo, s.name, s.size)
			return nil, s.err
		}
		// Read incrementally: a header may claim more than the file holds.
		buf, err := io.ReadAll(io.NewSectionReader(s.r, 0, int64(s.size)))
		if err == nil && uint64(len(buf)) != s.size {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			s.err = fmt.Errorf("%w: reading section %s: %v", ErrNotGo, s.name, err)
			return nil, s.err
		}
		s.data = buf
	}
	return s.data, s.err
}

func (e *exeFile) ptr(b []byte, size int) uint64 {
	if size == 4 {
		return uint64(e.order.Uint32(b))
	}
	return e.order.Uint64(b)
}

// memReader reads virtual memory from the section that holds a base address.
type memReader struct{ s *section }

func (e *exeFile) reader(addr uint64) memReader {
	for _, s := range e.sections {
		if s.addr <= addr && addr < s.addr+s.size {
			return memReader{s}
		}
	}
	return memReader{}
}

func (m memReader) readAt(b []byte, addr uint64) error {
	if m.s == nil || addr < m.s.addr || addr-m.s.addr+uint64(len(b)) > m.s.size {
		return fmt.Errorf("address %#x is outside the go:func.* section", addr)
	}
	data, err := m.s.bytes()
	if err != nil {
		return err
	}
	copy(b, data[addr-m.s.addr:])
	return nil
}

func openExe(r io.ReaderAt) (*exeFile, error) {
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotGo, err)
	}
	switch {
	case bytes.Equal(magic[:], []byte("\x7fELF")):
		return openELF(r)
	case bytes.Equal(magic[:2], []byte("MZ")):
		return openPE(r)
	case bytes.Equal(magic[:], []byte{0xfe, 0xed, 0xfa, 0xce}), bytes.Equal(magic[:], []byte{0xce, 0xfa, 0xed, 0xfe}),
		bytes.Equal(magic[:], []byte{0xfe, 0xed, 0xfa, 0xcf}), bytes.Equal(magic[:], []byte{0xcf, 0xfa, 0xed, 0xfe}):
		return openMachO(r)
	}
	return nil, fmt.Errorf("%w: unknown executable format (universal Mach-O files: extract one architecture)", ErrNotGo)
}

func openELF(r io.ReaderAt) (*exeFile, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("%w: ELF: %v", ErrNotGo, err)
	}
	e := &exeFile{order: f.ByteOrder}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NOBITS || s.Type == elf.SHT_NULL || s.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		sec := &section{name: s.Name, off: s.Offset, addr: s.Addr, size: s.Size, r: s}
		e.sections = append(e.sections, sec)
		if s.Flags&elf.SHF_WRITE != 0 {
			e.data = append(e.data, sec)
		}
		if s.Name == ".gopclntab" || s.Name == ".data.rel.ro.gopclntab" {
			e.tab = sec
		}
	}
	return e, nil
}

func openMachO(r io.ReaderAt) (*exeFile, error) {
	f, err := macho.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("%w: Mach-O: %v", ErrNotGo, err)
	}
	e := &exeFile{order: f.ByteOrder}
	for _, s := range f.Sections {
		if s.Flags&0xff == 0x1 || s.Flags&0xff == 0xc { // S_ZEROFILL, S_GB_ZEROFILL: no contents
			continue
		}
		sec := &section{name: s.Name, off: uint64(s.Offset), addr: s.Addr, size: s.Size, r: s}
		e.sections = append(e.sections, sec)
		if s.Seg == "__DATA" {
			e.data = append(e.data, sec)
		}
		if s.Name == "__gopclntab" {
			e.tab = sec
		}
	}
	return e, nil
}

func openPE(r io.ReaderAt) (*exeFile, error) {
	f, err := pe.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("%w: PE: %v", ErrNotGo, err)
	}
	var base uint64
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		base = uint64(oh.ImageBase)
	case *pe.OptionalHeader64:
		base = oh.ImageBase
	}
	e := &exeFile{order: binary.LittleEndian}
	for _, s := range f.Sections {
		if s.Characteristics&pe.IMAGE_SCN_CNT_UNINITIALIZED_DATA != 0 {
			continue
		}
		// Only the part backed by the file has contents; the rest is zero-filled.
		sec := &section{name: s.Name, off: uint64(s.Offset), addr: base + uint64(s.VirtualAddress), size: uint64(min(s.Size, s.VirtualSize)), r: s}
		if s.VirtualSize == 0 {
			sec.size = uint64(s.Size)
		}
		e.sections = append(e.sections, sec)
		if s.Characteristics&pe.IMAGE_SCN_MEM_WRITE != 0 {
			e.data = append(e.data, sec)
		}
	}
	// Unstripped PE files name the pclntab by symbols; stripped ones are scanned.
	var start, end *pe.Symbol
	for _, sym := range f.Symbols {
		switch sym.Name {
		case "runtime.pclntab":
			start = sym
		case "runtime.epclntab":
			end = sym
		}
	}
	if start != nil && end != nil && start.SectionNumber == end.SectionNumber &&
		start.SectionNumber > 0 && int(start.SectionNumber) <= len(f.Sections) && end.Value > start.Value {
		s := f.Sections[start.SectionNumber-1]
		for _, sec := range e.sections {
			if sec.addr == base+uint64(s.VirtualAddress) {
				e.tab, e.tabStart, e.tabEnd = sec, uint64(start.Value), uint64(end.Value)
			}
		}
	}
	return e, nil
}

// pclntab returns the pclntab bytes and their virtual address: from the section the format
// names, else by scanning the read-only sections for a header that parses.
func (e *exeFile) pclntab() ([]byte, uint64, error) {
	if e.tab != nil {
		data, err := e.tab.bytes()
		if err != nil {
			return nil, 0, err
		}
		end := uint64(len(data))
		if e.tabEnd != 0 && e.tabEnd <= end {
			end = e.tabEnd
		}
		if e.tabStart >= end {
			return nil, 0, fmt.Errorf("%w: pclntab symbols out of range", ErrNotGo)
		}
		return data[e.tabStart:end], e.tab.addr + e.tabStart, nil
	}
	for _, s := range e.sections {
		data, err := s.bytes()
		if err != nil {
			continue
		}
		for _, m := range []uint32{magic120, magic118, magic116, magic12} {
			var pat [6]byte
			e.order.PutUint32(pat[:], m)
			for off := 0; ; {
				i := bytes.Index(data[off:], pat[:])
				if i < 0 {
					break
				}
				off += i
				tab := data[off:]
				if h, err := parseHeader(tab, e.order); err == nil && (h.quantum == 1 || h.quantum == 2 || h.quantum == 4) && off%8 == 0 {
					if _, err := funcTable(tab); err == nil {
						return tab, s.addr + uint64(off), nil
					}
				}
				off++
			}
		}
	}
	return nil, 0, fmt.Errorf("%w: no pclntab found", ErrNotGo)
}
