package kraken

import (
	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// DefaultPairs returns a fresh table of built-in values for the most traded USD and EUR pairs
// and a few cross pairs, for use when Kraken's REST AssetPairs or the v2 instrument channel
// is not available (backtests, offline runs). Merge live metadata over it when you have some.
//
// Sources of the values:
//   - precisions, tick, ordermin (qty_min) and costmin (cost_min): Kraken's v2 instrument
//     snapshot of 2024-03 (kraken-data-recorder, test/data/instrument_snapshot.json); every
//     pair in the table was online then. MATIC has since been migrated to POL by Kraken.
//   - v1 names, REST altnames and AssetPairs keys: REST AssetPairs of 2021-04-17 (cryptofeed
//     sample_data/KRAKEN.0) and of 2025-11 (XBTUSDT). For pairs listed after 2021 the v1 name
//     is derived from the v2 name (BTC→XBT, DOGE→XDG), the altname is the v1 name without
//     "/" (true of every pair in the 2021 capture) and the key is left empty; those rows
//     are marked "derived names".
//   - fees: see cryptoFees and stableFees.
//   - newer values where a capture shows them: BTC/USDT ordermin 0.00005 (AssetPairs XBTUSDT,
//     2025-11, nautilus_trader test_data/http_asset_pairs.json; was 0.0001 in 2024-03).
//
// For a current table, load a saved AssetPairs or instrument response (LoadPairs; the CLI's
// --pairs-file) rather than relying on these rows.
//
// The values are facts at those dates, not live ones: minimums and precisions do change.
func DefaultPairs() *Pairs {
	taker, maker := cryptoFees()
	stable := stableFees()
	t := NewPairs()
	for _, r := range builtinPairRows() {
		info := feed.PairInfo{
			Pair:              feed.Pair(r.v2),
			WSName:            r.v1,
			AltName:           r.alt,
			ID:                r.key,
			PriceDecimals:     r.priceDec,
			LotDecimals:       r.lotDec,
			CostDecimals:      r.costDec,
			Tick:              decimal.RequireFromString(r.tick),
			OrderMin:          decimal.RequireFromString(r.orderMin),
			CostMin:           decimal.RequireFromString(r.costMin),
			Status:            feed.PairOnline,
			Taker:             taker,
			Maker:             maker,
			FeeVolumeCurrency: "USD",
		}
		if r.fees == feesStable {
			info.Taker, info.Maker = stable, stable
		}
		withMargin(&info)
		// Add only fails on a malformed pair name; TestDefaultPairs proves there is none.
		_ = t.Add(info)
	}
	return t
}

// cryptoFees returns Kraken's current spot schedule for crypto pairs (30-day USD volume →
// percent), as returned in AssetPairs fees/fees_maker for XBTUSDT in 2025-11
// (nautilus_trader test_data/http_asset_pairs.json) and listed in PROTOCOL.md §7.
func cryptoFees() (taker, maker []feed.FeeTier) {
	rows := [...][3]string{
		// volume, taker, maker
		{"0", "0.40", "0.25"},
		{"10000", "0.35", "0.20"},
		{"50000", "0.24", "0.14"},
		{"100000", "0.22", "0.12"},
		{"250000", "0.20", "0.10"},
		{"500000", "0.18", "0.08"},
		{"1000000", "0.16", "0.06"},
		{"2500000", "0.14", "0.04"},
		{"5000000", "0.12", "0.02"},
		{"10000000", "0.10", "0.00"},
	}
	for _, r := range rows {
		v := decimal.RequireFromString(r[0])
		taker = append(taker, feed.FeeTier{Volume: v, Percent: decimal.RequireFromString(r[1])})
		maker = append(maker, feed.FeeTier{Volume: v, Percent: decimal.RequireFromString(r[2])})
	}
	return taker, maker
}

// stableFees returns the flat (maker = taker) schedule of stablecoin and FX pairs. Kraken's
// current values were not found; these are the 2021 AssetPairs values for EUR/USD, USDT/USD
// and USDC/USD (cryptofeed sample_data/KRAKEN.0, 2021-04-17; PROTOCOL.md §7).
func stableFees() []feed.FeeTier {
	rows := [...][2]string{
		{"0", "0.20"},
		{"50000", "0.16"},
		{"100000", "0.12"},
		{"250000", "0.08"},
		{"500000", "0.04"},
		{"1000000", "0.00"},
	}
	out := make([]feed.FeeTier, 0, len(rows))
	for _, r := range rows {
		out = append(out, feed.FeeTier{Volume: decimal.RequireFromString(r[0]), Percent: decimal.RequireFromString(r[1])})
	}
	return out
}

type feeSchedule uint8

const (
	feesCrypto feeSchedule = iota
	feesStable
)

// builtinPairRow is one line of the built-in table; see DefaultPairs for the sources.
type builtinPairRow struct {
	v2, v1, alt, key          string
	priceDec, lotDec, costDec int32
	tick, orderMin, costMin   string
	fees                      feeSchedule
}

// builtinPairRows returns the built-in table, sorted by v2 name. It is a function, not a
// package variable, so that nothing can modify the table another caller sees.
func builtinPairRows() []builtinPairRow {
	return []builtinPairRow{
		// v2, v1 (wsname), REST altname, REST key, price decimals, lot decimals, cost decimals, tick, ordermin, costmin, fees
		{"AAVE/EUR", "AAVE/EUR", "AAVEEUR", "AAVEEUR", 2, 8, 5, "0.01", "0.05", "0.45", feesCrypto},
		{"AAVE/USD", "AAVE/USD", "AAVEUSD", "AAVEUSD", 2, 8, 5, "0.01", "0.05", "0.5", feesCrypto},
		{"ADA/EUR", "ADA/EUR", "ADAEUR", "ADAEUR", 6, 8, 6, "0.000001", "10", "0.45", feesCrypto},
		{"ADA/USD", "ADA/USD", "ADAUSD", "ADAUSD", 6, 8, 6, "0.000001", "10", "0.5", feesCrypto},
		{"ALGO/EUR", "ALGO/EUR", "ALGOEUR", "ALGOEUR", 5, 8, 6, "0.00001", "25", "0.45", feesCrypto},
		{"ALGO/USD", "ALGO/USD", "ALGOUSD", "ALGOUSD", 5, 8, 6, "0.00001", "25", "0.5", feesCrypto},
		{"APT/EUR", "APT/EUR", "APTEUR", "", 4, 8, 8, "0.0001", "0.5", "0.45", feesCrypto}, // derived names
		{"APT/USD", "APT/USD", "APTUSD", "", 4, 8, 8, "0.0001", "0.5", "0.5", feesCrypto},  // derived names
		{"ARB/EUR", "ARB/EUR", "ARBEUR", "", 4, 5, 8, "0.0001", "2", "0.45", feesCrypto},   // derived names
		{"ARB/USD", "ARB/USD", "ARBUSD", "", 4, 5, 8, "0.0001", "2", "0.5", feesCrypto},    // derived names
		{"ATOM/EUR", "ATOM/EUR", "ATOMEUR", "ATOMEUR", 4, 8, 6, "0.0001", "0.5", "0.45", feesCrypto},
		{"ATOM/USD", "ATOM/USD", "ATOMUSD", "ATOMUSD", 4, 8, 6, "0.0001", "0.5", "0.5", feesCrypto},
		{"AVAX/EUR", "AVAX/EUR", "AVAXEUR", "", 2, 8, 5, "0.01", "0.1", "0.45", feesCrypto}, // derived names
		{"AVAX/USD", "AVAX/USD", "AVAXUSD", "", 2, 8, 5, "0.01", "0.1", "0.5", feesCrypto},  // derived names
		{"BCH/EUR", "BCH/EUR", "BCHEUR", "BCHEUR", 2, 8, 6, "0.01", "0.025", "0.45", feesCrypto},
		{"BCH/USD", "BCH/USD", "BCHUSD", "BCHUSD", 2, 8, 6, "0.01", "0.025", "0.5", feesCrypto},
		{"BTC/EUR", "XBT/EUR", "XBTEUR", "XXBTZEUR", 1, 8, 5, "0.1", "0.0001", "0.45", feesCrypto},
		{"BTC/USD", "XBT/USD", "XBTUSD", "XXBTZUSD", 1, 8, 5, "0.1", "0.0001", "0.5", feesCrypto},
		{"BTC/USDT", "XBT/USDT", "XBTUSDT", "XBTUSDT", 1, 8, 5, "0.1", "0.00005", "0.5", feesCrypto}, // ordermin from AssetPairs 2025-11
		{"DOGE/EUR", "XDG/EUR", "XDGEUR", "XDGEUR", 7, 8, 9, "0.0000001", "60", "0.45", feesCrypto},
		{"DOGE/USD", "XDG/USD", "XDGUSD", "XDGUSD", 7, 8, 9, "0.0000001", "60", "0.5", feesCrypto},
		{"DOT/EUR", "DOT/EUR", "DOTEUR", "DOTEUR", 4, 8, 5, "0.0001", "0.6", "0.45", feesCrypto},
		{"DOT/USD", "DOT/USD", "DOTUSD", "DOTUSD", 4, 8, 5, "0.0001", "0.6", "0.5", feesCrypto},
		{"ETC/EUR", "ETC/EUR", "ETCEUR", "XETCZEUR", 3, 8, 8, "0.001", "0.3", "0.45", feesCrypto},
		{"ETC/USD", "ETC/USD", "ETCUSD", "XETCZUSD", 3, 8, 8, "0.001", "0.3", "0.5", feesCrypto},
		{"ETH/BTC", "ETH/XBT", "ETHXBT", "XETHXXBT", 5, 8, 10, "0.00001", "0.002", "0.00002", feesCrypto},
		{"ETH/EUR", "ETH/EUR", "ETHEUR", "XETHZEUR", 2, 8, 5, "0.01", "0.002", "0.45", feesCrypto},
		{"ETH/USD", "ETH/USD", "ETHUSD", "XETHZUSD", 2, 8, 5, "0.01", "0.002", "0.5", feesCrypto},
		{"EUR/USD", "EUR/USD", "EURUSD", "ZEURZUSD", 5, 8, 5, "0.00001", "0.5", "0.5", feesStable},
		{"FIL/EUR", "FIL/EUR", "FILEUR", "FILEUR", 3, 8, 5, "0.001", "1", "0.45", feesCrypto},
		{"FIL/USD", "FIL/USD", "FILUSD", "FILUSD", 3, 8, 5, "0.001", "1", "0.5", feesCrypto},
		{"INJ/EUR", "INJ/EUR", "INJEUR", "", 3, 8, 5, "0.001", "0.15", "0.45", feesCrypto}, // derived names
		{"INJ/USD", "INJ/USD", "INJUSD", "", 3, 8, 5, "0.001", "0.15", "0.5", feesCrypto},  // derived names
		{"LINK/EUR", "LINK/EUR", "LINKEUR", "LINKEUR", 5, 8, 6, "0.00001", "0.2", "0.45", feesCrypto},
		{"LINK/USD", "LINK/USD", "LINKUSD", "LINKUSD", 5, 8, 6, "0.00001", "0.2", "0.5", feesCrypto},
		{"LTC/EUR", "LTC/EUR", "LTCEUR", "XLTCZEUR", 2, 8, 5, "0.01", "0.05", "0.45", feesCrypto},
		{"LTC/USD", "LTC/USD", "LTCUSD", "XLTCZUSD", 2, 8, 5, "0.01", "0.05", "0.5", feesCrypto},
		{"MATIC/EUR", "MATIC/EUR", "MATICEUR", "", 4, 8, 6, "0.0001", "6", "0.45", feesCrypto},         // derived names
		{"MATIC/USD", "MATIC/USD", "MATICUSD", "", 4, 8, 6, "0.0001", "6", "0.5", feesCrypto},          // derived names
		{"NEAR/EUR", "NEAR/EUR", "NEAREUR", "", 3, 8, 5, "0.001", "1.5", "0.45", feesCrypto},           // derived names
		{"NEAR/USD", "NEAR/USD", "NEARUSD", "", 3, 8, 5, "0.001", "1.5", "0.5", feesCrypto},            // derived names
		{"OP/EUR", "OP/EUR", "OPEUR", "", 4, 5, 8, "0.0001", "1.5", "0.45", feesCrypto},                // derived names
		{"OP/USD", "OP/USD", "OPUSD", "", 4, 5, 8, "0.0001", "1.5", "0.5", feesCrypto},                 // derived names
		{"PEPE/EUR", "PEPE/EUR", "PEPEEUR", "", 9, 5, 5, "0.000000001", "3000000", "0.45", feesCrypto}, // derived names
		{"PEPE/USD", "PEPE/USD", "PEPEUSD", "", 9, 5, 5, "0.000000001", "3000000", "0.5", feesCrypto},  // derived names
		{"POL/EUR", "POL/EUR", "POLEUR", "", 5, 5, 9, "0.00001", "6", "0.45", feesCrypto},              // derived names
		{"POL/USD", "POL/USD", "POLUSD", "", 5, 5, 9, "0.00001", "6", "0.5", feesCrypto},               // derived names
		{"SHIB/EUR", "SHIB/EUR", "SHIBEUR", "", 8, 5, 5, "0.00000001", "500000", "0.45", feesCrypto},   // derived names
		{"SHIB/USD", "SHIB/USD", "SHIBUSD", "", 8, 5, 5, "0.00000001", "500000", "0.5", feesCrypto},    // derived names
		{"SOL/EUR", "SOL/EUR", "SOLEUR", "", 2, 8, 5, "0.01", "0.05", "0.45", feesCrypto},              // derived names
		{"SOL/USD", "SOL/USD", "SOLUSD", "", 2, 8, 5, "0.01", "0.05", "0.5", feesCrypto},               // derived names
		{"SUI/EUR", "SUI/EUR", "SUIEUR", "", 4, 5, 8, "0.0001", "3", "0.45", feesCrypto},               // derived names
		{"SUI/USD", "SUI/USD", "SUIUSD", "", 4, 5, 8, "0.0001", "3", "0.5", feesCrypto},                // derived names
		{"TRX/EUR", "TRX/EUR", "TRXEUR", "TRXEUR", 6, 8, 7, "0.000001", "45", "0.45", feesCrypto},
		{"TRX/USD", "TRX/USD", "TRXUSD", "TRXUSD", 6, 8, 7, "0.000001", "45", "0.5", feesCrypto},
		{"UNI/EUR", "UNI/EUR", "UNIEUR", "UNIEUR", 3, 8, 5, "0.001", "0.5", "0.45", feesCrypto},
		{"UNI/USD", "UNI/USD", "UNIUSD", "UNIUSD", 3, 8, 5, "0.001", "0.5", "0.5", feesCrypto},
		{"USDC/USD", "USDC/USD", "USDCUSD", "USDCUSD", 4, 8, 8, "0.0001", "5", "0.5", feesStable},
		{"USDT/USD", "USDT/USD", "USDTUSD", "USDTZUSD", 5, 8, 8, "0.00001", "10", "0.5", feesStable},
		{"XLM/EUR", "XLM/EUR", "XLMEUR", "XXLMZEUR", 6, 8, 8, "0.000001", "40", "0.45", feesCrypto},
		{"XLM/USD", "XLM/USD", "XLMUSD", "XXLMZUSD", 6, 8, 8, "0.000001", "40", "0.5", feesCrypto},
		{"XMR/EUR", "XMR/EUR", "XMREUR", "XXMRZEUR", 2, 8, 8, "0.01", "0.035", "0.45", feesCrypto},
		{"XMR/USD", "XMR/USD", "XMRUSD", "XXMRZUSD", 2, 8, 8, "0.01", "0.035", "0.5", feesCrypto},
		{"XRP/EUR", "XRP/EUR", "XRPEUR", "XXRPZEUR", 5, 8, 8, "0.00001", "10", "0.45", feesCrypto},
		{"XRP/USD", "XRP/USD", "XRPUSD", "XXRPZUSD", 5, 8, 8, "0.00001", "10", "0.5", feesCrypto},
	}
}
