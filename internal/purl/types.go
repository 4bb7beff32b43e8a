package purl

import (
	"net/url"
	"strings"
	"unicode"
)

// requirement is a type definition's "requirement" for the namespace.
type requirement int

const (
	optional requirement = iota
	required
	prohibited
)

// typeRule is what hallmark applies of one purl-spec type definition
// (types/<type>-definition.json). The lower* fields mirror
// "case_sensitive": false; TestRulesMatchDefinitions checks the table
// against the definitions. Rules that exist only as prose in a definition
// ("normalization_rules", notes) are in normalize and validate.
type typeRule struct {
	namespace requirement
	// Components that are case-insensitive, whose canonical form is
	// lowercase.
	lowerNamespace, lowerName, lowerVersion, lowerSubpath bool
	// namePath: the namespace is a single segment and the name is a path
	// that keeps its unencoded '/' separators (git: host, then repository
	// path).
	namePath bool
	// strictQualifierKeys: Parse rejects upper-case qualifier keys (see Parse).
	strictQualifierKeys bool
	// Qualifier keys with "requirement": "required".
	requiredQualifiers []string
	// adjust applies the definition's prose normalisation rules.
	adjust func(p *PURL)
	// validate checks the definition's prose and "permitted_characters"
	// rules on the normalised PURL.
	validate func(input string, p PURL) error
}

// rules lists every type registered in purl-spec's purl-types-index.json.
// Types not listed get only the generic rules.
var rules = map[string]typeRule{
	"alpm":             {namespace: required, lowerNamespace: true, lowerName: true},
	"apk":              {namespace: required, lowerNamespace: true, lowerName: true},
	"bazel":            {namespace: prohibited},
	"bitbucket":        {namespace: required, lowerNamespace: true, lowerName: true},
	"bitnami":          {namespace: prohibited, lowerName: true},
	"brew":             {lowerNamespace: true, lowerName: true},
	"cargo":            {namespace: prohibited},
	"chrome-extension": {namespace: prohibited, lowerName: true, validate: validateChromeExtension},
	"cocoapods":        {namespace: prohibited},
	"composer":         {namespace: required, lowerNamespace: true, lowerName: true},
	"conan":            {},
	"conda":            {namespace: prohibited},
	"cpan":             {adjust: adjustCPAN, validate: validateCPAN},
	"cran":             {namespace: prohibited},
	"deb":              {namespace: required, lowerNamespace: true, lowerName: true},
	"docker":           {},
	"gem":              {namespace: prohibited, strictQualifierKeys: true},
	"generic":          {},
	"git":              {namespace: required, namePath: true},
	"github":           {namespace: required, lowerNamespace: true, lowerName: true},
	// The golang definition's notes say namespace and name "shall be
	// lowercased", but it marks both "case_sensitive": true and Go module
	// paths are case-sensitive (github.com/BurntSushi/toml); lowercasing
	// them breaks lookups, so case is kept (purl-spec issue #308).
	"golang":           {namespace: required},
	"hackage":          {namespace: prohibited}, // names are already kebab-case; nothing to rewrite
	"hex":              {lowerNamespace: true, lowerName: true},
	"huggingface":      {namespace: required, lowerVersion: true},
	"julia":            {namespace: prohibited, requiredQualifiers: []string{"uuid"}},
	"luarocks":         {lowerNamespace: true, lowerName: true},
	"maven":            {namespace: required},
	"mlflow":           {namespace: prohibited, adjust: adjustMLflow},
	"npm":              {},
	"nuget":            {namespace: prohibited},
	"oci":              {namespace: prohibited, lowerName: true, lowerVersion: true},
	"opam":             {namespace: prohibited},
	"otp":              {namespace: prohibited, lowerName: true, lowerSubpath: true},
	"pub":              {namespace: prohibited, lowerName: true, adjust: adjustPub, validate: validatePub},
	"pypi":             {namespace: prohibited, lowerName: true, lowerVersion: true, adjust: adjustPyPI},
	"qpkg":             {namespace: required, lowerNamespace: true},
	"rpm":              {namespace: required, lowerNamespace: true, strictQualifierKeys: true},
	"swid":             {requiredQualifiers: []string{"tag_id"}},
	"swift":            {namespace: required},
	"vcpkg":            {namespace: prohibited},
	"vscode-extension": {namespace: required, lowerNamespace: true, lowerName: true, lowerVersion: true},
	"yocto":            {lowerNamespace: true},
}

