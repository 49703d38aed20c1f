// papertrade dashboard: reads /events (server-sent events) and draws the state. Read-only.
"use strict";

const COLORS = ["#2f81f7", "#f0b429", "#a371f7", "#26a69a", "#ef5350", "#3fb950", "#db61a2", "#79c0ff"];

// The server keeps every series for the whole session in at most 300 buckets (their width
// doubles as the session grows) and says when a series' buckets were merged (reset): the
// page never drops history of its own.
const state = {
  pairs: [],
  pair: null,       // pair shown in the price chart
  prices: {},       // pair -> [{time, open, high, low, close}], one candle per bucket
  buckets: {},      // pair -> bucket width, seconds
  equity: {},       // instance -> [{time, value}]
  fills: [],        // newest last
  instances: [],
};

function el(id) { return document.getElementById(id); }

function text(s) { return s === undefined || s === null || s === "" ? "–" : String(s); }

function td(v, cls) {
  const c = document.createElement("td");
  c.textContent = text(v);
  if (cls) c.className = cls;
  return c;
}

function fillTable(id, rows, cols, emptyText) {
  const body = el(id).tBodies[0];
  const out = document.createDocumentFragment();
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    tr.className = "empty";
    const c = td(emptyText);
    c.colSpan = el(id).tHead.rows[0].cells.length;
    tr.appendChild(c);
    out.appendChild(tr);
  }
  for (const r of rows) {
    const tr = document.createElement("tr");
    for (const [v, cls] of cols(r)) tr.appendChild(td(v, cls));
    out.appendChild(tr);
  }
  body.replaceChildren(out);
}

const chartOptions = {
  autoSize: true,
  layout: { background: { color: "#161b22" }, textColor: "#7d8793", attributionLogo: true },
  grid: { vertLines: { color: "#20262e" }, horzLines: { color: "#20262e" } },
  timeScale: { timeVisible: true, secondsVisible: true, borderColor: "#262d36" },
  rightPriceScale: { borderColor: "#262d36" },
  crosshair: { mode: 0 },
};

const priceChart = LightweightCharts.createChart(el("pricechart"), chartOptions);
const priceSeries = priceChart.addCandlestickSeries({ upColor: "#26a69a", downColor: "#ef5350", borderVisible: false,
  wickUpColor: "#26a69a", wickDownColor: "#ef5350", priceLineVisible: true });
const equityChart = LightweightCharts.createChart(el("equitychart"), chartOptions);
const equitySeries = {};

// follow keeps a chart fitted to the whole session until the user scrolls or zooms it; a
// double click fits it again.
function follow(chart, id) {
  const f = { on: true };
  const box = el(id);
  for (const ev of ["wheel", "mousedown", "touchstart"]) box.addEventListener(ev, () => { f.on = false; }, { passive: true });
  box.addEventListener("dblclick", () => { f.on = true; chart.timeScale().fitContent(); });
  return f;
}
const priceFollow = follow(priceChart, "pricechart");
const equityFollow = follow(equityChart, "equitychart");

const candle = (p) => ({ time: p.t, open: p.o, high: p.h, low: p.l, close: p.v });
const linePoint = (p) => ({ time: p.t, value: p.v });

// merge extends arr with pts (the first may redo arr's last bucket) and returns the points
// a chart can take with update(): none older than what it holds.
function merge(arr, pts) {
  const applied = [];
  for (const pt of pts) {
    const n = arr.length;
    if (n > 0 && arr[n - 1].time > pt.time) continue;
    if (n > 0 && arr[n - 1].time === pt.time) arr[n - 1] = pt;
    else arr.push(pt);
    applied.push(pt);
  }
  return applied;
}

function showPair(pair) {
  state.pair = pair;
  for (const b of el("pairtabs").children) b.classList.toggle("on", b.dataset.pair === pair);
  priceSeries.setData(state.prices[pair] || []);
  drawMarkers();
  priceChart.timeScale().fitContent();
}

// drawMarkers puts each fill on its bucket's candle (a marker needs a bar's exact time).
function drawMarkers() {
  const pts = state.prices[state.pair] || [];
  if (pts.length === 0) { priceSeries.setMarkers([]); return; }
  const first = pts[0].time;
  const w = state.buckets[state.pair] || 1;
  const markers = [];
  for (const f of state.fills) {
    const t = f.t - (((f.t % w) + w) % w);
    if (f.pair !== state.pair || t < first) continue;
    const buy = f.side === "buy";
    markers.push({ time: t, position: buy ? "belowBar" : "aboveBar", color: buy ? "#26a69a" : "#ef5350",
      shape: buy ? "arrowUp" : "arrowDown", size: 0.6 });
  }
  markers.sort((a, b) => a.time - b.time);
  priceSeries.setMarkers(markers.slice(-500));
}

