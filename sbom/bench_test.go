package sbom

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/hallmark-dev/hallmark/inventory"
)

// large returns a finalized inventory of n packages in a dependency chain, each with a
// location, a licence and a hash: the shape of a big image's inventory.
func large(n int) *inventory.Inventory {
	inv := &inventory.Inventory{Subject: inventory.Subject{Kind: inventory.KindImage, Name: "big", Digest: "sha256:" + fmt.Sprintf("%064x", n)}}
	for i := range n {
		id := fmt.Sprint("p", i)
		inv.Packages = append(inv.Packages, &inventory.Package{
			ID: id, Name: fmt.Sprint("pkg", i), Version: "1.0." + fmt.Sprint(i), Ecosystem: "npm",
			PURL:      fmt.Sprintf("pkg:npm/pkg%d@1.0.%d", i, i),
			Locations: []inventory.Location{{Path: fmt.Sprintf("app/node_modules/pkg%d/package.json", i), LayerDigest: "sha256:" + fmt.Sprintf("%064x", i%7)}},
			Licenses:  []string{"MIT"},
			Hashes:    map[string]string{"SHA-1": fmt.Sprintf("%040x", i)},
		})
		if i > 0 {
			inv.Relationships = append(inv.Relationships, inventory.Relationship{From: fmt.Sprint("p", i-1), To: id})
		}
	}
	inv.Relationships = append(inv.Relationships, inventory.Relationship{From: inventory.SubjectRef, To: "p0"})
	inv.Finalize()
	return inv
}

// BenchmarkEncodeDecode measures writing and reading back a 5,000-package inventory in each
// format, so that nothing in the room grows faster than linearly with the package count.
func BenchmarkEncodeDecode(b *testing.B) {
	inv := large(5000)
	for _, f := range OutputFormats {
		b.Run(string(f), func(b *testing.B) {
			var size int
			for b.Loop() {
				var buf bytes.Buffer
				if err := Encode(&buf, f, inv, EncodeOptions{Timestamp: ts}); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
				if _, err := Decode("big", &buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size)/(1<<20), "MiB/doc")
		})
	}
}
