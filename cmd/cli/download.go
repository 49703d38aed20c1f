package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

type downloadOptions struct {
	pair     string
	since    string
	cursor   string
	until    string
	out      string
	url      string
	name     string
	interval time.Duration
	count    int
	age      time.Duration

	sleep func(context.Context, time.Duration) error // tests: no real waits
}

func newDownloadCmd(a *app) *cobra.Command {
	var o downloadOptions
	cmd := &cobra.Command{
		Use:   "download --pair BTC/USD --since 2025-11-01 --out DIR",
		Short: "Download trade history from Kraken's REST Trades endpoint into a recording",
		Long: `download pages through Kraken's public REST Trades endpoint (/0/public/Trades) for one pair and
writes the trades into a recording, as v2 trade frames exactly like the live feed's (prices and
quantities at the pair's precision, trade ids, taker side and order type; receive time = trade
time), so that decode, backtest and serve replay them like recorded data.

It asks from --since (a date, an RFC 3339 time, Unix seconds, or a cursor from an earlier run
with --cursor), follows Kraken's "last" cursor, drops the trades repeated at page boundaries and
stops at the end of the data, or at --until. It waits --interval between calls (Kraken asks for
1-2 s for bulk downloads) and backs off exponentially (5 s doubling to 2 min) when Kraken answers
"EAPI:Rate limit exceeded", "EGeneral:Too many requests" or "EService:Busy", or the HTTP request
fails. Every 10 pages it prints a progress line; when interrupted it prints the cursor to resume
from.

Exit codes: 0 done; 1 failed or interrupted (what was downloaded is kept); 4 some entries could not
be parsed (they are reported and skipped).`,
		Example: `  papertrade download --pair BTC/USD --since 2025-11-01 --until 2025-11-02 --out data/history
  papertrade download --pair XBTUSDT --since 2025-11-10T00:00:00Z --out data/history
  papertrade download --pair ETH/USD --cursor 1762820035982277754 --out data/history`,
		Args: tpUsageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDownload(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.pair, "pair", "", "pair to download (required; BTC/USD, XBT/USD or XBTUSD)")
	f.StringVar(&o.since, "since", "", "start: a date, an RFC 3339 time or Unix seconds (required unless --cursor)")
	f.StringVar(&o.cursor, "cursor", "", "start from a nanosecond cursor printed by an earlier run")
	f.StringVar(&o.until, "until", "", "stop before this time (default: the end of the data)")
	f.StringVar(&o.out, "out", "", "directory to write the recording to (required)")
	f.StringVar(&o.url, "url", tape.DefaultRESTURL, "REST base URL")
	f.StringVar(&o.name, "name", "", "recording name, which prefixes its files (default rest-<REST name>)")
	f.DurationVar(&o.interval, "interval", 1500*time.Millisecond, "pause between calls (Kraken asks for 1-2 s)")
	f.IntVar(&o.count, "count", 1000, "trades per page (1-1000)")
	f.DurationVar(&o.age, "segment-age", 24*time.Hour, "start a new segment file at multiples of this trade time")
	return cmd
}

func runDownload(ctx context.Context, a *app, o downloadOptions) error {
	table := kraken.DefaultPairs()
	cfg, err := o.config(a, table)
	if err != nil {
		return err
	}
	name := o.name
	if name == "" {
		name = tape.DownloadName(cfg.Pair)
	}
	meta := []string{"cursor", o.cursor}
	if o.since != "" {
		meta = []string{"since", o.since}
	}
	if o.until != "" {
		meta = append(meta, "until", o.until)
	}
	opts := append(tape.DownloadOptions(&cfg, name, meta...), tape.WithMaxSegmentAge(o.age), tape.WithLogger(a.log))
	w, err := tape.NewWriter(o.out, opts...)
	if err != nil {
		return err
	}
	var bad int
	cfg.OnPage = func(st tape.ImportStats) {
		if st.Pages%10 == 0 {
			fmt.Fprintf(a.stdout, "page %d: %d trades written (%d repeated at page boundaries), up to %s, cursor %s\n",
				st.Pages, st.Trades, st.Duplicates, st.Last.UTC().Format(time.RFC3339Nano), st.Cursor)
		}
	}
	onBad := tape.ImportOnBad(func(e tape.RowError) {
		if bad++; bad <= 100 {
			fmt.Fprintf(a.stderr, "download: entry skipped: %v\n", e.Error())
		}
	})
	st, dlErr := tape.Download(ctx, cfg, w, onBad, tape.ImportPairs(table))
	closeErr := w.Close()
	fmt.Fprintf(a.stdout, "downloaded %d trades of %s in %d pages (%d repeated at page boundaries, %d bad entries)", st.Trades, cfg.Pair.Pair, st.Pages, st.Duplicates, st.Bad)
	if st.Trades > 0 {
		fmt.Fprintf(a.stdout, ", %s to %s", st.First.UTC().Format(time.RFC3339Nano), st.Last.UTC().Format(time.RFC3339Nano))
	}
	fmt.Fprintf(a.stdout, " into %s\n", o.out)
	if dlErr != nil {
		if st.Cursor != "" {
			fmt.Fprintf(a.stdout, "to continue: papertrade download --pair %s --cursor %s --out %s\n", cfg.Pair.Pair, st.Cursor, o.out)
		}
		if errors.Is(dlErr, context.Canceled) {
			return &ExitCodeError{Code: ExitError, Err: errors.New("download interrupted")}
		}
		return dlErr
	}
	if closeErr != nil {
		return closeErr
	}
	if st.Bad > 0 {
		return &ExitCodeError{Code: ExitBadInput, Err: fmt.Errorf("download: %d entries could not be parsed", st.Bad)}
	}
	return nil
}

// config checks the flags (usage errors exit 2) and turns them into the download's settings.
func (o *downloadOptions) config(a *app, table *kraken.Pairs) (tape.DownloadConfig, error) {
	var cfg tape.DownloadConfig
	switch {
	case o.pair == "":
		return cfg, tpUsagef("--pair is required")
	case o.out == "":
		return cfg, tpUsagef("--out is required")
	case o.since == "" && o.cursor == "":
		return cfg, tpUsagef("--since (or --cursor) is required")
	case o.since != "" && o.cursor != "":
		return cfg, tpUsagef("give --since or --cursor, not both")
	}
	info, ok := lookupAnyName(table, o.pair)
	if !ok {
		return cfg, tpUsagef("pair %q is not in the pair table (see papertrade pairs)", o.pair)
	}
	cfg = tape.DownloadConfig{URL: o.url, Pair: *info, Interval: o.interval, Count: o.count, Log: a.log, Sleep: o.sleep}
	if o.interval <= 0 {
		cfg.Interval = -1 // no pause (DownloadConfig's zero means its default)
	}
	if o.cursor != "" {
		if _, err := strconv.ParseInt(o.cursor, 10, 64); err != nil {
			return cfg, tpUsagef("--cursor %q: want the nanosecond cursor an earlier run printed", o.cursor)
		}
		cfg.SinceCursor = o.cursor
	} else {
		t, err := tpParseTime("since", o.since)
		if err != nil {
			return cfg, err
		}
		cfg.Since = t
	}
	if o.until != "" {
		t, err := tpParseTime("until", o.until)
		if err != nil {
			return cfg, err
		}
		cfg.Until = t
	}
	return cfg, nil
}
