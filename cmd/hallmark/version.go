package main

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/hallmark-dev/hallmark/internal/version"
)

func newVersionCmd(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print hallmark's version",
		Example: "  hallmark version\n  hallmark version --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := map[string]string{"name": version.Name, "version": version.String(), "go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH}
			switch format {
			case "text":
				fmt.Fprintf(e.stdout, "%s %s (%s, %s)\n", version.Name, info["version"], info["go"], info["platform"])
			case "json":
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			default:
				return usageError{fmt.Errorf("--format %q: want text or json", format)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json")
	return cmd
}
