package reach

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/hallmark-dev/hallmark/vulndb"
)

// fixture returns a gunzipped binary from testdata/bin.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "bin", name+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func fixtureSymbols(t testing.TB, name string) *Symbols {
	t.Helper()
	s, err := Binary(bytes.NewReader(fixture(t, name)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

// osvRecord reads an OSV record from testdata/osv into the shape vulndb keeps. Only the
// fields reachability needs are converted.
func osvRecord(t testing.TB, id string) *vulndb.Advisory {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "osv", id+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		ID       string   `json:"id"`
		Aliases  []string `json:"aliases"`
		Summary  string   `json:"summary"`
		Affected []struct {
			Package struct {
				Ecosystem string `json:"ecosystem"`
				Name      string `json:"name"`
			} `json:"package"`
			Ranges            []vulndb.Range `json:"ranges"`
			EcosystemSpecific struct {
				Imports []vulndb.Import `json:"imports"`
			} `json:"ecosystem_specific"`
		} `json:"affected"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	adv := &vulndb.Advisory{ID: rec.ID, Aliases: rec.Aliases, Summary: rec.Summary}
	for _, a := range rec.Affected {
		adv.Affected = append(adv.Affected, vulndb.Affected{
			Ecosystem: a.Package.Ecosystem, Name: a.Package.Name, Ranges: a.Ranges,
			Imports: a.EcosystemSpecific.Imports,
		})
	}
	return adv
}
