package misconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config tunes the rules. The zero Config runs every rule at its default severity and trusts
// every registry but Docker Hub.
type Config struct {
	// Disabled rule IDs do not run.
	Disabled []string `yaml:"disabled_rules" json:"disabled_rules"`
	// Severity overrides a rule's severity: rule ID → critical, high, medium or low.
	Severity map[string]string `yaml:"severity" json:"severity"`
	// TrustedRegistries are the registries (registry.example.com) or repository prefixes
	// (ghcr.io/acme) images may come from. Empty: any registry except Docker Hub (docker.io,
	// and unqualified names, which resolve to it). Docker Hub is trusted only when listed.
	TrustedRegistries []string `yaml:"trusted_registries" json:"trusted_registries"`
	// Skip are glob patterns (path.Match syntax; "dir/**" for a whole tree) of paths a
	// directory walk leaves out, matched against the path relative to the walked directory and
	// against the base name.
	Skip []string `yaml:"skip" json:"skip"`
}

// LoadConfig reads a Config from a YAML or JSON file. Unknown fields are errors, so a typo
// does not silently leave a rule on; rule IDs and severities are checked by New.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return ParseConfig(path, data)
}

// ParseConfig parses a Config document; name is used in errors.
func ParseConfig(name string, data []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%s: %w: %s", name, ErrConfig, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return c, nil
}

// validate checks c against the rules that exist.
func (c Config) validate(rules map[string]Rule) error {
	var problems []string
	for _, id := range c.Disabled {
		if _, ok := rules[id]; !ok {
			problems = append(problems, fmt.Sprintf("disabled_rules: unknown rule %q", id))
		}
	}
	for id, sev := range c.Severity {
		if _, ok := rules[id]; !ok {
			problems = append(problems, fmt.Sprintf("severity: unknown rule %q", id))
		}
		if !slices.Contains(Severities, sev) {
			problems = append(problems, fmt.Sprintf("severity: %s: %q is not one of %s", id, sev, strings.Join(Severities, ", ")))
		}
	}
	for _, r := range c.TrustedRegistries {
		if strings.TrimSpace(r) == "" || strings.ContainsAny(r, " \t@") {
			problems = append(problems, fmt.Sprintf("trusted_registries: %q is not a registry or repository prefix", r))
		}
	}
	for _, p := range c.Skip {
		if _, err := pathMatchCheck(p); err != nil {
			problems = append(problems, fmt.Sprintf("skip: %q: %v", p, err))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("%w: %s", ErrConfig, strings.Join(problems, "; "))
	}
	return nil
}
