package tlog

import (
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	pb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"

	"github.com/hallmark-dev/hallmark/sign"
)

// BenchmarkValidateRequest: the log's per-submission CPU before sequencing: decode the request,
// verify its signature, build and canonicalise the entry.
func BenchmarkValidateRequest(b *testing.B) {
	s := newSigner(b, sign.ECDSAP256)
	bl := signBlob(b, s, "bench")
	req, err := RequestForBundle(bl, s.Public())
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := protojson.Marshal(req)
	b.ReportAllocs()
	for b.Loop() {
		var r pb.CreateEntryRequest
		if err := protojson.Unmarshal(raw, &r); err != nil {
			b.Fatal(err)
		}
		if _, _, err := ValidateRequest(&r); err != nil {
			b.Fatal(err)
		}
	}
}
