// The metrics dashboard: every few seconds it reads the stats, history, alerts and dead-letter
// APIs with the admin token it was given (`#token=…` in the address, or the form) and redraws.
// Text from the server (errors hold students' code) is only ever set as text, never as markup.
"use strict";

const REFRESH_MS = 3000;
const HISTORY_MINUTES = 15;
const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
  "#ff9da7", "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c", "#8c564b", "#17becf"];
const CHARTS = {
  depth: "ready",
  throughput: "throughput_per_min",
  wait: "wait_p95_ms",
  processing: "processing_p95_ms",
};
let token = null;
const charts = {};
const openLetters = new Set();  // queues whose dead letters are shown

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...(options.headers || {}) },
  });
  if (response.status === 401 || response.status === 403) {
    const body = await response.json().catch(() => ({}));
    throw Object.assign(new Error(body.detail || body.message || `HTTP ${response.status}`), { auth: true });
  }
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function fmt(value, digits = 0) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

function drawCards(queues) {
  const cards = document.getElementById("cards");
  cards.replaceChildren(...queues.map((q) => {
    const five = q.windows["5m"];
    return el("article", { class: `card ${q.health.status}`, "data-queue": q.queue },
      el("h3", {}, q.queue),
      el("span", { class: "health" }, `${q.health.status} · ${q.health.score}`),
      el("dl", {},
        el("dt", {}, "ready / unacked"), el("dd", {}, `${fmt(q.depth)} / ${fmt(q.unacked)}`),
        el("dt", {}, "consumers"), el("dd", {}, fmt(q.consumers)),
        el("dt", {}, "done/min (5 min)"), el("dd", {}, fmt(five.throughput_per_min, 1)),
        el("dt", {}, "wait p95"), el("dd", {}, `${fmt(five.wait_ms.p95)} ms`),
        el("dt", {}, "processing p95"), el("dd", {}, `${fmt(five.processing_ms.p95)} ms`),
        el("dt", {}, "failure rate"), el("dd", {}, five.failure_rate === null ? "–" : `${(five.failure_rate * 100).toFixed(1)} %`),
        el("dt", {}, "retrying / dead"), el("dd", {}, `${fmt(q.retrying)} / ${fmt(q.dead_letters)}`)));
  }));
}

function drawCharts(samples) {
  const byQueue = new Map();
  for (const s of samples) {
    if (!byQueue.has(s.queue)) byQueue.set(s.queue, []);
    byQueue.get(s.queue).push(s);
  }
  const queues = [...byQueue.keys()].sort();
  for (const [name, field] of Object.entries(CHARTS)) {
    // A line per queue that showed something in the window: fourteen flat lines at zero say nothing.
    const shown = queues.filter((queue) => byQueue.get(queue).some((s) => s[field]));
    const datasets = shown.map((queue) => ({
      label: queue,
      data: byQueue.get(queue).map((s) => ({ x: Date.parse(s.at), y: s[field] })),
      borderColor: PALETTE[queues.indexOf(queue) % PALETTE.length],  // a queue keeps its colour
      backgroundColor: PALETTE[queues.indexOf(queue) % PALETTE.length],
      pointRadius: 0,
      borderWidth: 1.5,
      spanGaps: true,
    }));
    if (!charts[name]) {
      charts[name] = new Chart(document.getElementById(`chart-${name}`), {
        type: "line",
        data: { datasets },
        options: {
          animation: false,
          maintainAspectRatio: false,
          parsing: false,
          scales: {
            x: { type: "linear", ticks: { callback: (v) => new Date(v).toLocaleTimeString(), maxTicksLimit: 6 } },
            y: { beginAtZero: true },
          },
          plugins: { legend: { position: "bottom", labels: { boxWidth: 10, font: { size: 10 } } } },
        },
      });
    } else {
      charts[name].data.datasets = datasets;
      charts[name].update("none");
    }
    charts[name].canvas.dataset.points = String(datasets.reduce((n, d) => n + d.data.length, 0));
  }
}

function drawAlerts(alerts) {
  const body = document.querySelector("#alerts tbody");
  body.replaceChildren(...(alerts.length ? alerts.map((a) => el("tr", { class: a.state },
    el("td", {}, a.state), el("td", {}, a.queue), el("td", {}, a.rule), el("td", {}, a.message),
    el("td", {}, new Date(a.raised_at).toLocaleTimeString()),
    el("td", {}, a.resolved_at ? new Date(a.resolved_at).toLocaleTimeString() : ""))) :
    [el("tr", {}, el("td", { colspan: "6", class: "muted" }, "No alerts."))]));
}

async function replay(queue, messageId) {
  const result = await api(`/v1/dead-letters/${encodeURIComponent(queue)}/replay`, {
    method: "POST",
    body: JSON.stringify(messageId ? { message_id: messageId } : {}),
  });
  document.getElementById("replay-result").textContent = `replayed ${result.replayed} to ${queue}`;
  await refresh();
}

async function drawDeadLetters(queues) {
  const holder = document.getElementById("dead-letters");
  const withLetters = queues.filter((q) => q.dead_letters);
  if (!withLetters.length) {
    holder.replaceChildren(el("p", { class: "muted" }, "No dead letters."));
    return;
  }
  const blocks = [];
  for (const q of withLetters) {
    const block = el("div", { class: "dlq", "data-queue": q.queue },
      el("h3", {}, `${q.queue}.dlq — ${q.dead_letters}`),
      el("button", { type: "button", class: "show", onclick: () => {
        openLetters.has(q.queue) ? openLetters.delete(q.queue) : openLetters.add(q.queue); refresh();
      } }, openLetters.has(q.queue) ? "Hide" : "Show"),
      " ",
      el("button", { type: "button", class: "replay-all", onclick: () => replay(q.queue, null) }, "Replay all"));
    if (openLetters.has(q.queue)) {
      const listed = await api(`/v1/dead-letters/${encodeURIComponent(q.queue)}?limit=20`);
      block.append(el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "message"), el("th", {}, "type"),
        el("th", {}, "error"), el("th", {}, ""))),
        el("tbody", {}, ...listed.messages.map((m) => el("tr", { "data-message-id": m.message_id },
          el("td", {}, m.message_id), el("td", {}, m.type || ""), el("td", {}, m.error || ""),
          el("td", {}, el("button", { type: "button", class: "replay", onclick: () => replay(q.queue, m.message_id) }, "Replay")))))));
    }
    blocks.push(block);
  }
  holder.replaceChildren(...blocks);
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const [stats, history, alerts] = await Promise.all([
      api("/v1/queues?window_seconds=300"),
      api(`/v1/history?minutes=${HISTORY_MINUTES}`),
      api("/v1/alerts?limit=20"),
    ]);
    drawCards(stats.queues);
    drawCharts(history.samples);
    drawAlerts(alerts.alerts);
    await drawDeadLetters(stats.queues);
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.loaded = "true";
  } catch (error) {
    status.textContent = `not updated: ${error.message}`;
    if (error.auth) showLogin(error.message);
  }
}

function showLogin(message) {
  token = null;
  sessionStorage.removeItem("gradeflow-token");
  document.getElementById("main").hidden = true;
  document.getElementById("login").hidden = false;
  document.getElementById("login-error").textContent = message || "";
}

function start(given) {
  token = given;
  sessionStorage.setItem("gradeflow-token", given);
  document.getElementById("login").hidden = true;
  document.getElementById("main").hidden = false;
  refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) history.replaceState(null, "", location.pathname);  // not left in the address bar
  document.getElementById("login").addEventListener("submit", (event) => {
    event.preventDefault();
    start(document.getElementById("token").value.trim());
  });
  const known = fromHash || sessionStorage.getItem("gradeflow-token");
  if (known) start(known); else showLogin("");
  setInterval(() => { if (token) refresh(); }, REFRESH_MS);
});
