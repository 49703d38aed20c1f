package kraken

import (
	"hash/crc32"

	"github.com/papertrade/papertrade/feed"
)

// checksumLevels is how many levels per side Kraken's book checksum covers, whatever the depth.
const checksumLevels = 10

// Checksum computes Kraken's CRC32 book checksum over the top 10 asks (best first) and the top
// 10 bids (best first): for each level, the price then the quantity as decimal text at full
// precision with the "." removed and leading zeros stripped.
//
// priceDecimals and qtyDecimals give the precision to format at (v2: the instrument's
// price_precision and qty_precision, because a re-serialised number may have lost its
// trailing zeros). Pass -1 to use each level's wire precision, which is exact for v1 (its
// strings are fixed-precision) and for verbatim v2 frames.
//
// It does not allocate.
func Checksum(b *feed.Book, priceDecimals, qtyDecimals int32) uint32 {
	var buf [64]byte
	var crc uint32
	for _, side := range [2]feed.Side{feed.Sell, feed.Buy} {
		n := min(b.Len(side), checksumLevels)
		for i := range n {
			l := b.Level(side, i)
			crc = crcUpdate(crc, appendToken(buf[:0], l.Price, priceDecimals))
			crc = crcUpdate(crc, appendToken(buf[:0], l.Qty, qtyDecimals))
		}
	}
	return crc
}

// crcUpdate is crc32.Update(crc, crc32.IEEETable, p) without hash/crc32's call through a
// function variable, which makes every buffer passed to it escape: Checksum allocated once per
// call. Tokens are a few bytes long, where a table loop is as fast as the SIMD path.
func crcUpdate(crc uint32, p []byte) uint32 {
	crc = ^crc
	for _, c := range p {
		crc = crc32.IEEETable[byte(crc)^c] ^ (crc >> 8)
	}
	return ^crc
}

// appendToken appends f's checksum token: its digits at the wanted scale (or its own scale
// when decimals < 0 or would drop digits), without sign, point or leading zeros.
func appendToken(dst []byte, f feed.Fixed, decimals int32) []byte {
	if decimals >= 0 && decimals != f.Scale {
		if g, ok := f.Rescale(decimals); ok {
			f = g
		}
	}
	m := f.Mant
	if m < 0 {
		m = -m
	}
	if m == 0 {
		// "0.00000000" strips to nothing; Kraken never sends a zero level in a book.
		return dst
	}
	var tmp [20]byte
	i := len(tmp)
	for m > 0 {
		i--
		tmp[i] = byte('0' + m%10)
		m /= 10
	}
	return append(dst, tmp[i:]...)
}
