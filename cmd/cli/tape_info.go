package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/papertrade/papertrade/feed/tape"
)

type tapeInfoOptions struct {
	gap     time.Duration
	maxList int
	asJSON  bool
}

func newTapeInfoCmd(a *app) *cobra.Command {
	var o tapeInfoOptions
	cmd := &cobra.Command{
		Use:   "info DIR",
		Short: "Describe a recording: manifests, segments, counts per pair and channel, time range, gaps",
		Long: `tape info reads a recording (a directory, a manifest or one segment) from end to end and prints:

  - each recording's manifest: name, whether it was closed cleanly, pairs, channels, meta;
  - its segments: file, receive-time range, frames, size on disk and uncompressed, closed or not;
  - frames per API and connection, the receive-time range, bytes per frame;
  - events per pair and kind (trades, book snapshots and updates, tickers, gaps, ...): the
    events a replay trades on, made by the live client's connection rules (heartbeats and
    the first trade snapshot dropped, trades re-sent after a reconnect delivered once, books
    verified), and frames that could not be decoded;
  - trade ids per pair (v2, REST): first, last, missing (gaps in the sequence) and repeated
    (snapshot overlap after a reconnect, which replays drop);
  - book checksums verified and mismatched (each pair's book kept as the client keeps it);
  - gaps: a connection silent for longer than --gap, and connection changes (reconnects);
  - torn tails (segments a crash or a running writer left unfinished) and other warnings.

Exit codes: 0 ok; 1 the recording cannot be read; 4 some frames could not be decoded.`,
		Example: `  papertrade tape info data/2025-11
  papertrade tape info --gap 2s --max 50 data/live
  papertrade tape info --json data/synth | jq .events`,
		Args: tpUsageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTapeInfo(cmd.Context(), a, args[0], o)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.gap, "gap", 10*time.Second, "report a connection silent for longer than this")
	f.IntVar(&o.maxList, "max", 10, "list at most this many gaps of each kind (all are counted)")
	f.BoolVar(&o.asJSON, "json", false, "print one JSON object instead of text")
	return cmd
}

// tapeSummary is tape info's JSON form, decoded by the commands' tests.
type tapeSummary = tape.Summary

func runTapeInfo(ctx context.Context, a *app, path string, o tapeInfoOptions) error {
	s, err := tape.Summarize(ctx, path, tape.SummaryOptions{Gap: o.gap, MaxList: o.maxList, Log: a.log})
	if err != nil {
		return err
	}
	if o.asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return err
		}
	} else if err := s.WriteText(a.stdout); err != nil {
		return err
	}
	if s.DecodeErrors > 0 {
		return &ExitCodeError{Code: ExitBadInput, Err: fmt.Errorf("tape info: %d frames could not be decoded", s.DecodeErrors)}
	}
	return nil
}
