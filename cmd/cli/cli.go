// Package cli is the papertrade command line. It lives in an importable package so that a
// user's own module can run the very same CLI with extra strategies registered (see the
// README and examples/mystrategy): the binary in cmd/papertrade is a five-line main around
// Main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/papertrade/papertrade/strategy"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"
)

// Version is the papertrade version. A release build may set it with
// -ldflags "-X github.com/papertrade/papertrade/cmd/cli.Version=v1.2.3"; otherwise Main fills
// it from the binary's build information (the module version `go install …@v1.2.3` stamped,
// or the VCS revision of a build in a clone, "+dirty" when it had uncommitted changes), so
// that results name the code that made them. Tests that call Run see "dev".
var Version = "dev"

// Exit codes scripts can rely on, the same for every command (the README and --help list
// them; ExitDiverged = 5 is backtest --session's).
const (
	ExitOK       = 0
	ExitError    = 1 // the command failed
	ExitUsage    = 2 // bad flags, arguments, command name or config: fix the command line
	ExitChecksum = 3 // decode --books found checksum mismatches
	ExitBadInput = 4 // some input lines or frames could not be decoded (the rest was processed)
	// ExitIncomplete: the command ran to the end but did not do all it was asked: a strategy
	// stopped on an error or panic, the data window held no events, or watch/record/live received
	// no frames. Results are written.
	ExitIncomplete = 6
)

// exitCodesHelp is the table `papertrade --help` ends with.
const exitCodesHelp = `Exit codes (every command):
  0  ok
  1  the command failed (the message says why)
  2  bad flags, arguments, command name or config
  3  decode --books: book checksum mismatches
  4  some input could not be decoded or parsed (the rest was processed)
  5  backtest --session: the replay does not reproduce the session's fills
  6  finished, but incomplete: a strategy stopped early, no data in the window,
     or watch/record/live received no frames
`

// ExitError makes a command exit with a specific code. Err may be nil for a silent exit.
type ExitCodeError struct {
	Code int
	Err  error
}

func (e *ExitCodeError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit code %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitCodeError) Unwrap() error { return e.Err }

// app is the state shared by every command: streams and the logger built from --log-level.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	logLevel       string
	logFormat      string
	log            *zap.Logger
	registry       *strategy.Registry // strategies the commands can run
	prof           profiles           // --cpuprofile, --memprofile
}

// Main runs the CLI on os.Args with the strategies in reg and exits the process with its exit
// code; a nil reg means the built-in strategies only. SIGINT, SIGTERM and SIGHUP (stopSignals)
// cancel the command's context so that it can shut down cleanly.
func Main(reg *strategy.Registry) {
	// Set once, before any goroutine runs: Run and RunWith never write it.
	Version = resolveVersion(Version, readBuildInfo())
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	code := RunWith(ctx, reg, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run runs the CLI with the built-in strategies, the given arguments and streams, and returns
// the exit code. Tests drive it.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return RunWith(ctx, nil, args, stdin, stdout, stderr)
}

// RunWith is Run with the strategies in reg (nil: the built-ins).
func RunWith(ctx context.Context, reg *strategy.Registry, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if reg == nil {
		reg = DefaultRegistry()
	}
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, log: zap.NewNop(), registry: reg}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if perr := a.prof.stop(); perr != nil {
		fmt.Fprintln(stderr, "papertrade:", perr)
	}
	_ = a.log.Sync()
	if err == nil {
		return ExitOK
	}
	var ec *ExitCodeError
	if errors.As(err, &ec) {
		if ec.Err != nil {
			fmt.Fprintln(stderr, "papertrade:", ec.Err)
		}
		return ec.Code
	}
	fmt.Fprintln(stderr, "papertrade:", err)
	var ue *usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return ExitUsage
	}
	return ExitError
}

// isCobraUsage recognises the command-line errors cobra makes itself (an unknown command,
// wrong positional arguments), which it returns as plain errors: they are usage errors
// (exit 2) like a bad flag, not failures of a command (issue 18: unknown commands exited 1
// while bad flags exited 2).
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command ", "accepts ", "requires at least ", "requires at most ", "requires exactly ", "accepts between ", "invalid argument "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "papertrade",
		Short: "Paper-trading bots on Kraken: live feeds, simulated accounts, deterministic replays",
		Long: `papertrade runs trading strategies on simulated Kraken accounts, fed by Kraken's public
WebSocket data (live) or by recordings (backtests), through the same engine. No real order is
ever sent.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(a.logLevel, a.logFormat, a.stderr)
			if err != nil {
				return &usageError{err}
			}
			a.log = log
			return a.prof.start()
		},
	}
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&a.logFormat, "log-format", "auto", "log format: auto (console on a terminal, JSON otherwise), console, json")
	root.PersistentFlags().StringVar(&a.prof.cpu, "cpuprofile", "", "write a CPU profile of the command to this file (go tool pprof)")
	root.PersistentFlags().StringVar(&a.prof.mem, "memprofile", "", "write an allocation profile to this file when the command ends (go tool pprof)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	for _, c := range commands(a) {
		root.AddCommand(c)
	}
	return root
}

// commands lists the subcommands. Each lives in its own file as newXxxCmd(a).
func commands(a *app) []*cobra.Command {
	return []*cobra.Command{
		newVersionCmd(a),
		newDecodeCmd(a),
		newPairsCmd(a),
		newStrategiesCmd(a),
		newTapeCmd(a),
		newRecordCmd(a),
		newDownloadCmd(a),
		newImportCmd(a),
		newExportCmd(a),
		withSessionReplay(a, newBacktestCmd(a)),
		newSweepCmd(a),
		newDiffCmd(a),
		newServeCmd(a),
		newWatchCmd(a),
		newLiveCmd(a),
		newDemoCmd(a),
	}
}

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the papertrade version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(a.stdout, versionText(Version, readBuildInfo()))
			return err
		},
	}
}

// newLogger builds the zap logger: console encoding on a terminal, JSON otherwise, to w.
func newLogger(level, format string, w io.Writer) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "console"
		}
	}
	var enc zapcore.Encoder
	switch format {
	case "json":
		enc = zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	case "console":
		cfg := zap.NewDevelopmentEncoderConfig()
		cfg.EncodeLevel = zapcore.CapitalColorLevelEncoder
		enc = multilineEncoder{zapcore.NewConsoleEncoder(cfg)}
	default:
		return nil, fmt.Errorf("--log-format: unknown format %q", format)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), lvl)
	return zap.New(core), nil
}
