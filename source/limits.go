package source

// Limits bound what hallmark reads from an archive, so that a hostile artifact cannot exhaust
// memory, disk or time. Exceeding one is an error wrapping ErrLimit that names the artifact, the
// layer and the limit. The defaults (DefaultLimits) are documented in docs/limits.md.
type Limits struct {
	// MaxLayerBytes is the most uncompressed bytes read from one layer or archive.
	MaxLayerBytes int64
	// MaxImageBytes is the most uncompressed bytes read from all layers of an image.
	MaxImageBytes int64
	// MaxRatio is the largest uncompressed/compressed ratio accepted once a layer has
	// expanded past RatioGrace bytes; beyond it the layer is treated as a decompression bomb.
	MaxRatio   int64
	RatioGrace int64
	// MaxEntries is the most archive entries (files, directories, links) in one image.
	MaxEntries int
	// MaxRetainedFile is the largest single file kept for the extractors; larger wanted files
	// are reported as unreadable instead of silently skipped.
	MaxRetainedFile int64
	// MaxPathDepth is the most components in an entry's path.
	MaxPathDepth int
	// MaxSymlinkHops is the most symbolic links followed while resolving one path.
	MaxSymlinkHops int
	// MaxMetadataBytes bounds manifests, configs, index.json and other JSON documents.
	MaxMetadataBytes int64
}

// DefaultLimits are generous for real images (the largest public images are a few GB) and
// small enough to stop a bomb within seconds.
var DefaultLimits = Limits{
	MaxLayerBytes:    16 << 30,
	MaxImageBytes:    64 << 30,
	MaxRatio:         200,
	RatioGrace:       512 << 20,
	MaxEntries:       4_000_000,
	MaxRetainedFile:  1 << 30,
	MaxPathDepth:     256,
	MaxSymlinkHops:   40,
	MaxMetadataBytes: 32 << 20,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	return Limits{
		MaxLayerBytes:    orDefault(l.MaxLayerBytes, d.MaxLayerBytes),
		MaxImageBytes:    orDefault(l.MaxImageBytes, d.MaxImageBytes),
		MaxRatio:         orDefault(l.MaxRatio, d.MaxRatio),
		RatioGrace:       orDefault(l.RatioGrace, d.RatioGrace),
		MaxEntries:       orDefault(l.MaxEntries, d.MaxEntries),
		MaxRetainedFile:  orDefault(l.MaxRetainedFile, d.MaxRetainedFile),
		MaxPathDepth:     orDefault(l.MaxPathDepth, d.MaxPathDepth),
		MaxSymlinkHops:   orDefault(l.MaxSymlinkHops, d.MaxSymlinkHops),
		MaxMetadataBytes: orDefault(l.MaxMetadataBytes, d.MaxMetadataBytes),
	}
}

// orDefault returns v when it is set (positive), else def.
func orDefault[T int | int64](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
