package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"text/tabwriter"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

func newPairsCmd(a *app) *cobra.Command {
	var (
		asJSON   bool
		pair     string
		fromFile string
	)
	cmd := &cobra.Command{
		Use:   "pairs",
		Short: "List the pair table: names, precisions, minimums, fees, status",
		Long: `pairs prints the pair table papertrade trades with: each pair's v2 and v1 names,
price and lot decimals, tick, minimum order size (ordermin, base) and cost (costmin, quote),
entry-tier maker/taker fees (percent of cost) and status.

The table is the built-in one (Kraken values from 2024-03 with the current fee schedule)
unless --from-file names a saved REST response of
https://api.kraken.com/0/public/AssetPairs.`,
		Example: `  papertrade pairs
  papertrade pairs --pair BTC/USD
  papertrade pairs --json
  papertrade pairs --from-file assetpairs.json --pair XBTUSDT`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.NoArgs(cmd, args); err != nil {
				return &usageError{err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			table, err := loadPairTable(fromFile)
			if err != nil {
				return err
			}
			a.log.Debug("pair table loaded", zap.Int("pairs", table.Len()), zap.String("file", fromFile))
			if pair != "" {
				info, ok := lookupAnyName(table, pair)
				if !ok {
					return fmt.Errorf("pair %q is not in the table (%d pairs; try papertrade pairs)", pair, table.Len())
				}
				if asJSON {
					return writePairsJSON(a.stdout, []feed.PairInfo{*info})
				}
				return writePairDetail(a.stdout, info)
			}
			if asJSON {
				return writePairsJSON(a.stdout, table.All())
			}
			return writePairsTable(a.stdout, table.All())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print JSON lines (one pair per line, numbers as decimal strings)")
	f.StringVar(&pair, "pair", "", "show one pair with its full fee schedule (v2 name BTC/USD; v1 and REST names work too)")
	f.StringVar(&fromFile, "from-file", "", "load a saved REST AssetPairs response instead of the built-in table")
	return cmd
}

// loadPairTable returns the built-in table, or the one in an AssetPairs response file.
func loadPairTable(file string) (*kraken.Pairs, error) {
	if file == "" {
		return kraken.DefaultPairs(), nil
	}
	fh, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	t, err := kraken.ParseAssetPairs(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

// lookupAnyName finds a pair by v2 name, then v1 name, then REST altname or key, so that
// whatever name a user copied from Kraken works.
func lookupAnyName(t *kraken.Pairs, name string) (*feed.PairInfo, bool) {
	if info, ok := t.Lookup(feed.Pair(name)); ok {
		return info, true
	}
	if info, ok := t.LookupV1(name); ok {
		return info, true
	}
	return t.LookupREST(name)
}

// percentText shows a fee percentage with at least two decimals ("0.40", "0.00"), and all
// of them when it has more.
func percentText(p decimal.Decimal) string {
	return p.StringFixed(max(2, -p.Exponent()))
}

// orDash shows an unknown (zero) minimum as "-".
func orDash(d decimal.Decimal) string {
	if d.IsZero() {
		return "-"
	}
	return d.String()
}

func writePairsTable(w io.Writer, pairs []feed.PairInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PAIR\tV1 NAME\tPRICE DEC\tLOT DEC\tTICK\tORDERMIN\tCOSTMIN\tMAKER %\tTAKER %\tSTATUS")
	for i := range pairs {
		p := &pairs[i]
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n",
			p.Pair, p.WSName, p.PriceDecimals, p.LotDecimals, p.Tick, orDash(p.OrderMin), orDash(p.CostMin),
			percentText(p.Fee(true, decimal.Zero)), percentText(p.Fee(false, decimal.Zero)), p.Status)
	}
	return tw.Flush()
}

func writePairDetail(w io.Writer, p *feed.PairInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "pair\t%s\n", p.Pair)
	fmt.Fprintf(tw, "v1 name\t%s\n", p.WSName)
	fmt.Fprintf(tw, "REST altname\t%s\n", p.AltName)
	fmt.Fprintf(tw, "REST key\t%s\n", orUnknown(p.ID))
	fmt.Fprintf(tw, "base / quote\t%s / %s\n", p.Base, p.Quote)
	fmt.Fprintf(tw, "price decimals\t%d\n", p.PriceDecimals)
	fmt.Fprintf(tw, "lot decimals\t%d\n", p.LotDecimals)
	fmt.Fprintf(tw, "cost decimals\t%d\n", p.CostDecimals)
	fmt.Fprintf(tw, "tick\t%s %s\n", p.Tick, p.Quote)
	fmt.Fprintf(tw, "lot step\t%s %s\n", p.LotStep, p.Base)
	fmt.Fprintf(tw, "ordermin\t%s %s\n", orDash(p.OrderMin), p.Base)
	fmt.Fprintf(tw, "costmin\t%s %s\n", orDash(p.CostMin), p.Quote)
	fmt.Fprintf(tw, "status\t%s\n", p.Status)
	fmt.Fprintf(tw, "fee volume currency\t%s\n", orUnknown(p.FeeVolumeCurrency))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	// The schedules may step at different volumes: list every threshold of either.
	var vols []decimal.Decimal
	for _, t := range slices.Concat(p.Taker, p.Maker) {
		if !slices.ContainsFunc(vols, t.Volume.Equal) {
			vols = append(vols, t.Volume)
		}
	}
	if len(vols) == 0 {
		_, err := fmt.Fprintln(w, "no fee schedule")
		return err
	}
	slices.SortFunc(vols, decimal.Decimal.Cmp)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "30-DAY VOLUME (%s)\tMAKER %%\tTAKER %%\n", orUnknown(p.FeeVolumeCurrency))
	for _, v := range vols {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v, percentText(p.Fee(true, v)), percentText(p.Fee(false, v)))
	}
	return tw.Flush()
}

func orUnknown(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// pairJSON is one line of --json output. Numbers that are money or quantities are decimal
// strings, exact as held in the table.
type pairJSON struct {
	Pair              string    `json:"pair"`
	WSName            string    `json:"wsname"`
	AltName           string    `json:"altname"`
	ID                string    `json:"id,omitempty"`
	Base              string    `json:"base"`
	Quote             string    `json:"quote"`
	PriceDecimals     int32     `json:"price_decimals"`
	LotDecimals       int32     `json:"lot_decimals"`
	CostDecimals      int32     `json:"cost_decimals"`
	Tick              string    `json:"tick"`
	LotStep           string    `json:"lot_step"`
	OrderMin          string    `json:"ordermin,omitempty"`
	CostMin           string    `json:"costmin,omitempty"`
	Status            string    `json:"status"`
	MakerFee          string    `json:"maker_fee"` // entry tier, percent
	TakerFee          string    `json:"taker_fee"`
	FeeVolumeCurrency string    `json:"fee_volume_currency,omitempty"`
	MakerTiers        []feeJSON `json:"maker_tiers"`
	TakerTiers        []feeJSON `json:"taker_tiers"`
}

type feeJSON struct {
	Volume  string `json:"volume"`
	Percent string `json:"percent"`
}

func writePairsJSON(w io.Writer, pairs []feed.PairInfo) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range pairs {
		p := &pairs[i]
		j := pairJSON{
			Pair: string(p.Pair), WSName: p.WSName, AltName: p.AltName, ID: p.ID, Base: p.Base, Quote: p.Quote,
			PriceDecimals: p.PriceDecimals, LotDecimals: p.LotDecimals, CostDecimals: p.CostDecimals,
			Tick: p.Tick.String(), LotStep: p.LotStep.String(), Status: string(p.Status),
			MakerFee:          p.Fee(true, decimal.Zero).String(),
			TakerFee:          p.Fee(false, decimal.Zero).String(),
			FeeVolumeCurrency: p.FeeVolumeCurrency,
			MakerTiers:        feeTiersJSON(p.Maker),
			TakerTiers:        feeTiersJSON(p.Taker),
		}
		if !p.OrderMin.IsZero() {
			j.OrderMin = p.OrderMin.String()
		}
		if !p.CostMin.IsZero() {
			j.CostMin = p.CostMin.String()
		}
		if err := enc.Encode(&j); err != nil {
			return err
		}
	}
	return nil
}

func feeTiersJSON(ts []feed.FeeTier) []feeJSON {
	out := make([]feeJSON, len(ts))
	for i, t := range ts {
		out[i] = feeJSON{Volume: t.Volume.String(), Percent: t.Percent.String()}
	}
	return out
}
