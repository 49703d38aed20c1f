package journal_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/strategy"
)

// A session journals what its engine records; the next session of the same configuration
// resumes the account from the journal.
func Example() {
	dir, err := os.MkdirTemp("", "journal-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "papertrade.db")
	ctx := context.Background()
	cfg := journal.SessionConfig{Mode: "live", ConfigHash: "c0ffee", Instances: []journal.InstanceConfig{{
		Name: "hodl", Type: "buyhold", Currency: "USD",
		Deposits: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(1000)}},
	}}}

	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		panic(err)
	}
	if _, err := j.Begin(ctx, cfg); err != nil {
		panic(err)
	}
	// The engine calls Record; here, one fill by hand: 0.01 BTC bought at 50000, fee 2.
	j.Record(&engine.Record{Instance: "hodl", Kind: engine.RecordFill, Seq: 7, Time: time.Unix(1_700_000_000, 0),
		Fill: strategy.Fill{OrderID: "OAAAAA-AAAAA-AAAAAA", Pair: "BTC/USD", Side: 1, Price: decimal.NewFromInt(50000),
			Qty: decimal.RequireFromString("0.01"), Fee: decimal.NewFromInt(2), FeeAsset: "USD"}})
	if err := j.Close(); err != nil {
		panic(err)
	}

	j, err = journal.Open(path, journal.Options{})
	if err != nil {
		panic(err)
	}
	start, err := j.Begin(ctx, cfg)
	if err != nil {
		panic(err)
	}
	defer j.Close()
	fmt.Println("session", start.Session, "after a session that", start.Previous.Status)
	for _, b := range start.State("hodl").Ledger.Balances {
		fmt.Println(b.Asset, b.Total)
	}
	// Output:
	// session 2 after a session that closed
	// BTC 0.01
	// USD 498
}