// normalize rewrites p's components into the type's canonical form.
// Lowercasing uses Unicode simple case mapping, which equals the spec's
// full case mapping on ASCII.
func (r typeRule) normalize(p *PURL) {
	if r.lowerNamespace {
		p.Namespace = strings.ToLower(p.Namespace)
	}
	if r.lowerName {
		p.Name = strings.ToLower(p.Name)
	}
	if r.lowerVersion {
		p.Version = strings.ToLower(p.Version)
	}
	if r.lowerSubpath {
		p.Subpath = strings.ToLower(p.Subpath)
	}
	if r.adjust != nil {
		r.adjust(p)
	}
}

// adjustPyPI: "Replace underscore _ with dash -" (pypi name
// normalization_rules); the name is also lowercased.
func adjustPyPI(p *PURL) {
	p.Name = strings.ReplaceAll(p.Name, "_", "-")
}

// adjustPub: "Replace non-[a-z] letters, non-[0-9] digits with underscore _"
// (pub name normalization_rules). Other characters are left for
// validatePub to reject.
func adjustPub(p *PURL) {
	p.Name = strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_' {
			return r
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return '_'
		}
		return r
	}, p.Name)
}

// validatePub: pub names use only [a-z0-9_] (the definition's
// permitted_characters "^[a-z0-9_]", read as applying to every character).
func validatePub(input string, p PURL) error {
	for _, r := range p.Name {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_') {
			return errorf(input, "name", "name %q contains %q; pub names allow only a-z, 0-9 and _", p.Name, r)
		}
	}
	return nil
}

// adjustCPAN: the namespace, when present, is a CPAN author ID and "shall
// be uppercase".
func adjustCPAN(p *PURL) {
	p.Namespace = strings.ToUpper(p.Namespace)
}

// validateCPAN: "A distribution name shall not contain the string '::'"
// (that would be a module name, not a distribution).
func validateCPAN(input string, p PURL) error {
	if strings.Contains(p.Name, "::") {
		return errorf(input, "name", "name %q contains \"::\": cpan names are distribution names (URI-PackageURL), not module names (URI::PackageURL)", p.Name)
	}
	return nil
}

// adjustMLflow: "for Databricks, it is case insensitive and shall be
// lowercased"; Azure ML and other servers keep the case. The server is
// known from the repository_url qualifier.
func adjustMLflow(p *PURL) {
	u, err := url.Parse(p.Qualifier("repository_url"))
	if err != nil {
		return
	}
	host := strings.ToLower(u.Hostname())
	if strings.HasSuffix(host, ".azuredatabricks.net") || strings.HasSuffix(host, ".databricks.com") {
		p.Name = strings.ToLower(p.Name)
	}
}

// validateChromeExtension applies the definition's permitted_characters:
// name "^[a-p]{32}$", version "^\d+(\.\d+){0,3}$".
func validateChromeExtension(input string, p PURL) error {
	if len(p.Name) != 32 || strings.Trim(p.Name, "abcdefghijklmnop") != "" {
		return errorf(input, "name", "name %q is not a chrome extension ID (32 letters a-p)", p.Name)
	}
	if p.Version == "" {
		return nil
	}
	fields := strings.Split(p.Version, ".")
	ok := len(fields) <= 4
	for _, f := range fields {
		ok = ok && f != "" && strings.Trim(f, "0123456789") == ""
	}
	if !ok {
		return errorf(input, "version", "version %q is not 1 to 4 dot-separated integers", p.Version)
	}
	return nil
}
