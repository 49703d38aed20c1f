// Package grid is the post-only grid sample strategy: a simple market maker that keeps
// resting limit orders around the mid price and turns every fill into an order on the other
// side, one grid step away.
//
// When a pair has no open orders (at the start, after everything filled or was cancelled)
// the strategy centres a grid on the mid — the middle of the best bid and ask when a book is
// known, else the last trade — and places Levels post-only buy limits below it and, as far
// as the account holds the base asset, Levels post-only sell limits above it, Spacing basis
// points of the centre apart. Post-only orders never take liquidity: they earn the maker fee
// and wait their turn in the queue, which is what this sample exercises in the simulator.
//
// Each fill, partial or not, is answered with a post-only order for the filled quantity one
// step away on the other side (a buy filled at p is sold at p·(1+spacing)). If an order
// already rests at that side and price it is amended to the larger quantity instead, so
// there is never more than one order per level; fills too small to meet the pair's minimums
// are accumulated until they do (and dropped when the grid is rebuilt). Every Recenter interval (an
// event-time timer) it checks whether the mid has left the grid; if so it cancels every
// order on the pair and rebuilds around the new mid once the cancels have gone through.
//
// Rejections are logged; when a whole grid is rejected the strategy waits for the next
// timer before trying again.
package grid
