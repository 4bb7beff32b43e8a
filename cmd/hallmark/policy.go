package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/policy"
)

func newPolicyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Test and inspect Rego policies for hallmark gate",
		Long: `hallmark decides with Rego (OPA, Rego v1) over one evidence document. "policy test" runs
your policy's tests; "policy rules" lists the rules a policy holds. The contract between
evidence, rules and decisions is in docs/policy.md.`,
	}
	cmd.AddCommand(newPolicyTestCmd(e), newPolicyRulesCmd(e))
	return cmd
}

func newPolicyTestCmd(e *env) *cobra.Command {
	var (
		config    string
		noBuiltin bool
	)
	cmd := &cobra.Command{
		Use:   "test DIR",
		Short: "Run the Rego tests of a policy directory, with the built-in library",
		Long: `Run every test rule (test_…) of the *_test.rego files under DIR, with DIR's modules
compiled together with hallmark's built-in library (data.hallmark.lib and the built-in rules
under data.hallmark.rules), as "opa test" would: each test is listed with PASS, FAIL or
ERROR, grouped by file:line, then the failures' details and the totals.

--config FILE is the configuration the rules read as data.hallmark.config; tests can also set
it with "with data.hallmark.config as {…}". Built-in functions that fail make the test an
error, as they make "hallmark gate" deny.

Exit codes: 0 every test passed; 1 a test failed or errored; 2 DIR holds no test, a module
does not compile (the error names file:line), or the configuration is malformed.`,
		Example: `  hallmark policy test ./policies
  hallmark policy test ./policies --config policy.yaml`,
		Args: exactArgs(1, "DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			mods, err := policy.LoadModules(args[0], true)
			if err != nil {
				return codedError{code: ExitUsage, err: err}
			}
			opts := policy.TestOptions{Modules: mods, Builtin: !noBuiltin, Verbose: true}
			if config != "" {
				if opts.Config, err = policy.LoadConfig(config); err != nil {
					return codedError{code: ExitUsage, err: fmt.Errorf("--config: %w", err)}
				}
			}
			sum, err := policy.RunTests(cmd.Context(), e.stdout, opts)
			switch {
			case errors.Is(err, policy.ErrNoTests):
				return codedError{code: ExitUsage, err: fmt.Errorf("%s: %w (write test_… rules in *_test.rego files)", args[0], err)}
			case err != nil:
				return policyError(err)
			case !sum.OK():
				return codedError{code: ExitNo, err: fmt.Errorf("%d of %d policy tests failed", sum.Fail+sum.Error, sum.Pass+sum.Fail+sum.Error)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "policy configuration (YAML or JSON) the rules read as data.hallmark.config")
	cmd.Flags().BoolVar(&noBuiltin, "no-builtin", false, "compile DIR without the built-in rules (the helper library stays)")
	return cmd
}

func newPolicyRulesCmd(e *env) *cobra.Command {
	var (
		policies []string
		config   string
	)
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rules of a policy: id, title, whether enabled",
		Long: `Compile the policy ("builtin" and/or directories, as "hallmark gate --policy" takes them)
with its configuration and list its rules: the id violations carry, whether the configuration
disables it, and its title.`,
		Example: `  hallmark policy rules
  hallmark policy rules --policy builtin --policy ./policies --config policy.yaml`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := loadPolicy(cmd.Context(), policies, config, false)
			if err != nil {
				return err
			}
			eng, err := policy.New(cmd.Context(), opts)
			if err != nil {
				return policyError(err)
			}
			for _, r := range eng.Rules() {
				state := "on "
				if r.Disabled {
					state = "off"
				}
				title := r.Title
				if title == "" {
					title = r.Package
				}
				fmt.Fprintf(e.stdout, "%-20s %s  %s\n", r.ID, state, title)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&policies, "policy", nil, "policy: builtin, or a directory of Rego modules (repeatable; default builtin)")
	cmd.Flags().StringVar(&config, "config", "", "policy configuration, YAML or JSON")
	return cmd
}
