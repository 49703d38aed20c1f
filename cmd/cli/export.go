package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape/export"
)

type exportOptions struct {
	to    string
	data  string
	out   string
	pairs string
	kind  string
	from  string
	until string
}

func newExportCmd(a *app) *cobra.Command {
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export --to csv|parquet --data DIR --out FILE",
		Short: "Export trades or top of book from a recording to CSV or Parquet (DuckDB, pandas)",
		Long: `export decodes a recording and writes one row per trade (--kind trades) or per change of a pair's
best bid or ask (--kind top, from the recorded order books) to a CSV or Parquet file that DuckDB,
pandas, polars or a spreadsheet open directly.

trades columns: time (exchange time), recv (receive time), pair, side (taker), ord_type (taker),
  price, qty, trade_id (empty when the source has none: v1, CSV), api, conn
top columns: time (book message time, else receive time), recv, pair, bid, bid_qty, ask, ask_qty

Times are UTC with nanoseconds (CSV: RFC 3339 text; Parquet: TIMESTAMP(NANOS, UTC)). Prices and
quantities are exact: CSV prints them as decimal text with the precision Kraken sent; Parquet
stores them as DECIMAL(18, scale) with one scale per column, the largest the data needs (a first
pass over the recording finds it), so both tools read numbers, not strings:

  duckdb -c "SELECT pair, count(*), avg(price) FROM 'trades.parquet' GROUP BY pair"
  pandas.read_parquet("trades.parquet")     # price: decimal.Decimal objects (exact)
  pandas.read_csv("trades.csv", parse_dates=["time", "recv"])   # price: float64

Top of book uses each pair's book as a client keeps it: applied in order, checksums verified; a book
whose checksum fails gives no rows until its next snapshot.`,
		Example: `  papertrade export --to parquet --data data/history --out trades.parquet
  papertrade export --to csv --data data/live --kind top --pairs BTC/USD --out btc-top.csv
  papertrade export --to csv --data data/live --from 2025-11-01T10:00:00Z --until 2025-11-01T11:00:00Z --out hour.csv`,
		Args: tpUsageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExport(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "csv", "output format: csv or parquet")
	f.StringVar(&o.data, "data", "", "recording to read: a directory, manifest or segment (required)")
	f.StringVar(&o.out, "out", "", "file to write (required; - for standard output with csv)")
	f.StringVar(&o.pairs, "pairs", "", "only these pairs, comma-separated (default: all)")
	f.StringVar(&o.kind, "kind", "trades", "rows: trades, or top (best bid and ask)")
	f.StringVar(&o.from, "from", "", "only frames received at or after this time")
	f.StringVar(&o.until, "until", "", "only frames received before this time")
	return cmd
}

func runExport(ctx context.Context, a *app, o exportOptions) error {
	eo, err := o.options(a)
	if err != nil {
		return err
	}
	var st export.Stats
	switch {
	case o.to == "csv" && o.out == "-":
		st, err = export.CSV(ctx, o.data, a.stdout, eo)
	default:
		st, err = exportFile(o.out, func(w io.Writer) (export.Stats, error) {
			if o.to == "csv" {
				return export.CSV(ctx, o.data, w, eo)
			}
			return export.Parquet(ctx, o.data, w, eo)
		})
	}
	if st.Undecodable > 0 {
		fmt.Fprintf(a.stderr, "export: %d frames could not be decoded and were skipped\n", st.Undecodable)
	}
	for _, w := range st.Warnings {
		fmt.Fprintf(a.stderr, "export: warning: %s\n", w)
	}
	if err != nil {
		return err
	}
	if st.Rows == 0 {
		what := "no trades"
		if eo.Kind == export.Top {
			what = "no top of book (no book messages, or none verified)"
		}
		fmt.Fprintf(a.stderr, "export: %s in %s for the pairs and times asked\n", what, o.data)
	}
	fmt.Fprintf(a.stderr, "export: %d rows → %s\n", st.Rows, o.out)
	return nil
}

// options checks the flags and turns them into the export's options.
func (o *exportOptions) options(a *app) (export.Options, error) {
	eo := export.Options{CreatedBy: "papertrade", Version: Version, Log: a.log}
	switch {
	case o.data == "":
		return eo, tpUsagef("--data is required")
	case o.out == "":
		return eo, tpUsagef("--out is required")
	case o.to != "csv" && o.to != "parquet":
		return eo, tpUsagef("--to %q: want csv or parquet", o.to)
	case o.kind != "trades" && o.kind != "top":
		return eo, tpUsagef("--kind %q: want trades or top", o.kind)
	case o.to == "parquet" && o.out == "-":
		return eo, tpUsagef("parquet needs a file: --out FILE")
	}
	if o.kind == "top" {
		eo.Kind = export.Top
	}
	if o.pairs != "" {
		infos, err := tpResolvePairs(kraken.DefaultPairs(), o.pairs)
		if err != nil {
			return eo, err
		}
		eo.Filter.Pairs = tpPairNames(infos)
	}
	var err error
	if o.from != "" {
		if eo.Filter.From, err = tpParseTime("from", o.from); err != nil {
			return eo, err
		}
	}
	if o.until != "" {
		if eo.Filter.To, err = tpParseTime("until", o.until); err != nil {
			return eo, err
		}
	}
	return eo, nil
}

// exportFile creates path, writes it and closes it, reporting the first error.
func exportFile(path string, write func(io.Writer) (export.Stats, error)) (export.Stats, error) {
	fh, err := os.Create(path)
	if err != nil {
		return export.Stats{}, err
	}
	st, err := write(fh)
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	return st, err
}
