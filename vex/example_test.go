package vex_test

import (
	"fmt"
	"strings"

	"github.com/hallmark-dev/hallmark/inventory"
	"github.com/hallmark-dev/hallmark/match"
	"github.com/hallmark-dev/hallmark/vex"
)

func ExampleApply() {
	// An image vendor says its image is not affected by a CVE in one of its packages.
	doc := `{
	  "@context": "https://openvex.dev/ns/v0.2.0",
	  "@id": "https://example.com/vex/1",
	  "author": "Example PSIRT",
	  "timestamp": "2025-03-01T10:00:00Z",
	  "version": 1,
	  "statements": [{
	    "vulnerability": {"name": "CVE-2023-3446"},
	    "products": [{
	      "@id": "pkg:oci/alpine@sha256%3A124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126",
	      "subcomponents": [{"@id": "pkg:apk/alpine/libssl3"}]
	    }],
	    "status": "not_affected",
	    "justification": "vulnerable_code_not_present"
	  }]
	}`
	stmts, err := vex.Decode("alpine.vex.json", strings.NewReader(doc))
	if err != nil {
		fmt.Println(err)
		return
	}
	res := &match.Result{
		Subject: inventory.Subject{Digest: "sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126"},
		Findings: []*match.Finding{
			{ID: "CVE-2023-3446", IDs: []string{"CVE-2023-3446"}, Package: &inventory.Package{PURL: "pkg:apk/alpine/libssl3@3.0.8-r3"}},
			{ID: "CVE-2023-3446", IDs: []string{"CVE-2023-3446"}, Package: &inventory.Package{PURL: "pkg:apk/alpine/openssl@3.0.8-r3"}},
		},
	}
	fmt.Println(vex.Apply(res, stmts), "suppressed")
	for _, f := range res.Findings {
		if s := f.Suppression; s != nil {
			fmt.Println(f.Package.PURL, s.Status, s.Justification)
		} else {
			fmt.Println(f.Package.PURL, "reported")
		}
	}
	// Output:
	// 1 suppressed
	// pkg:apk/alpine/libssl3@3.0.8-r3 not_affected vulnerable_code_not_present
	// pkg:apk/alpine/openssl@3.0.8-r3 reported
}
