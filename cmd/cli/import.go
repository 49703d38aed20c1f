package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

type importOptions struct {
	pair   string
	out    string
	format string
	name   string
	age    time.Duration
}

func newImportCmd(a *app) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import FILE... --out DIR [--pair BTC/USD]",
		Short: "Import trade history (Kraken's Time-and-Sales CSV, saved REST Trades responses) into a recording",
		Long: `import writes trade history into a recording, as v2 trade frames exactly like the live feed's
(prices and quantities at the pair's precision, receive time = trade time), so that decode,
backtest and serve replay them like recorded data.

Two inputs are understood (--format, or by the file's extension and first byte):

  csv   Kraken's downloadable Time-and-Sales archive: no header, unix_seconds,price,volume, one
        file per pair named by its REST name (XBTUSD.csv), rows in execution order. Numbers are
        kept exactly as written. The CSV has no side, order type or trade id: the order type and
        id are left out, and the taker side is inferred by the tick rule (above the previous
        price: buy; below: sell; same price: the previous side; the first trade: buy). The
        manifest records side=tick-rule.
  rest  Responses of https://api.kraken.com/0/public/Trades saved to a file, one or several
        (pages one after the other); trades repeated at page boundaries are dropped.

The pair comes from --pair, else from the CSV's file name or the REST response. Rows that cannot
be read are reported on standard error with their file and line, and skipped.

Exit codes: 0 ok; 1 failed; 4 some rows were skipped.`,
		Example: `  papertrade import TimeAndSales_Combined/XBTUSD.csv --out data/history
  papertrade import BCHEUR.csv --pair BCH/EUR --out data/bch
  papertrade import trades-page1.json trades-page2.json --out data/history`,
		Args: tpUsageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd.Context(), a, args, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.pair, "pair", "", "the pair the files hold (BTC/USD, XBT/USD or XBTUSD); default: from the file")
	f.StringVar(&o.out, "out", "", "directory to write the recording to (required)")
	f.StringVar(&o.format, "format", "auto", "input format: csv, rest or auto")
	f.StringVar(&o.name, "name", "", "recording name, which prefixes its files (default <format>-<file name>)")
	f.DurationVar(&o.age, "segment-age", 24*time.Hour, "start a new segment file at multiples of this trade time")
	return cmd
}

func runImport(ctx context.Context, a *app, files []string, o importOptions) error {
	if o.out == "" {
		return tpUsagef("--out is required")
	}
	switch o.format {
	case "auto", "csv", "rest":
	default:
		return tpUsagef("--format %q: want csv, rest or auto", o.format)
	}
	if o.name != "" && len(files) > 1 {
		return tpUsagef("--name names one recording: import one file at a time with it")
	}
	table := kraken.DefaultPairs()
	var pair feed.Pair
	if o.pair != "" {
		info, ok := lookupAnyName(table, o.pair)
		if !ok {
			return tpUsagef("pair %q is not in the pair table (see papertrade pairs)", o.pair)
		}
		pair = info.Pair
	}
	var bad int64
	for _, file := range files {
		n, err := importFile(ctx, a, table, file, pair, o)
		bad += n
		if err != nil {
			return err
		}
	}
	if bad > 0 {
		return &ExitCodeError{Code: ExitBadInput, Err: fmt.Errorf("import: %d rows skipped", bad)}
	}
	return nil
}

// importFile imports one file into its own recording and returns the number of bad rows.
func importFile(ctx context.Context, a *app, table *kraken.Pairs, file string, pair feed.Pair, o importOptions) (int64, error) {
	fh, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	in := bufio.NewReaderSize(fh, 1<<20)
	format := o.format
	if format == "auto" {
		format = "csv"
		head, _ := in.Peek(512)
		if strings.HasSuffix(strings.ToLower(file), ".json") || strings.HasPrefix(strings.TrimSpace(string(head)), "{") {
			format = "rest"
		}
	}
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	if pair == "" && format == "csv" {
		info, ok := lookupAnyName(table, base)
		if !ok {
			return 0, tpUsagef("%s: give the pair with --pair (the file name %q is not a pair name)", file, base)
		}
		pair = info.Pair
	}
	name := o.name
	if name == "" {
		name = format + "-" + sanitizeName(base)
	}
	opts := append(tape.ImportOptions(tape.ImportFormat(format), name, file, pair), tape.WithMaxSegmentAge(o.age), tape.WithLogger(a.log))
	w, err := tape.NewWriter(o.out, opts...)
	if err != nil {
		return 0, err
	}
	reported := 0
	onBad := tape.ImportOnBad(func(e tape.RowError) {
		if reported++; reported <= 100 {
			fmt.Fprintf(a.stderr, "%s:%d: %v (skipped)\n", file, e.Line, e.Err)
		}
	})
	var st tape.ImportStats
	if format == "csv" {
		st, err = tape.ImportCSV(ctx, in, w, pair, onBad, tape.ImportPairs(table))
	} else {
		st, err = tape.ImportREST(ctx, in, w, pair, onBad, tape.ImportPairs(table))
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st.Bad, fmt.Errorf("%s: %w", file, err)
	}
	if reported > 100 {
		fmt.Fprintf(a.stderr, "%s: … %d rows skipped in all\n", file, reported)
	}
	printImported(a.stdout, file, o.out, st)
	return st.Bad, nil
}

// printImported writes one file's closing line: trades, frames, span, repeats and skips.
func printImported(w io.Writer, file, out string, st tape.ImportStats) {
	fmt.Fprintf(w, "%s: %d trades in %d frames", file, st.Trades, st.Frames)
	if st.Trades > 0 {
		fmt.Fprintf(w, ", %s to %s", st.First.UTC().Format("2006-01-02T15:04:05.999999999Z"), st.Last.UTC().Format("2006-01-02T15:04:05.999999999Z"))
	}
	if st.Duplicates > 0 {
		fmt.Fprintf(w, ", %d repeated at page boundaries", st.Duplicates)
	}
	if st.Bad > 0 {
		fmt.Fprintf(w, ", %d rows skipped", st.Bad)
	}
	fmt.Fprintf(w, " → %s\n", out)
}

// sanitizeName keeps the characters a recording name allows.
func sanitizeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "import"
	}
	return string(b)
}
