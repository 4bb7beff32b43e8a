package props

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hallmark-dev/hallmark/inventory"
)

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props []Property
		want  []inventory.FileError
	}{
		{"complete", nil, nil},
		{"listed", Errors([]inventory.FileError{{Path: "a \"b\"", LayerDigest: "sha256:1", Extractor: "x", Message: "<bad> & worse"}}),
			[]inventory.FileError{{Path: "a \"b\"", LayerDigest: "sha256:1", Extractor: "x", Message: "<bad> & worse"}}},
		// A document that says it is partial must decode as partial even without details.
		{"partial-without-detail", []Property{{Partial, "true"}}, []inventory.FileError{{Message: ErrNoDetail}}},
		{"not-partial", []Property{{Partial, "false"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ApplyErrors(tc.props)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ApplyErrors (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"", "{", `{"path":"a","unknown":1}`, `{"path":"a"} trailing`, `[]`} {
		if _, err := ApplyErrors([]Property{{Unreadable, bad}}); err == nil {
			t.Errorf("ApplyErrors(%q) succeeded", bad)
		}
	}
}

func TestLocation(t *testing.T) {
	for _, l := range []inventory.Location{
		{},
		{Path: "a/b", Line: 3, LayerDigest: "sha256:1", LayerDiffID: "sha256:2"},
		{Path: "weird \"path\"\n<x>"},
	} {
		got, err := DecodeLocation(EncodeLocation(l))
		if err != nil || got != l {
			t.Errorf("DecodeLocation(EncodeLocation(%+v)) = %+v, %v", l, got, err)
		}
	}
	if _, err := DecodeLocation(`{"path":"a","line":-1}`); err == nil {
		t.Error("negative line accepted")
	}
}

func TestPackage(t *testing.T) {
	p := &inventory.Package{Ecosystem: "npm", Type: "rpm-module", Scope: "direct", Dev: true, FoundBy: "x", Source: &inventory.SourcePackage{Name: "src"}}
	var got inventory.Package
	if err := ApplyPackage(&got, Package(p, true)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*p, got); diff != "" {
		t.Errorf("ApplyPackage(Package(p)) (-want +got):\n%s", diff)
	}
	if err := ApplyPackage(&got, []Property{{Dev, "yes please"}}); err == nil {
		t.Error("a non-boolean dev flag was accepted")
	}
}
