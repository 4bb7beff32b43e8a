package vex

import (
	"encoding/json"
	"fmt"
	"strings"
)

// CSAF 2.0 (https://docs.oasis-open.org/csaf/csaf/v2.0/), profile 5 "VEX": product_tree names
// the products (with a purl or file hashes in product_identification_helper, or as a
// relationship "component X is part of product Y"), and each vulnerabilities[] entry lists
// product ids per status, with flags (the justification labels), threats of category impact
// (the impact statement) and remediations (the action statement).

type csafDoc struct {
	Document struct {
		CSAFVersion string `json:"csaf_version"`
		Tracking    struct {
			CurrentReleaseDate string `json:"current_release_date"`
		} `json:"tracking"`
	} `json:"document"`
	ProductTree *struct {
		Branches         []csafBranch `json:"branches"`
		FullProductNames []csafFPN    `json:"full_product_names"`
		Relationships    []struct {
			FullProductName csafFPN `json:"full_product_name"`
			ProductRef      string  `json:"product_reference"`
			RelatesTo       string  `json:"relates_to_product_reference"`
		} `json:"relationships"`
		ProductGroups []struct {
			GroupID    string   `json:"group_id"`
			ProductIDs []string `json:"product_ids"`
		} `json:"product_groups"`
	} `json:"product_tree"`
	Vulnerabilities []csafVuln `json:"vulnerabilities"`
}

type csafBranch struct {
	Product  *csafFPN     `json:"product"`
	Branches []csafBranch `json:"branches"`
}

type csafFPN struct {
	ProductID string `json:"product_id"`
	Helper    *struct {
		PURL   string `json:"purl"`
		Hashes []struct {
			FileHashes []struct {
				Algorithm string `json:"algorithm"`
				Value     string `json:"value"`
			} `json:"file_hashes"`
		} `json:"hashes"`
	} `json:"product_identification_helper"`
}

type csafRefs struct {
	ProductIDs []string `json:"product_ids"`
	GroupIDs   []string `json:"group_ids"`
}

type csafVuln struct {
	CVE string `json:"cve"`
	IDs []struct {
		Text string `json:"text"`
	} `json:"ids"`
	ProductStatus map[string][]string `json:"product_status"`
	Flags         []struct {
		Label string `json:"label"`
		csafRefs
	} `json:"flags"`
	Threats []struct {
		Category string `json:"category"`
		Details  string `json:"details"`
		csafRefs
	} `json:"threats"`
	Remediations []struct {
		Category string `json:"category"`
		Details  string `json:"details"`
		csafRefs
	} `json:"remediations"`
}

// csafStatuses maps product_status lists to VEX statuses, in the order statements are emitted.
// "recommended" names versions to install, not a status, and is not read.
var csafStatuses = []struct{ list, status string }{
	{"known_not_affected", StatusNotAffected},
	{"fixed", StatusFixed},
	{"first_fixed", StatusFixed},
	{"known_affected", StatusAffected},
	{"first_affected", StatusAffected},
	{"last_affected", StatusAffected},
	{"under_investigation", StatusUnderInvestigation},
}

