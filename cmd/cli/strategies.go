package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newStrategiesCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "strategies [NAME...]",
		Short: "List the registered strategies with their parameters, defaults, ranges and help",
		Long: `strategies lists every strategy this binary can run (the built-in samples plus any a
user's module registered), each with its parameters: type, default, search range (used by
sweep) and help. Give names to show only those.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			names := a.registry.Names()
			if len(args) > 0 {
				names = args
			}
			out, err := describeStrategies(a, names)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				for _, e := range out {
					if err := enc.Encode(e); err != nil {
						return err
					}
				}
				return nil
			}
			return printStrategies(a.stdout, out)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per strategy")
	return cmd
}

// strategyParam and strategyEntry are one line of strategies --json: the field names are the
// output's keys, so they stay as they are.
type strategyParam struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Default string `json:"default"`
	Range   string `json:"range,omitempty"` // what a sweep searches by default
	Min     string `json:"min,omitempty"`   // legal bounds
	Max     string `json:"max,omitempty"`
	Help    string `json:"help,omitempty"`
}

type strategyEntry struct {
	Name   string          `json:"name"`
	Help   string          `json:"help"`
	Params []strategyParam `json:"params"`
}

// describeStrategies looks the names up in the registry; an unknown name is a usage error
// that lists the registered ones.
func describeStrategies(a *app, names []string) ([]strategyEntry, error) {
	var out []strategyEntry
	for _, n := range names {
		info, ok := a.registry.Describe(n)
		if !ok {
			return nil, &usageError{fmt.Errorf("unknown strategy %q (registered: %s)", n, strings.Join(a.registry.Names(), ", "))}
		}
		e := strategyEntry{Name: info.Name, Help: info.Help, Params: []strategyParam{}}
		for _, p := range info.Params {
			e.Params = append(e.Params, strategyParam{p.Name, p.Type, p.Default, p.Range(), p.AtLeast, p.AtMost, p.Help})
		}
		out = append(out, e)
	}
	return out, nil
}

// printStrategies writes the text listing: each strategy's help, then a table of its parameters.
func printStrategies(w io.Writer, out []strategyEntry) error {
	for i, e := range out {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s\n  %s\n", e.Name, wrap(e.Help, 92, "  "))
		if len(e.Params) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		// SWEEP is what a sweep searches by default; LEGAL the values a config may set.
		fmt.Fprintln(tw, "  PARAM\tTYPE\tDEFAULT\tSWEEP\tLEGAL\tHELP")
		for _, p := range e.Params {
			legal := ""
			switch {
			case p.Min != "" && p.Max != "":
				legal = p.Min + ".." + p.Max
			case p.Min != "":
				legal = ">= " + p.Min
			case p.Max != "":
				legal = "<= " + p.Max
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Type, p.Default, p.Range, legal, p.Help)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// wrap folds text at width columns, indenting continuation lines.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	col := 0
	for _, w := range strings.Fields(text) {
		if col > 0 && col+1+len(w) > width {
			b.WriteString("\n" + indent)
			col = 0
		} else if col > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}
