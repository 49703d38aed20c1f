// Package buyhold is the buy-and-hold benchmark: on the first trade of each configured pair
// it spends Fraction of the quote balance it started with (split evenly between the pairs
// that share a quote currency) on one market buy, and then holds until the end. Every report
// compares a strategy with it.
//
// The quantity is the budget divided by the price (the best ask when a book is known, else
// the trade price) grossed up by the pair's taker fee, truncated to the lot step; the part
// of the balance Fraction leaves aside absorbs slippage. A rejected buy is retried on the
// next trade, up to three attempts per pair; an order the exchange cancels before anything
// fills counts as an attempt too.
//
// A resumed account (a restarted live session) is read, not reset: a pair the account holds
// a position in is bought already, a restored working buy is followed, and the pairs still
// to buy share the free quote balance the account restarts with.
package buyhold