func decodeCSAF(name string, b []byte, category json.RawMessage) ([]Statement, error) {
	var cat string
	if json.Unmarshal(category, &cat) != nil || cat != "csaf_vex" {
		return nil, errorf(name, "document.category", "%.60s; only CSAF documents of category \"csaf_vex\" carry VEX statements", category)
	}
	var doc csafDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, jsonError(name, b, err)
	}
	if v := doc.Document.CSAFVersion; v != "2.0" {
		return nil, errorf(name, "document.csaf_version", "%q; this reader knows CSAF 2.0", v)
	}
	when, err := parseTime(name, "document.tracking.current_release_date", doc.Document.Tracking.CurrentReleaseDate)
	if err != nil {
		return nil, err
	}

	products := map[string]*Product{}
	groups := map[string][]string{}
	add := func(field string, f *csafFPN) error {
		if f.ProductID == "" {
			return errorf(name, field+".product_id", "missing")
		}
		if _, dup := products[f.ProductID]; dup {
			return errorf(name, field+".product_id", "%q is defined twice", f.ProductID)
		}
		p := &Product{ID: f.ProductID}
		if h := f.Helper; h != nil {
			var err error
			if h.PURL != "" {
				if p.PURL, err = canonicalPURL(name, field+".product_identification_helper.purl", h.PURL); err != nil {
					return err
				}
			}
			for i, fh := range h.Hashes {
				for j, x := range fh.FileHashes {
					if p.Digest == "" && strings.EqualFold(x.Algorithm, "sha256") {
						hf := fmt.Sprintf("%s.product_identification_helper.hashes[%d].file_hashes[%d].value", field, i, j)
						if p.Digest, err = sha256Digest(name, hf, x.Value); err != nil {
							return err
						}
					}
				}
			}
			if p.Digest == "" {
				p.Digest = ociDigest(p.PURL)
			}
		}
		products[f.ProductID] = p
		return nil
	}
	if t := doc.ProductTree; t != nil {
		var walk func(field string, bs []csafBranch) error
		walk = func(field string, bs []csafBranch) error {
			for i := range bs {
				f := fmt.Sprintf("%s[%d]", field, i)
				if bs[i].Product != nil {
					if err := add(f+".product", bs[i].Product); err != nil {
						return err
					}
				}
				if err := walk(f+".branches", bs[i].Branches); err != nil {
					return err
				}
			}
			return nil
		}
		if err := walk("product_tree.branches", t.Branches); err != nil {
			return nil, err
		}
		for i := range t.FullProductNames {
			if err := add(fmt.Sprintf("product_tree.full_product_names[%d]", i), &t.FullProductNames[i]); err != nil {
				return nil, err
			}
		}
		// Relationships reference products defined above, so they are resolved after them:
		// "X default_component_of Y" becomes product Y with subcomponent X.
		for i, r := range t.Relationships {
			field := fmt.Sprintf("product_tree.relationships[%d]", i)
			comp, ok := products[r.ProductRef]
			if !ok {
				return nil, errorf(name, field+".product_reference", "product id %q is not defined", r.ProductRef)
			}
			whole, ok := products[r.RelatesTo]
			if !ok {
				return nil, errorf(name, field+".relates_to_product_reference", "product id %q is not defined", r.RelatesTo)
			}
			if err := add(field+".full_product_name", &r.FullProductName); err != nil {
				return nil, err
			}
			p := products[r.FullProductName.ProductID]
			sub := comp.PURL
			if sub == "" {
				sub = comp.ID
			}
			p.PURL, p.Digest, p.Subcomponents = whole.PURL, whole.Digest, append(slicesClone(whole.Subcomponents), sub)
		}
		for i, g := range t.ProductGroups {
			for j, id := range g.ProductIDs {
				if products[id] == nil {
					return nil, errorf(name, fmt.Sprintf("product_tree.product_groups[%d].product_ids[%d]", i, j), "product id %q is not defined", id)
				}
			}
			groups[g.GroupID] = g.ProductIDs
		}
	}

	var out []Statement
	for i, v := range doc.Vulnerabilities {
		field := fmt.Sprintf("vulnerabilities[%d]", i)
		st, err := csafVulnStatements(name, field, v, products, groups)
		if err != nil {
			return nil, err
		}
		for k := range st {
			st[k].Timestamp = when
		}
		out = append(out, st...)
	}
	return out, nil
}