// lagText writes a feed lag of ms milliseconds in at most a few characters.
function lagText(ms) {
  const a = Math.abs(ms);
  if (a < 1000) return ms.toFixed(0) + " ms";
  if (a < 60000) return (ms / 1000).toFixed(1) + " s";
  if (a < 3600000) return (ms / 60000).toFixed(1) + " min";
  return (ms / 3600000).toFixed(1) + " h";
}

function renderTabs() {
  const tabs = el("pairtabs");
  if (tabs.children.length === state.pairs.length) return;
  tabs.replaceChildren();
  for (const p of state.pairs) {
    const b = document.createElement("button");
    b.textContent = p;
    b.dataset.pair = p;
    b.addEventListener("click", () => showPair(p));
    tabs.appendChild(b);
  }
  if (!state.pair && state.pairs.length > 0) showPair(state.pairs[0]);
}

function renderHealth(h, m) {
  const box = el("health");
  const kv = [];
  const add = (k, v, cls) => kv.push([k, v, cls]);
  if (h) {
    const age = h.last_message_age_ms;
    // Why the feed is down, in the words of the client (DNS, refused, HTTP status, TLS…).
    add("feed", h.connected ? "connected" : "disconnected" + (h.dial_problem ? ": " + h.dial_problem : ""), h.connected ? "buy" : "sell");
    add("last message", age < 0 ? "none yet" : (age < 1000 ? age + " ms ago" : (age / 1000).toFixed(1) + " s ago"), age > 5000 || age < 0 ? "sell" : "");
    add("frames", h.frames);
    add("connections", h.connections + (h.reconnects ? " (" + h.reconnects + " drops)" : ""), h.reconnects ? "warn" : "");
    add("trade gaps", h.trade_gaps + (h.missing_trades ? " / " + h.missing_trades + " missing" : ""), h.trade_gaps ? "warn" : "");
    const stale = (h.stale_books || []).length;
    add("book checksums", stale ? "stale: " + h.stale_books.join(", ") : (h.checksum_mismatches ? "ok (" + h.checksum_mismatches + " mismatches)" : "ok"), stale ? "sell" : "buy");
    // Receive time minus the exchange's time of the last trade; negative when the exchange
    // clock runs ahead of this one (the demo's sped-up market). 0: no trade yet.
    const lag = h.feed_lag_ms || 0;
    add(lag < 0 ? "feed lag (exchange clock ahead)" : "feed lag", lag === 0 ? "–" : lagText(lag), Math.abs(lag) > 5000 ? "warn" : "");
    const backlog = (h.backlog || []).reduce((a, b) => a + b.events, 0);
    add("worker backlog", backlog + " events", backlog > 1000 ? "warn" : "");
    add("journal", h.journal_committed + " rows" + (h.journal_queued ? ", " + h.journal_queued + " queued" : ""));
    if (h.recording) add("recording", h.recording);
    const conn = el("conn");
    conn.textContent = h.connected ? "feed connected" : "feed disconnected";
    conn.title = h.dial_problem || "";
    conn.className = "tag " + (h.connected ? "good" : "bad");
  }
  add("events", m.events);
  box.replaceChildren();
  for (const [k, v, cls] of kv) {
    const d = document.createElement("div");
    d.className = "kv";
    const ks = document.createElement("span");
    ks.className = "k";
    ks.textContent = k;
    const vs = document.createElement("span");
    vs.className = "v " + (cls || "");
    vs.textContent = text(v);
    d.append(ks, vs);
    box.appendChild(d);
  }
}

function apply(m) {
  el("title").textContent = m.title || "papertrade";
  el("mode").textContent = m.mode;
  el("clock").textContent = m.now ? "market time " + m.now : "waiting for the market…";
  document.title = (m.title || "papertrade") + " — dashboard";
  state.pairs = m.pairs || [];
  state.instances = m.instances || [];
  renderTabs();

  Object.assign(state.buckets, m.buckets || {});
  const resetPrices = new Set(m.reset_prices || []);
  let priceMoved = false;
  for (const [pair, pts] of Object.entries(m.prices || {})) {
    const candles = pts.map(candle);
    if (!state.prices[pair] || resetPrices.has(pair)) {
      state.prices[pair] = candles;
      if (pair === state.pair) { priceSeries.setData(candles); drawMarkers(); priceMoved = true; }
      continue;
    }
    const applied = merge(state.prices[pair], candles);
    if (pair === state.pair) { for (const c of applied) priceSeries.update(c); priceMoved = priceMoved || applied.length > 0; }
  }
  if (priceMoved && priceFollow.on) priceChart.timeScale().fitContent();
  const resetEquity = new Set(m.reset_equity || []);
  let equityMoved = false;
  state.instances.forEach((inst, i) => {
    let s = equitySeries[inst.name];
    if (!s) {
      // No title and no end label on the axis: the legend names the lines and gives their
      // last value; the end labels covered the axis' own labels.
      s = equityChart.addLineSeries({ color: COLORS[i % COLORS.length], lineWidth: 2, priceLineVisible: false, lastValueVisible: false,
        priceFormat: { type: "custom", formatter: (v) => v.toFixed(2) + "%" } });
      equitySeries[inst.name] = s;
    }
    const pts = (m.equity || {})[inst.name];
    if (!pts) return;
    const line = pts.map(linePoint);
    if (!state.equity[inst.name] || resetEquity.has(inst.name)) {
      state.equity[inst.name] = line;
      s.setData(line);
    } else {
      for (const p of merge(state.equity[inst.name], line)) s.update(p);
    }
    equityMoved = true;
  });
  if (equityMoved && equityFollow.on) equityChart.timeScale().fitContent();
  const legend = el("equitylegend");
  if (legend.children.length !== state.instances.length) {
    legend.replaceChildren();
    state.instances.forEach((inst, i) => {
      const sp = document.createElement("span");
      const sw = document.createElement("i");
      sw.style.background = COLORS[i % COLORS.length];
      const v = document.createElement("b");
      sp.append(sw, document.createTextNode(inst.name + " "), v);
      legend.appendChild(sp);
    });
  }
  state.instances.forEach((inst, i) => {
    const v = legend.children[i].querySelector("b");
    v.textContent = inst.return ? inst.return + "%" : "";
    v.className = inst.return && inst.return.startsWith("-") ? "sell" : "buy";
  });
  if (m.full) state.fills = [];
  for (const f of m.fills || []) state.fills.push(f);
  if (state.fills.length > 2000) state.fills.splice(0, state.fills.length - 2000);
  if ((m.fills || []).length > 0 || m.full) drawMarkers();

  fillTable("strategies", state.instances, (r) => [
    [r.name], [r.type], [(r.pairs || []).join(", ")], [r.equity ? r.equity + " " + r.currency : "", "num"],
    [r.return, "num " + (r.return && r.return.startsWith("-") ? "sell" : "buy")],
    [r.fills, "num"], [r.orders, "num"], [r.rejects, "num"], [r.status, r.status === "running" ? "" : "sell"],
  ], "no strategies");
  const positions = [];
  const orders = [];
  for (const inst of state.instances) {
    for (const p of inst.positions || []) positions.push(Object.assign({ instance: inst.name }, p));
    for (const o of inst.open || []) orders.push(Object.assign({ instance: inst.name }, o));
  }
  fillTable("positions", positions, (p) => [[p.instance], [p.margin ? p.pair + " (" + p.margin + ")" : p.pair], [p.qty, "num"], [p.avg_entry, "num"],
    [p.realised, "num"], [p.unrealised, "num " + (p.unrealised.startsWith("-") ? "sell" : "buy")]], "no positions");
  fillTable("orders", orders.slice(0, 60), (o) => [[o.instance], [o.id], [o.pair], [o.side, o.side], [o.type], [o.qty, "num"],
    [o.price === "0" ? "market" : o.price, "num"], [o.filled, "num"], [o.status]], "no open orders");
  const recent = state.fills.slice(-50).reverse();
  fillTable("fills", recent, (f) => [[f.time], [f.instance], [f.pair], [f.side, f.side], [f.qty, "num"], [f.price, "num"],
    [f.fee, "num"], [f.liquidity]], "no fills yet");
  fillTable("gaps", (m.gaps || []).slice(-20).reverse(), (g) => [[g.time], [g.pair], [g.channel], [g.missing, "num"], [g.reason]], "no gaps");
  renderHealth(m.health, m);
}

function connect() {
  const es = new EventSource("events");
  es.onmessage = (ev) => {
    try { apply(JSON.parse(ev.data)); } catch (e) { console.error(e); }
  };
  es.onerror = () => {
    const conn = el("conn");
    conn.textContent = "dashboard disconnected";
    conn.className = "tag bad";
  };
}

connect();
