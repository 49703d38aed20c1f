package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/papertrade/papertrade/backtest"
)

func newDiffCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "diff RUN_A RUN_B",
		Short: "Compare two backtest result directories fill by fill and say where and why they diverge",
		Long: `diff compares two results directories written by papertrade backtest. It lists how their inputs
differ (manifest.json: config settings key by key, seed, data file hashes, fill models, version),
then for every strategy instance finds the first order (in placement order) and the first fill that
differ, and says which comes first and why: a different signal or order (the strategy decided
differently), latency/time (the same order executed at another time), price, quantity, fee (tier or
override), maker/taker, or the fill model.

Exit codes, as diff(1): 0 the results are identical; 1 they differ; 2 bad arguments or a directory
that is not a backtest result.`,
		Example: `  papertrade diff results-a results-b`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return &usageError{errors.New("diff needs two result directories: papertrade diff RUN_A RUN_B")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := backtest.DiffRuns(args[0], args[1])
			if err != nil {
				return &usageError{err}
			}
			if err := d.Write(a.stdout); err != nil {
				return err
			}
			if !d.Same() {
				return &ExitCodeError{Code: 1}
			}
			return nil
		},
	}
}
