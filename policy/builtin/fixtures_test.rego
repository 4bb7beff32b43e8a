# Shared inputs of the built-in rules' tests: base passes every rule under the default
# configuration; tests change one thing with input_with.
package hallmark.rules_test.fixtures

digest := "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

finding := {
	"id": "CVE-2024-0001",
	"aliases": ["GHSA-aaaa-bbbb-cccc"],
	"package": {"name": "requests", "version": "2.19.0", "purl": "pkg:pypi/requests@2.19.0", "ecosystem": "PyPI"},
	"severity": "high",
	"cvss_score": 7.5,
	"kev": false,
	"epss": 0.02,
	"epss_percentile": 0.5,
	"fixed_versions": ["2.20.0"],
	"reachability": "unknown",
	"published": "2024-01-10T00:00:00Z",
	"suppressed": false,
}

base := {
	"schema_version": "1",
	"now": "2024-06-01T12:00:00Z",
	"generated_at": "2024-06-01T11:00:00Z",
	"subject": {
		"name": sprintf("registry:ghcr.io/acme/app@%s", [digest]),
		"digest": digest,
		"kind": "image",
		"image": {
			"reference": sprintf("ghcr.io/acme/app@%s", [digest]),
			"registry": "ghcr.io",
			"repository": "acme/app",
			"digest": digest,
			"referenced_by": "digest",
			"unqualified": false,
		},
	},
	"inventory": {"packages": [{
		"id": "pkg-1", "name": "left-pad", "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0",
		"type": "library", "ecosystem": "npm", "supplier": "left-pad authors", "licenses": ["MIT"],
	}]},
	"findings": [],
	"signatures": [{"kind": "signature", "signer": {"kind": "key", "key_id": "sha256:1111"}, "tlog": []}],
	"provenance": [{
		"builder_id": "https://github.com/actions/runner/github-hosted",
		"build_type": "https://actions.github.io/buildtypes/workflow/v1",
		"source_repo": "https://github.com/acme/app",
		"source_ref": "refs/tags/v1.0.0",
		"source_commit": "0123456789abcdef0123456789abcdef01234567",
		"dirty": false,
		"signer": {"kind": "key", "key_id": "sha256:1111"},
	}],
	"licenses": [{
		"package": "left-pad@1.3.0", "purl": "pkg:npm/left-pad@1.3.0", "expression": "MIT",
		"valid": true, "choices": [[{"license": "MIT"}]],
	}],
	"misconfig": [],
	"sbom": {
		"present": true, "format": "inventory", "source": "generated", "author": "hallmark",
		"timestamp": "2024-06-01T11:00:00Z",
		"components": [{
			"component": "pkg:npm/left-pad@1.3.0", "supplier": true, "name": true, "version": true,
			"unique_id": true, "relationships": true,
		}],
	},
}

# input_with returns base with the fields of o replacing its own (objects merge, lists replace).
input_with(o) := object.union(base, o)

with_finding(o) := input_with({"findings": [object.union(finding, o)]})