func csafVulnStatements(name, field string, v csafVuln, products map[string]*Product, groups map[string][]string) ([]Statement, error) {
	var id string
	var aliases []string
	if v.CVE != "" {
		id = v.CVE
	}
	for _, x := range v.IDs {
		switch {
		case x.Text == "" || strings.EqualFold(x.Text, id) || containsFold(aliases, x.Text):
		case id == "":
			id = x.Text
		default:
			aliases = append(aliases, x.Text)
		}
	}
	if id == "" {
		return nil, errorf(name, field, "has neither cve nor ids")
	}
	for list := range v.ProductStatus {
		known := false
		for _, s := range csafStatuses {
			known = known || s.list == list
		}
		if !known && list != "recommended" {
			return nil, errorf(name, field+".product_status."+list, "not a CSAF product status")
		}
	}

	// expand resolves product and group references to product ids.
	expand := func(f string, r csafRefs) (map[string]bool, error) {
		set := map[string]bool{}
		for j, pid := range r.ProductIDs {
			if products[pid] == nil {
				return nil, errorf(name, fmt.Sprintf("%s.product_ids[%d]", f, j), "product id %q is not defined in product_tree", pid)
			}
			set[pid] = true
		}
		for j, gid := range r.GroupIDs {
			ids, ok := groups[gid]
			if !ok {
				return nil, errorf(name, fmt.Sprintf("%s.group_ids[%d]", f, j), "group id %q is not defined in product_tree", gid)
			}
			for _, pid := range ids {
				set[pid] = true
			}
		}
		return set, nil
	}
	justification := map[string]string{}
	for i, fl := range v.Flags {
		f := fmt.Sprintf("%s.flags[%d]", field, i)
		if !justifications[fl.Label] {
			return nil, errorf(name, f+".label", "%q is not a CSAF flag label", fl.Label)
		}
		set, err := expand(f, fl.csafRefs)
		if err != nil {
			return nil, err
		}
		for pid := range set {
			if justification[pid] == "" {
				justification[pid] = fl.Label
			}
		}
	}
	impact := map[string][]string{}
	for i, t := range v.Threats {
		if t.Category != "impact" || t.Details == "" {
			continue
		}
		set, err := expand(fmt.Sprintf("%s.threats[%d]", field, i), t.csafRefs)
		if err != nil {
			return nil, err
		}
		for pid := range set {
			impact[pid] = append(impact[pid], t.Details)
		}
	}
	action := map[string][]string{}
	for i, r := range v.Remediations {
		set, err := expand(fmt.Sprintf("%s.remediations[%d]", field, i), r.csafRefs)
		if err != nil {
			return nil, err
		}
		for pid := range set {
			action[pid] = append(action[pid], r.Category+": "+r.Details)
		}
	}

	// One statement per distinct (status, justification, impact, action), listing its
	// products in document order.
	statusOf := map[string]string{}
	var out []Statement
	at := map[string]int{}
	for _, s := range csafStatuses {
		for j, pid := range v.ProductStatus[s.list] {
			f := fmt.Sprintf("%s.product_status.%s[%d]", field, s.list, j)
			p := products[pid]
			if p == nil {
				return nil, errorf(name, f, "product id %q is not defined in product_tree", pid)
			}
			// CSAF 6.1.6: a product has one status per vulnerability.
			if prev, ok := statusOf[pid]; ok && prev != s.status {
				return nil, errorf(name, f, "product %q is both %s and %s", pid, prev, s.status)
			}
			statusOf[pid] = s.status
			st := Statement{
				VulnID: id, Aliases: aliases, Status: s.status, Source: name,
				Justification:   justification[pid],
				ImpactStatement: strings.Join(impact[pid], "\n"),
				ActionStatement: strings.Join(action[pid], "\n"),
			}
			key := strings.Join([]string{st.Status, st.Justification, st.ImpactStatement, st.ActionStatement}, "\x00")
			k, ok := at[key]
			if !ok {
				k = len(out)
				at[key] = k
				out = append(out, st)
			}
			if !containsProduct(out[k].Products, pid) {
				out[k].Products = append(out[k].Products, *p)
			}
		}
	}
	for _, st := range out {
		// CSAF 6.1.27.9 (Impact Statement): every known_not_affected product needs a flag or
		// a threat of category impact saying why.
		if st.Status == StatusNotAffected && st.Justification == "" && st.ImpactStatement == "" {
			return nil, errorf(name, field+".product_status.known_not_affected", "product %q has neither a flag nor an impact threat saying why it is not affected", st.Products[0].ID)
		}
	}
	return out, nil
}

func containsProduct(ps []Product, id string) bool {
	for _, p := range ps {
		if p.ID == id {
			return true
		}
	}
	return false
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }
