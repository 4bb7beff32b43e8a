package vulndb

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// Index file layout (docs/design/vulndb.md has the full description):
//
//	header (headerSize bytes): magic, format version, section count, SHA-256 of the body,
//	                           then {offset, length} (uint64 each) per section
//	body: the sections, in any order; every integer is little-endian.
const (
	indexFile     = "index.hmdb"
	lockName      = ".lock"
	formatVersion = 1
	headerSize    = 256
	magic         = "HMVDB\x00\r\n" // the \r\n catches text-mode transfers, like PNG's
	dictID        = 0x686d          // zstd dictionary id of the records' shared dictionary
)

// Sections of the body.
const (
	secMeta     = iota // JSON: indexMeta
	secDict            // zstd raw dictionary shared by all records (may be empty)
	secKeys            // keyRowSize rows sorted by key: keyStrOff, keyLen, postingOff, postingCount (uint32)
	secKeyStr          // key bytes: ecosystem "\x00" normalised name
	secPostings        // uint32 record numbers, per key sorted by record id
	secRecOffs         // uint64 × (records+1): record i is records[offs[i]:offs[i+1]]
	secRecSrc          // uint16 × records: index into indexMeta.Sources
	secRecords         // zstd frames of encodeAdvisory
	secKEVIdx          // kevRowSize rows sorted by cveKey: key u64, dataOff u32, dataLen u32, source u16
	secKEVData         // encodeKEV entries
	secEPSS            // epssRowSize rows sorted by cveKey: key u64, score f64, percentile f64, source u16
	numSections
)

const (
	keyRowSize  = 16
	kevRowSize  = 8 + 4 + 4 + 2
	epssRowSize = 8 + 8 + 8 + 2
	sectionTab  = 8 + 4 + 4 + 32
)

var sectionNames = [numSections]string{"meta", "dict", "keys", "key strings", "postings",
	"record offsets", "record sources", "records", "KEV index", "KEV data", "EPSS"}

type header struct {
	version  uint32
	sum      [32]byte
	sections [numSections][2]uint64
}

func (h *header) marshal() []byte {
	b := make([]byte, headerSize)
	copy(b, magic)
	binary.LittleEndian.PutUint32(b[8:], h.version)
	binary.LittleEndian.PutUint32(b[12:], numSections)
	copy(b[16:48], h.sum[:])
	for i, s := range h.sections {
		binary.LittleEndian.PutUint64(b[sectionTab+16*i:], s[0])
		binary.LittleEndian.PutUint64(b[sectionTab+16*i+8:], s[1])
	}
	return b
}

// parseHeader checks magic, version and that every section lies inside the body.
func parseHeader(b []byte) (*header, error) {
	if len(b) < headerSize {
		return nil, fmt.Errorf("file is %d bytes, shorter than the %d-byte header", len(b), headerSize)
	}
	if string(b[:8]) != magic {
		return nil, fmt.Errorf("not a hallmark advisory index (bad magic)")
	}
	h := &header{version: binary.LittleEndian.Uint32(b[8:])}
	if h.version != formatVersion {
		return nil, fmt.Errorf("index format version %d, this hallmark reads version %d", h.version, formatVersion)
	}
	if n := binary.LittleEndian.Uint32(b[12:]); n != numSections {
		return nil, fmt.Errorf("index has %d sections, want %d", n, numSections)
	}
	copy(h.sum[:], b[16:48])
	size := uint64(len(b))
	for i := range h.sections {
		off := binary.LittleEndian.Uint64(b[sectionTab+16*i:])
		n := binary.LittleEndian.Uint64(b[sectionTab+16*i+8:])
		if off < headerSize || off > size || n > size-off {
			return nil, fmt.Errorf("section %s [%d, +%d) lies outside the %d-byte file", sectionNames[i], off, n, size)
		}
		h.sections[i] = [2]uint64{off, n}
	}
	return h, nil
}

func u16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func u32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func u64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// jsonUnmarshalStrict decodes one JSON value and rejects trailing data.
func jsonUnmarshalStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data after JSON value")
	}
	return nil
}
