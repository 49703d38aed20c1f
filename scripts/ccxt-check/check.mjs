// ccxt-check: run ccxt's Kraken classes, unchanged but for their URLs, against a running
// `papertrade serve` (issue 14's "done when"). Usage:
//
//   node check.mjs http://127.0.0.1:PORT ws://127.0.0.1:PORT ws://127.0.0.1:PORT/v2 [SYMBOL]
//
// It prints one line per check ("ok <what>: <detail>" or "FAIL <what>: <error>") and exits
// non-zero when any check fails. Every watch has a deadline so a silent server fails fast.
import ccxt from 'ccxt';

const [rest, wsV1, wsV2, symbol = 'BTC/USD'] = process.argv.slice(2);
if (!rest || !wsV1 || !wsV2) {
  console.error('usage: node check.mjs REST_URL WS_V1_URL WS_V2_URL [SYMBOL]');
  process.exit(2);
}

const ex = new ccxt.pro.kraken();
// The only change to ccxt: where it connects.
ex.urls.api.public = rest;
ex.urls.api.private = rest;
ex.urls.api.ws.public = wsV1;
ex.urls.api.ws.publicV2 = wsV2;
// ccxt in Node refuses plain ws:// URLs until its http agent is loaded (its own error text:
// "to use proxy with non-ssl ws:// urls, at first run await exchange.loadHttpProxyAgent()").
// The look-alike serves ws:// on loopback, so this one call comes with the URL change.
await ex.loadHttpProxyAgent();

let failed = 0;
const deadline = (p, ms, what) => Promise.race([
  p, new Promise((_, rej) => setTimeout(() => rej(new Error(`${what}: nothing within ${ms} ms`)), ms)),
]);
async function check(what, f) {
  try {
    console.log(`ok ${what}: ${await deadline(f(), 20000, what)}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${what}: ${e && e.message ? e.message.split('\n')[0] : e}`);
  }
}

await check('loadMarkets', async () => {
  const m = await ex.loadMarkets();
  const mk = m[symbol];
  if (!mk) throw new Error(`${symbol} not among ${Object.keys(m).length} markets`);
  return `${Object.keys(m).length} markets; ${symbol} id ${mk.id}, price precision ${mk.precision.price}`;
});
await check('watchTrades', async () => {
  const ts = await ex.watchTrades(symbol);
  if (!ts.length || !(ts[0].price > 0)) throw new Error(`bad trades ${JSON.stringify(ts[0])}`);
  return `${ts.length} trades, last ${ts[ts.length - 1].side} ${ts[ts.length - 1].amount} @ ${ts[ts.length - 1].price}`;
});
await check('watchOrderBook', async () => {
  let ob = await ex.watchOrderBook(symbol);
  ob = await ex.watchOrderBook(symbol); // a second message: an update applied to the snapshot
  if (!ob.bids.length || !ob.asks.length || !(ob.bids[0][0] < ob.asks[0][0])) throw new Error(`bad book ${JSON.stringify([ob.bids[0], ob.asks[0]])}`);
  return `${ob.bids.length} bids, ${ob.asks.length} asks, best ${ob.bids[0][0]} / ${ob.asks[0][0]}`;
});
await check('watchTicker', async () => {
  const t = await ex.watchTicker(symbol);
  if (!(t.bid > 0) || !(t.ask > 0)) throw new Error(`bad ticker ${JSON.stringify(t)}`);
  return `bid ${t.bid} ask ${t.ask} last ${t.last}`;
});
await check('watchOHLCV', async () => {
  const c = await ex.watchOHLCV(symbol, '1m');
  if (!c.length || c[c.length - 1].length < 6) throw new Error(`bad candles ${JSON.stringify(c)}`);
  return `${c.length} candles, last ${JSON.stringify(c[c.length - 1])}`;
});
await check('fetchTicker (REST)', async () => {
  const t = await ex.fetchTicker(symbol);
  return `bid ${t.bid} ask ${t.ask}`;
});
await check('fetchOHLCV (REST)', async () => {
  const c = await ex.fetchOHLCV(symbol, '1m');
  return `${c.length} candles`;
});
await check('fetchOrderBook (REST)', async () => {
  const ob = await ex.fetchOrderBook(symbol, 10);
  return `${ob.bids.length} bids, ${ob.asks.length} asks`;
});
await ex.close();
console.log(failed ? `${failed} checks failed` : 'all checks passed');
process.exit(failed ? 1 : 0);
