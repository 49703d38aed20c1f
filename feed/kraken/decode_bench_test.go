package kraken

import (
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// One-trade frames as Kraken sends them (v1: gocryptotrader capture 2025-02-23; v2: the
// kraken-async-rs capture 2024-05, one entry).
var (
	benchV1Trade      = []byte(`[119930881,[["95873.80000","0.00051182","1740353380.379186","b","l",""]],"trade","XBT/USD"]`)
	benchV2Trade      = []byte(`{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":68500.0,"qty":0.01044926,"ord_type":"limit","trade_id":70635299,"timestamp":"2024-05-27T12:43:11.798009Z"}]}`)
	benchV2BookUpdate = []byte(`{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":66786.5,"qty":0.00000000},{"price":66784.5,"qty":0.01470022},{"price":66787.7,"qty":0.12440000}],"asks":[],"checksum":902440905,"timestamp":"2024-05-19T16:45:24.204654Z"}]}`)
	benchV1BookUpdate = []byte(`[336,{"a":[["27127.30000","0.00000000","1693415333.759711"],["27131.50000","0.02131985","1693415322.472678","r"],["27128.20000","0.13827025","1693415333.759724"]],"c":"4038234313"},"book-10","XBT/USD"]`)
)

func benchDecode(b *testing.B, frame []byte, want int) {
	d := NewDecoder()
	recv := time.Unix(1700000000, 0)
	dst := make([]feed.Event, 0, 8)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		var err error
		dst, err = d.Decode(frame, recv, dst[:0])
		if err != nil || len(dst) != want {
			b.Fatalf("got %d events, %v", len(dst), err)
		}
	}
}

func BenchmarkDecodeV1Trade(b *testing.B)      { benchDecode(b, benchV1Trade, 1) }
func BenchmarkDecodeV2Trade(b *testing.B)      { benchDecode(b, benchV2Trade, 1) }
func BenchmarkDecodeV2BookUpdate(b *testing.B) { benchDecode(b, benchV2BookUpdate, 1) }
func BenchmarkDecodeV1BookUpdate(b *testing.B) { benchDecode(b, benchV1BookUpdate, 1) }

// BenchmarkBookApplyChecksum applies a small decoded update (one level changed) to a 10-level
// book and verifies the checksum, as a client does for every book message.
func BenchmarkBookApplyChecksum(b *testing.B) {
	d := NewDecoder()
	snap, err := d.Decode([]byte(`[336,{"as":[["27120.00000","4.28732553","1693415327.935623"],["27127.30000","0.13827025","1693415325.205490"],["27128.30000","0.14741534","1693415329.675425"],["27128.90000","2.76458276","1693415321.541132"],["27129.20000","0.73724565","1693415324.214745"],["27129.40000","0.63655172","1693415327.920116"],["27129.50000","0.06540000","1693415325.432108"],["27129.60000","0.28890000","1693415325.521234"],["27130.00000","0.50000000","1693415318.774512"],["27130.10000","1.00000000","1693415329.104111"]],"bs":[["27119.90000","13.54067548","1693415329.661011"],["27119.60000","0.02000000","1693415328.122021"],["27119.50000","0.08000000","1693415327.335512"],["27118.40000","0.20000000","1693415321.122121"],["27118.30000","0.40000000","1693415322.662211"],["27117.90000","0.12000000","1693415325.104332"],["27117.80000","1.00000000","1693415326.874411"],["27116.40000","0.03000000","1693415321.911001"],["27116.00000","2.10000000","1693415320.551021"],["27115.70000","0.90000000","1693415329.221100"]]},"book-10","XBT/USD"]`), time.Time{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	upd, err := d.Decode([]byte(`[336,{"b":[["27119.90000","13.54109952","1693415330.621700"]],"c":"0"},"book-10","XBT/USD"]`), time.Time{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	book := feed.NewBook("BTC/USD", 10)
	if err := book.Apply(snap[0].Book); err != nil {
		b.Fatal(err)
	}
	u := upd[0].Book
	if err := book.Apply(u); err != nil {
		b.Fatal(err)
	}
	u.Checksum = Checksum(book, -1, -1)
	b.ReportAllocs()
	for b.Loop() {
		if err := book.Apply(u); err != nil {
			b.Fatal(err)
		}
		if Checksum(book, -1, -1) != u.Checksum {
			b.Fatal("checksum mismatch")
		}
	}
}
