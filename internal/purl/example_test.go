package purl_test

import (
	"errors"
	"fmt"

	"github.com/hallmark-dev/hallmark/internal/purl"
)

func ExampleParse() {
	p, err := purl.Parse("pkg:Maven/org.apache.xmlgraphics/batik-anim@1.9.1?type=pom&repository_url=repo.spring.io/release")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Type, p.Namespace, p.Name, p.Version)
	fmt.Println(p.Qualifier("repository_url"))
	fmt.Println(p)
	// Output:
	// maven org.apache.xmlgraphics batik-anim 1.9.1
	// repo.spring.io/release
	// pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?repository_url=repo.spring.io%2Frelease&type=pom
}

func ExampleParse_typeRules() {
	// Type definitions normalise case-insensitive components: PyPI names
	// are lowercased with '_' replaced by '-'; Go module paths keep case.
	for _, s := range []string{
		"pkg:pypi/Django_Package@1.11.1",
		"pkg:golang/github.com/BurntSushi/toml@v1.6.0",
		"pkg:cargo/serde/serde@1.0.0",
	} {
		p, err := purl.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(p)
	}
	// Output:
	// pkg:pypi/django-package@1.11.1
	// pkg:golang/github.com/BurntSushi/toml@v1.6.0
	// purl "pkg:cargo/serde/serde@1.0.0": namespace is not allowed for type cargo (got "serde")
}

func ExampleNew() {
	// Components are given decoded; String encodes them.
	p, err := purl.New("npm", "@angular", "core", "17.0.0", map[string]string{
		"vcs_url": "git+https://github.com/angular/angular.git",
	}, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p)

	_, err = purl.New("maven", "", "commons-io", "2.16.1", nil, "")
	var perr *purl.Error
	if errors.As(err, &perr) {
		fmt.Println(perr.Component+":", err)
	}
	// Output:
	// pkg:npm/%40angular/core@17.0.0?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fangular%2Fangular.git
	// namespace: purl "pkg:maven/commons-io@2.16.1": namespace is required for type maven
}

func ExampleCanonical() {
	s, err := purl.Canonical("pkg://Rpm/fedora/curl@7.50.3-1.fc25?Distro=fedora-25&Arch=i386")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s)
	// Output:
	// pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25
}

func ExamplePURL_WithoutQualifiers() {
	a, _ := purl.Parse("pkg:deb/debian/curl@7.50.3-1?arch=i386")
	b, _ := purl.Parse("pkg:deb/debian/curl@7.50.3-1?arch=amd64&distro=jessie")
	fmt.Println(a.String() == b.String())
	fmt.Println(a.WithoutQualifiers().String() == b.WithoutQualifiers().String())
	// Output:
	// false
	// true
}
