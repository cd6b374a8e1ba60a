/* pileon investigator page: plain JavaScript, no build step.
 *
 * Talks to the JSON API of the same server (SPEC §5) with the API key kept in
 * sessionStorage.  Every text that comes from the server reaches the DOM through
 * textContent (see el()); nothing is inserted as HTML.
 */
"use strict";

const KEY_STORAGE = "pileon.apiKey";
const ACCOUNTS_PAGE = 25;
const SIDE_PAGE = 20;
const NEIGHBOURS = 40;

/* Roles from most to least severe: an account is coloured by its most severe role. */
const ROLE_COLORS = {
  first_poster: "#d62728",
  inciter: "#ff7f0e",
  multi_poster: "#9467bd",
  splicer: "#8c564b",
  impersonator: "#e377c2",
  coordinated: "#1f77b4",
  participant: "#9aa3ad",
};
const ROLE_LABELS = {
  first_poster: "first poster",
  inciter: "inciter",
  multi_poster: "repeat poster",
  splicer: "splicer",
  impersonator: "impersonator",
  coordinated: "coordinated",
  participant: "participant",
};
/* Roles whose accounts get a label in the graph (not the crowd, not every cluster member). */
const LEAD_ROLES = ["first_poster", "inciter", "multi_poster", "splicer", "impersonator"];
const TIER_TEXT = ["none (context)", "warning", "mute", "close account", "close + ban identity"];

const state = {
  key: sessionStorage.getItem(KEY_STORAGE) || "",
  eventId: null,
  events: {},
  cy: null,
  graph: null,
  allLabels: false,
  accountCursors: [null],
  accountPage: 0,
  eventAccounts: {},
  mcnCursor: null,
  venueCursor: null,
  clusterCursor: null,
  selected: null,
};

/* ------------------------------------------------------------------ DOM helpers */

function $(id) {
  return document.getElementById(id);
}

/* el("td", {className: "x", title: "y", onclick: f}, "text", childNode, ...) */
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (name === "className") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

function fmtScore(x) {
  return x === null || x === undefined ? "–" : Number(x).toFixed(3);
}

function fmtNumber(x) {
  return x === null || x === undefined ? "–" : Number(x).toLocaleString("en");
}

function primaryRole(roles) {
  for (const role of Object.keys(ROLE_COLORS)) {
    if ((roles || []).includes(role)) return role;
  }
  return "participant";
}

function roleChip(role) {
  const chip = el("span", {className: "chip"}, ROLE_LABELS[role] || role);
  chip.style.setProperty("--chip", ROLE_COLORS[role] || "#777");
  return chip;
}

function tierBadge(tier) {
  if (tier === null || tier === undefined) return el("span", {className: "meta"}, "–");
  return el("span", {className: `tier tier-${tier}`, title: TIER_TEXT[tier] || ""}, String(tier));
}

/* ------------------------------------------------------------------ messages */

function showMessage(text, kind) {
  const box = $("message");
  box.textContent = text;
  box.className = `message ${kind || "error"}`;
  box.hidden = false;
}

function hideMessage() {
  $("message").hidden = true;
}

function reportError(err) {
  if (err.status === 401) {
    forgetKey();
    showMessage(`The server refused the API key (401: ${err.detail}). Enter a valid key.`);
  } else if (err.status === 403) {
    showMessage(`Your key's role is too low for this (403: ${err.detail}).`);
  } else if (err.status) {
    showMessage(`The server answered ${err.status}: ${err.detail}`);
  } else {
    showMessage(`Cannot reach the server: ${err.message || err}`);
  }
}

/* ------------------------------------------------------------------ API */

class ApiError extends Error {
  constructor(status, detail) {
    super(`${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
  }
}

async function api(path, params) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(name, value);
  }
  const response = await fetch(url, {headers: {Authorization: `Bearer ${state.key}`}});
  if (!response.ok) {
    let detail = response.statusText;
    try {
      detail = (await response.json()).detail || detail;
    } catch (e) { /* not JSON */ }
    throw new ApiError(response.status, detail);
  }
  return response.json();
}

const enc = encodeURIComponent;

/* ------------------------------------------------------------------ key */

function showSignedIn(signedIn) {
  $("key-form").hidden = signedIn;
  $("key-status").hidden = !signedIn;
}

function forgetKey() {
  state.key = "";
  sessionStorage.removeItem(KEY_STORAGE);
  showSignedIn(false);
  $("key-input").focus();
}

async function signIn(event) {
  event.preventDefault();
  const key = $("key-input").value.trim();
  if (!key) return;
  state.key = key;
  sessionStorage.setItem(KEY_STORAGE, key);
  $("key-input").value = "";
  hideMessage();
  await start();
}

async function start() {
  showSignedIn(Boolean(state.key));
  if (!state.key) return;
  const ok = await loadEvents();
  if (!ok) return;
  const wanted = new URLSearchParams(window.location.hash.slice(1)).get("event");
  if (wanted && state.events[wanted]) await openEvent(wanted);
}

/* ------------------------------------------------------------------ events */

async function loadEvents() {
  const list = clear($("events"));
  let cursor = null;
  try {
    do {
      const page = await api("/v1/events", {limit: 100, cursor});
      for (const ev of page.items) {
        state.events[ev.event_id] = ev;
        list.appendChild(eventItem(ev));
      }
      cursor = page.next_cursor;
    } while (cursor);
  } catch (err) {
    reportError(err);
    return false;
  }
  $("events-empty").hidden = list.children.length > 0;
  return true;
}

function eventItem(ev) {
  const run = ev.latest_run;
  const meta = run
    ? `${fmtNumber(run.accounts)} accounts · ${fmtNumber(run.narratives)} narratives`
    : "not analyzed yet";
  const button = el("button", {type: "button", className: "event-item",
                               dataset: {event: ev.event_id},
                               onclick: () => openEvent(ev.event_id)},
    el("strong", {}, ev.name || ev.event_id),
    el("span", {className: "meta"}, ev.event_id),
    el("span", {className: "meta"}, meta));
  if (!run) button.disabled = true;
  return el("li", {}, button);
}

async function openEvent(eventId) {
  hideMessage();
  state.eventId = eventId;
  state.eventAccounts = {};
  window.location.hash = `event=${enc(eventId)}`;
  for (const b of document.querySelectorAll(".event-item")) {
    b.classList.toggle("active", b.dataset.event === eventId);
  }
  $("welcome").hidden = true;
  $("event-pane").hidden = false;
  renderEventHead(state.events[eventId]);
  showDetailHint();
  state.accountCursors = [null];
  state.accountPage = 0;
  await Promise.all([loadGraph(), loadAccounts(), loadMcns(true), loadClusters(true),
                     loadVenues(true), loadPlatforms()]);
}

function renderEventHead(ev) {
  $("event-title").textContent = ev.name || ev.event_id;
  const parts = [ev.event_id];
  if (ev.started_at) parts.push(`started ${ev.started_at.replace("T", " ").slice(0, 16)} UTC`);
  if (ev.keywords && ev.keywords.length) parts.push(`keywords: ${ev.keywords.join(", ")}`);
  if (ev.target_ids && ev.target_ids.length) parts.push(`targets: ${ev.target_ids.join(", ")}`);
  $("event-meta").textContent = parts.join(" · ");
}

/* ------------------------------------------------------------------ ranked accounts */

async function loadAccounts() {
  const cursor = state.accountCursors[state.accountPage];
  let page;
  try {
    page = await api(`/v1/events/${enc(state.eventId)}/accounts`, {
      limit: ACCOUNTS_PAGE, cursor, role: $("filter-role").value, min_tier: $("filter-tier").value,
    });
  } catch (err) {
    reportError(err);
    return;
  }
  state.accountCursors[state.accountPage + 1] = page.next_cursor;
  const body = clear(document.querySelector("#accounts tbody"));
  for (const a of page.items) {
    state.eventAccounts[a.account_id] = a;
    body.appendChild(accountRow(a));
  }
  if (!page.items.length) body.appendChild(el("tr", {}, el("td", {colspan: 8, className: "hint"},
    "No account matches.")));
  $("accounts-prev").disabled = state.accountPage === 0;
  $("accounts-next").disabled = !page.next_cursor;
  $("accounts-page").textContent = `page ${state.accountPage + 1}`;
}

function accountRow(a) {
  const nameCell = el("td", {},
    el("button", {type: "button", className: "link", onclick: () => selectNode(a.account_id)},
      a.account_id),
    el("span", {className: "name"}, nodeLabel(a.account_id)));
  if (a.refer) nameCell.appendChild(el("span", {className: "flag", title: "refer to law enforcement"}, "refer"));
  return el("tr", {dataset: {account: a.account_id},
                   className: state.selected === a.account_id ? "selected" : ""},
    el("td", {className: "num"}, a.rank),
    nameCell,
    el("td", {className: "num"}, fmtScore(a.score)),
    el("td", {}, tierBadge(a.tier)),
    el("td", {}, (a.roles || []).map(roleChip)),
    el("td", {}, a.cluster_id || ""),
    el("td", {}, (a.mcn_ids || []).join(", ")),
    el("td", {}, a.priority ? el("span", {className: "flag minor"}, a.priority) : ""));
}

/* The account's name when the graph holds it (the ranked list carries IDs only). */
function nodeLabel(id) {
  const node = state.cy ? state.cy.getElementById(id) : null;
  return node && node.nonempty() && node.data("label") !== id ? node.data("label") : "";
}

function fillAccountNames() {
  for (const row of document.querySelectorAll("#accounts tbody tr[data-account]")) {
    const span = row.querySelector(".name");
    if (span && !span.textContent) span.textContent = nodeLabel(row.dataset.account);
  }
}

function pageAccounts(step) {
  state.accountPage = Math.max(0, state.accountPage + step);
  loadAccounts();
}

function refilterAccounts() {
  state.accountCursors = [null];
  state.accountPage = 0;
  loadAccounts();
}

/* ------------------------------------------------------------------ MCNs and clusters */

async function loadMcns(fresh) {
  if (fresh) {
    clear(document.querySelector("#mcns tbody"));
    state.mcnCursor = null;
  }
  try {
    const page = await api(`/v1/events/${enc(state.eventId)}/mcns`,
                           {limit: SIDE_PAGE, cursor: state.mcnCursor});
    const body = document.querySelector("#mcns tbody");
    for (const m of page.items) body.appendChild(mcnRow(m));
    state.mcnCursor = page.next_cursor;
    $("mcns-more").hidden = !page.next_cursor;
    if (!body.children.length) body.appendChild(el("tr", {}, el("td", {colspan: 5, className: "hint"}, "No MCN took part.")));
  } catch (err) {
    reportError(err);
  }
}

function mcnRow(m) {
  const measures = (m.measures || []).length
    ? m.measures.map((x) => el("span", {className: `measure m-${x}`}, x.replace(/_/g, " ")))
    : el("span", {className: "meta"}, "none");
  return el("tr", {},
    el("td", {className: "num"}, m.rank),
    el("td", {}, el("button", {type: "button", className: "link",
                               onclick: () => selectNode(m.mcn_id, {kind: "mcn", item: m})}, m.mcn_id)),
    el("td", {className: "num"}, fmtScore(m.score)),
    el("td", {className: "num"}, (m.accounts || []).length),
    el("td", {}, measures));
}

async function loadClusters(fresh) {
  if (fresh) {
    clear(document.querySelector("#clusters tbody"));
    state.clusterCursor = null;
  }
  try {
    const page = await api(`/v1/events/${enc(state.eventId)}/clusters`,
                           {limit: SIDE_PAGE, cursor: state.clusterCursor});
    const body = document.querySelector("#clusters tbody");
    for (const c of page.items) body.appendChild(clusterRow(c));
    state.clusterCursor = page.next_cursor;
    $("clusters-more").hidden = !page.next_cursor;
    if (!body.children.length) body.appendChild(el("tr", {}, el("td", {colspan: 4, className: "hint"}, "No coordinated cluster found.")));
  } catch (err) {
    reportError(err);
  }
}

function clusterRow(c) {
  const members = c.accounts || [];
  const shown = members.slice(0, 6).join(", ") + (members.length > 6 ? ` … (+${members.length - 6})` : "");
  return el("tr", {},
    el("td", {}, el("button", {type: "button", className: "link",
                               onclick: () => selectNode(`cluster:${c.cluster_id}`,
                                                         {kind: "cluster", item: c})}, c.cluster_id)),
    el("td", {className: "num"}, fmtScore(c.score)),
    el("td", {className: "num"}, members.length),
    el("td", {className: "members"}, shown));
}

/* ------------------------------------------------------------------ venues and platforms */

async function loadVenues(fresh) {
  if (fresh) {
    clear(document.querySelector("#venues tbody"));
    state.venueCursor = null;
  }
  try {
    const page = await api(`/v1/events/${enc(state.eventId)}/venues`,
                           {limit: SIDE_PAGE, cursor: state.venueCursor});
    const body = document.querySelector("#venues tbody");
    for (const v of page.items) body.appendChild(venueRow(v));
    state.venueCursor = page.next_cursor;
    $("venues-more").hidden = !page.next_cursor;
    if (!body.children.length) body.appendChild(el("tr", {}, el("td", {colspan: 6, className: "hint"}, "No venue recorded for this event.")));
  } catch (err) {
    reportError(err);
  }
}

function venueRow(v) {
  const flags = [];
  if ((v.named_after || []).length) flags.push(`named after ${v.named_after.join(", ")}`);
  if (v.created_during_event) flags.push("created during the event");
  if (v.anonymous_board) flags.push("anonymous board");
  const measures = (v.measures || []).length
    ? v.measures.map((x) => el("span", {className: `measure m-${x}`}, x.replace(/_/g, " ")))
    : el("span", {className: "meta"}, "none");
  return el("tr", {},
    el("td", {className: "num"}, v.rank),
    el("td", {}, el("button", {type: "button", className: "link",
                               onclick: () => selectNode(`venue:${v.venue_id}`, {kind: "venue", item: v})},
                    v.name || v.venue_id)),
    el("td", {}, `${v.platform || ""} ${(v.kind || "").replace(/_/g, " ")}`),
    el("td", {className: "num"}, `${fmtNumber(v.harmful)} / ${fmtNumber(v.items)}`),
    el("td", {className: "meta"}, flags.join(" · ")),
    el("td", {}, measures));
}

function fmtSeconds(x) {
  if (x === null || x === undefined) return "–";
  if (x < 3600) return `${Math.round(x / 60)} min`;
  if (x < 86400) return `${(x / 3600).toFixed(1)} h`;
  return `${(x / 86400).toFixed(1)} d`;
}

function fmtShare(x) {
  return x === null || x === undefined ? "–" : `${Math.round(100 * x)}%`;
}

async function loadPlatforms() {
  const body = clear(document.querySelector("#platforms tbody"));
  try {
    const page = await api(`/v1/events/${enc(state.eventId)}/platforms`, {limit: 100});
    for (const p of page.items) {
      const never = p.reports_actioned_share === null ? null : 1 - p.reports_actioned_share;
      body.appendChild(el("tr", {},
        el("td", {}, p.platform),
        el("td", {className: "num"}, fmtNumber(p.harmful)),
        el("td", {className: "num"}, fmtShare(p.harmful_removed_share)),
        el("td", {className: "num"}, fmtNumber(p.reports)),
        el("td", {className: "num"}, fmtSeconds(p.report_to_action_median_s)),
        el("td", {className: "num"}, fmtSeconds(p.report_to_action_p90_s)),
        el("td", {className: "num"}, fmtShare(p.actioned_within_1h_share)),
        el("td", {className: "num"}, fmtShare(p.actioned_within_24h_share)),
        el("td", {className: "num"}, fmtShare(never)),
        el("td", {className: "num"}, fmtSeconds(p.minor_report_to_action_median_s)),
        el("td", {className: "num"}, p.harmful_venues_open)));
    }
    if (!body.children.length) body.appendChild(el("tr", {}, el("td", {colspan: 11, className: "hint"}, "No moderation data for this event.")));
  } catch (err) {
    reportError(err);
  }
}

/* ------------------------------------------------------------------ the graph */

async function loadGraph() {
  const limit = $("graph-limit").value;
  clear($("graph-note")).appendChild(el("span", {className: "meta"}, "loading the graph…"));
  let data;
  try {
    data = await api(`/v1/events/${enc(state.eventId)}/graph`, {limit});
  } catch (err) {
    clear($("graph-note"));
    reportError(err);
    return;
  }
  state.graph = data;
  clear($("graph-note")).appendChild(el("span", {className: "meta"},
    `laying out ${data.nodes.length} nodes…`));
  await new Promise((resolve) => setTimeout(resolve, 20));  // let the note paint first
  drawGraph(data);
  renderGraphNote(data);
  fillAccountNames();
}

function renderGraphNote(data) {
  const s = data.summary;
  const note = clear($("graph-note"));
  note.appendChild(el("strong", {},
    `Showing ${fmtNumber(s.accounts_shown)} of ${fmtNumber(s.accounts_total)} accounts`));
  note.appendChild(el("span", {className: "meta"},
    ` · ${s.narratives_shown} of ${s.narratives_total} narratives (${s.harmful_narratives_total} harmful)` +
    ` · ${s.clusters_shown} of ${s.clusters_total} clusters · ${s.mcns_shown} of ${s.mcns_total} MCNs` +
    (s.venues_total ? ` · ${s.venues_shown} of ${s.venues_total} venues` : "")));
  note.title = "A bounded summary of the incident: the top accounts by rank with their clusters " +
    "and MCNs, and the largest narratives (harmful first) with their first posters. " +
    `${fmtNumber(s.reposts_shown)} reposts between shown nodes are drawn as weighted edges; ` +
    `${fmtNumber(s.reposts_to_hidden)} reposts of accounts not shown are left out.`;
}

function nodeElement(n) {
  const data = {};
  for (const [name, value] of Object.entries(n)) {
    if (value !== null) data[name] = value;  // so that "[dim]" selectors match only real values
  }
  if (n.kind === "account") {
    data.color = ROLE_COLORS[primaryRole(n.roles)];
    data.dim = 10 + 26 * Math.max(0, Math.min(1, n.score || 0));
    data.key = (n.roles || []).some((r) => LEAD_ROLES.includes(r)) ? 1 : 0;
  } else if (n.kind === "narrative") {
    data.color = n.harmful ? "#7f1d1d" : "#b8c0c8";
    data.dim = 12 + 6 * Math.log10(1 + (n.size || 0));
    data.key = n.harmful && n.size >= 100 ? 1 : 0;
  } else if (n.kind === "mcn") {
    data.color = (n.measures || []).length ? "#0f766e" : "#7fb3ad";
    data.dim = 26;
    data.key = 1;
  } else if (n.kind === "venue") {
    const protect = (n.measures || []).includes("protect");
    data.color = protect ? "#2563eb" : ((n.measures || []).length > 1 ? "#b45309" : "#d6b98c");
    data.dim = 14 + 6 * Math.log10(1 + (n.harmful_items || 0));
    data.key = 1;
  } else if (n.kind === "cluster") {
    data.label = `${n.label} · ${n.members_shown} of ${n.members_total} accounts shown`;
    data.key = 1;
  }
  return {group: "nodes", data, classes: n.kind};
}

function edgeElement(e) {
  return {group: "edges", classes: e.type,
          data: {id: `${e.type}:${e.source}->${e.target}`, source: e.source, target: e.target,
                 type: e.type, weight: e.weight, width: 1 + Math.min(6, Math.log2(e.weight || 1))}};
}

const GRAPH_STYLE = [
  {selector: "node", style: {
    "border-width": 1, "border-color": "#ffffff", label: "", "font-size": 10,
    color: "#1f2933", "text-valign": "bottom", "text-margin-y": 3,
    "text-wrap": "ellipsis", "text-max-width": 140, "min-zoomed-font-size": 7,
    "text-background-color": "#ffffff", "text-background-opacity": 0.75, "text-background-padding": 1,
  }},
  {selector: "node[color]", style: {"background-color": "data(color)"}},
  {selector: "node[dim]", style: {width: "data(dim)", height: "data(dim)"}},
  {selector: "node[?key], node.labelled", style: {label: "data(label)"}},
  {selector: "node[?key]", style: {"font-size": 15, "min-zoomed-font-size": 4, "font-weight": 500}},
  {selector: "node.account[tier >= 3]", style: {"border-width": 3, "border-color": "#111827"}},
  {selector: "node.account[tier = 4]", style: {"border-style": "double", "border-width": 5}},
  {selector: "node.narrative", style: {shape: "diamond", "font-style": "italic", "text-max-width": 110}},
  {selector: "node.mcn", style: {shape: "hexagon", "font-weight": "bold"}},
  {selector: "node.venue", style: {shape: "tag"}},
  {selector: "node.cluster", style: {
    shape: "round-rectangle", "background-color": "#dbeafe", "background-opacity": 0.45,
    "border-color": "#1f77b4", "border-width": 1.5, "border-style": "dashed",
    label: "data(label)", "text-valign": "top", "text-halign": "center", "font-size": 11,
    color: "#1e3a8a", padding: 12,
  }},
  {selector: "node.content", style: {shape: "round-rectangle", "background-color": "#cbd5e1",
                                     width: 14, height: 14}},
  {selector: "node.repost", style: {shape: "ellipse", "background-color": "#e2e8f0",
                                    width: 9, height: 9}},
  {selector: "node.expanded", style: {"border-color": "#f59e0b", "border-width": 3}},
  {selector: "node:selected", style: {
    "border-color": "#f59e0b", "border-width": 5, label: "data(label)", "z-index": 20,
    "font-size": 12, "font-weight": "bold",
  }},
  {selector: "edge", style: {
    width: "data(width)", "curve-style": "bezier", "line-color": "#c3cad3", "opacity": 0.7,
    "target-arrow-shape": "triangle", "target-arrow-color": "#c3cad3", "arrow-scale": 0.6,
  }},
  {selector: "edge.first_post", style: {"line-color": "#d62728", "target-arrow-color": "#d62728",
                                        width: 3, opacity: 0.9}},
  {selector: "edge.first_content", style: {"line-color": "#d62728", "line-style": "dashed",
                                           "target-arrow-color": "#d62728", width: 2}},
  {selector: "edge.affiliation", style: {"line-color": "#0f766e", "line-style": "dotted",
                                         "target-arrow-shape": "none", opacity: 0.8}},
  {selector: "edge.POSTED, edge.REPOST_OF, edge.REPLY_TO, edge.TARGETS, edge.AFFILIATED_WITH",
   style: {"line-color": "#f59e0b", "target-arrow-color": "#f59e0b", width: 1.2}},
  {selector: "edge.near", style: {"line-color": "#f59e0b", "target-arrow-color": "#f59e0b", opacity: 1}},
];

function drawGraph(data) {
  if (state.cy) state.cy.destroy();
  const elements = data.nodes.map(nodeElement).concat(data.edges.map(edgeElement));
  const cy = cytoscape({
    container: $("cy"), elements, style: GRAPH_STYLE,
    minZoom: 0.05, maxZoom: 4, boxSelectionEnabled: false,
  });
  seedPositions(cy);
  cy.layout(layoutOptions()).run();
  cy.on("tap", "node", (evt) => selectNode(evt.target.id(), {fromGraph: true}));
  cy.on("tap", (evt) => { if (evt.target === cy) cy.elements().unselect(); });
  state.cy = cy;
  applyLabelMode();
  renderLegend();
}

/* fcose (vendored) when it loaded, else Cytoscape's own cose. */
function layoutOptions() {
  const common = {animate: false, fit: true, padding: 24, nodeDimensionsIncludeLabels: false};
  if (window.cytoscapeFcose) {
    return {...common, name: "fcose", quality: "default", randomize: true, numIter: 2500,
            nodeRepulsion: () => 4500, idealEdgeLength: () => 40, nestingFactor: 0.3,
            gravity: 1.2, gravityRange: 1.5, gravityRangeCompound: 1.2, tile: true,
            tilingPaddingVertical: 6, tilingPaddingHorizontal: 6};
  }
  return {...common, name: "cose", randomize: false, nodeRepulsion: () => 9000,
          idealEdgeLength: () => 60, gravity: 0.6, numIter: 1200};
}

/* Deterministic starting positions (a circle by rank), so that the same data draws the same. */
function seedPositions(cy) {
  const nodes = cy.nodes().not(":parent").sort((a, b) => String(a.id()).localeCompare(String(b.id())));
  const r = 40 + 6 * Math.sqrt(nodes.length) * 10;
  nodes.forEach((node, i) => {
    const angle = (2 * Math.PI * i) / Math.max(1, nodes.length);
    node.position({x: r * Math.cos(angle), y: r * Math.sin(angle)});
  });
}

function applyLabelMode() {
  if (!state.cy) return;
  state.cy.nodes().toggleClass("labelled", state.allLabels);
  $("graph-labels").textContent = state.allLabels ? "Key labels" : "All labels";
}

function renderLegend() {
  const legend = clear($("legend"));
  for (const role of Object.keys(ROLE_COLORS)) {
    legend.appendChild(el("span", {className: "legend-item"},
      dot(ROLE_COLORS[role], "dot"), ROLE_LABELS[role]));
  }
  legend.appendChild(el("span", {className: "legend-item"}, dot("#7f1d1d", "diamond"), "narrative (harmful)"));
  legend.appendChild(el("span", {className: "legend-item"}, dot("#0f766e", "hex"), "MCN"));
  legend.appendChild(el("span", {className: "legend-item"}, dot("#dbeafe", "box"), "coordinated cluster"));
  legend.appendChild(el("span", {className: "legend-item"}, dot("#b45309", "box"), "venue (to dissolve or close)"));
  legend.appendChild(el("span", {className: "legend-item"}, dot("#2563eb", "box"), "venue (to protect)"));
  legend.appendChild(el("span", {className: "legend-item"}, line("#d62728", "solid"), "first post"));
  legend.appendChild(el("span", {className: "legend-item"}, line("#aab3bd", "solid"), "reposts"));
  legend.appendChild(el("span", {className: "legend-item"}, line("#0f766e", "dotted"), "signed to MCN"));
  legend.appendChild(el("span", {className: "legend-item meta"}, "size = score · thick border = tier 3+"));
}

function dot(color, shape) {
  const d = el("span", {className: `swatch ${shape}`});
  d.style.setProperty("--swatch", color);
  return d;
}

function line(color, style) {
  const d = el("span", {className: `swatch line ${style}`});
  d.style.setProperty("--swatch", color);
  return d;
}

function toggleLabels() {
  state.allLabels = !state.allLabels;
  applyLabelMode();
}

/* ------------------------------------------------------------------ selection and evidence */

function selectNode(id, opts) {
  state.selected = id;
  for (const row of document.querySelectorAll("#accounts tbody tr")) {
    row.classList.toggle("selected", row.dataset.account === id);
  }
  const node = state.cy ? state.cy.getElementById(id) : null;
  if (node && node.nonempty()) {
    state.cy.elements().unselect();
    state.cy.edges().removeClass("near");
    node.select();
    node.connectedEdges().addClass("near");
    if (!(opts && opts.fromGraph) && !inView(node)) {
      state.cy.animate({center: {eles: node}, duration: 250});
    }
  }
  const data = node && node.nonempty() ? node.data() : null;
  const kind = data ? data.kind : (opts && opts.kind) || "account";
  const item = opts && opts.item;
  if (kind === "narrative") showNarrative(data);
  else if (kind === "cluster") showCluster(data || clusterFromItem(item, id));
  else if (kind === "mcn") showMcn(data || mcnFromItem(item, id));
  else if (kind === "venue") showVenue(data || venueFromItem(item, id));
  else if (kind === "content" || kind === "repost") showContent(data);
  else showAccount(id);
}

/* A table row's MCN or cluster as a node's data, when the graph does not hold it. */
function mcnFromItem(m, id) {
  m = m || {};
  return {id, ref: id, label: id, rank: m.rank, score: m.score, measures: m.measures || [],
          members_total: (m.accounts || []).length, members_shown: 0, evidence: m.evidence || []};
}

function venueFromItem(v, id) {
  v = v || {};
  return {id, ref: v.venue_id || id.replace(/^venue:/, ""), label: v.name || v.venue_id,
          rank: v.rank, score: v.score, platform: v.platform, venue_kind: v.kind,
          items: v.items, harmful_items: v.harmful, named_after: v.named_after || [],
          created_during_event: v.created_during_event, anonymous_board: v.anonymous_board,
          creator_id: v.creator_id, host_id: v.host_id,
          measures: v.measures || [], evidence: v.evidence || []};
}

function clusterFromItem(c, id) {
  c = c || {};
  return {id, ref: id.replace(/^cluster:/, ""), rank: c.rank, score: c.score,
          members_total: (c.accounts || []).length, members_shown: 0, evidence: c.evidence || []};
}

function inView(node) {
  const box = state.cy.extent(), p = node.position();
  return p.x >= box.x1 && p.x <= box.x2 && p.y >= box.y1 && p.y <= box.y2;
}

function showDetailHint() {
  clear($("detail")).appendChild(el("p", {className: "hint"},
    "Click a node in the graph or a row in a table to see its evidence."));
}

function detailHeader(kind, title, subtitle) {
  const panel = clear($("detail"));
  panel.appendChild(el("p", {className: "kind"}, kind));
  panel.appendChild(el("h3", {className: "detail-title"}, title));
  if (subtitle) panel.appendChild(el("p", {className: "meta"}, subtitle));
  return panel;
}

function factList(pairs) {
  const dl = el("dl", {className: "facts"});
  for (const [name, value] of pairs) {
    if (value === null || value === undefined || value === "" ||
        (Array.isArray(value) && !value.length)) continue;
    dl.appendChild(el("dt", {}, name));
    dl.appendChild(el("dd", {}, value));
  }
  return dl;
}

function evidenceList(items) {
  if (!items || !items.length) return el("p", {className: "hint"}, "No evidence recorded.");
  return el("ol", {className: "evidence"}, items.map((ev) => el("li", {},
    el("span", {className: "ev-kind"}, ev.kind.replace(/_/g, " ")),
    el("span", {className: "ev-detail"}, ev.detail || ""),
    (ev.content_ids || []).length
      ? el("span", {className: "ev-ids"}, ev.content_ids.slice(0, 8).join(", ") +
                                          (ev.content_ids.length > 8 ? ` … (+${ev.content_ids.length - 8})` : ""))
      : null)));
}

function expandButton(id) {
  return el("button", {type: "button", className: "primary", id: "expand",
                       onclick: () => expandNeighbourhood(id)}, "Expand neighbourhood");
}

async function showAccount(id) {
  const panel = detailHeader("account", id, "loading…");
  let view;
  try {
    view = await api(`/v1/accounts/${enc(id)}`);
  } catch (err) {
    panel.appendChild(el("p", {className: "hint"}, `Cannot load the account: ${err.detail || err}`));
    if (err.status === 401 || err.status === 403) reportError(err);
    return;
  }
  if (state.selected !== id) return;  // another node was picked meanwhile
  renderAccount(id, view);
}

function renderAccount(id, view) {
  const p = view.profile;
  const here = view.findings.find((f) => f.event_id === state.eventId) || state.eventAccounts[id];
  const panel = detailHeader("account", p.name || id, `${id} · ${p.platform || ""}`);
  panel.appendChild(factList([
    ["followers", fmtNumber(p.followers)],
    ["created", p.created_at ? p.created_at.slice(0, 10) : null],
    ["verified", p.verified ? "yes" : null],
    ["identity", (p.withheld || []).includes("identity_key") ? "withheld (an enforcer key reads it)" : p.identity_key],
    ["minor", p.is_minor ? "yes" : null],
    ["placeholder", p.placeholder ? "yes (referenced, never loaded)" : null],
  ]));
  panel.appendChild(expandButton(id));
  if (here) {
    panel.appendChild(el("h4", {}, "In this event"));
    panel.appendChild(factList([
      ["rank", here.rank], ["score", fmtScore(here.score)],
      ["tier", here.tier === null || here.tier === undefined ? null : `${here.tier} · ${TIER_TEXT[here.tier] || ""}`],
      ["roles", el("span", {}, (here.roles || []).map(roleChip))],
      ["cluster", here.cluster_id], ["MCNs", (here.mcn_ids || []).join(", ")],
      ["priority", here.priority], ["refer", here.refer ? "yes: refer to law enforcement" : null],
    ]));
    panel.appendChild(el("h4", {}, "Evidence"));
    panel.appendChild(evidenceList(here.evidence));
  } else {
    panel.appendChild(el("p", {className: "hint"}, "No finding on this account in this event."));
  }
  renderAccountExtras(panel, view);
}

function renderAccountExtras(panel, view) {
  const others = view.findings.filter((f) => f.event_id !== state.eventId);
  if (others.length) {
    panel.appendChild(el("h4", {}, "Other events"));
    panel.appendChild(el("ul", {className: "plain"}, others.map((f) => el("li", {},
      `${f.event_id}: rank ${f.rank}, tier ${f.tier}, `, (f.roles || []).map(roleChip)))));
  }
  if (view.renames.length) {
    panel.appendChild(el("h4", {}, "Renames"));
    panel.appendChild(el("ul", {className: "plain"}, view.renames.map((r) => el("li", {},
      `${(r.renamed_at || "").replace("T", " ").slice(0, 16)}: ${r.old_name || "?"} → ${r.new_name}`))));
  }
  if (view.affiliations.length) {
    panel.appendChild(el("h4", {}, "MCN affiliations"));
    panel.appendChild(el("ul", {className: "plain"}, view.affiliations.map((a) => el("li", {},
      `${a.mcn_name || a.mcn_id} (${a.mcn_id})`, a.since ? ` since ${a.since.slice(0, 10)}` : "",
      a.until ? ` until ${a.until.slice(0, 10)}` : ""))));
  }
  if (view.decisions.length) {
    panel.appendChild(el("h4", {}, "Decisions recorded"));
    panel.appendChild(el("ul", {className: "plain"}, view.decisions.map((d) => el("li", {},
      `${d.decided_at.slice(0, 10)}: ${d.measure || ""}${d.tier !== null ? ` tier ${d.tier}` : ""}` +
      (d.decided_by ? ` (by ${d.decided_by})` : "")))));
  }
}

function showNarrative(n) {
  const panel = detailHeader(n.harmful ? "harmful narrative" : "narrative", n.label, n.ref);
  panel.appendChild(factList([
    ["size", `${fmtNumber(n.size)} contents and reposts`],
    ["platforms", (n.platforms || []).join(", ")],
    ["first content", n.first_content_id],
  ]));
  if (n.first_poster) {
    panel.appendChild(el("h4", {}, "First poster"));
    panel.appendChild(el("p", {}, el("button", {type: "button", className: "link",
                                             onclick: () => selectNode(n.first_poster)}, n.first_poster)));
  }
  if (n.first_content_id) panel.appendChild(expandButton(n.first_content_id));
}

function showCluster(n) {
  const panel = detailHeader("coordinated cluster", n.ref,
    `${n.members_total} accounts, ${n.members_shown} shown in the graph`);
  panel.appendChild(factList([["rank", n.rank], ["score", fmtScore(n.score)]]));
  panel.appendChild(el("h4", {}, "Evidence"));
  panel.appendChild(evidenceList(n.evidence));
}

function showMcn(n) {
  const panel = detailHeader("MCN", n.label, n.ref);
  panel.appendChild(factList([
    ["rank", n.rank], ["score", fmtScore(n.score)],
    ["accounts", `${n.members_total} in the event, ${n.members_shown} shown`],
    ["measures", n.measures && n.measures.length ? n.measures.join(", ").replace(/_/g, " ") : "none"],
  ]));
  panel.appendChild(expandButton(n.id));
  panel.appendChild(el("h4", {}, "Evidence"));
  panel.appendChild(evidenceList(n.evidence));
}

function showVenue(n) {
  const panel = detailHeader("venue", n.label, `${n.platform || ""} ${(n.venue_kind || "").replace(/_/g, " ")} · ${n.ref}`);
  panel.appendChild(factList([
    ["rank", n.rank], ["score", fmtScore(n.score)],
    ["harmful", `${fmtNumber(n.harmful_items)} of ${fmtNumber(n.items)} items`],
    ["named after", (n.named_after || []).join(", ") || "–"],
    ["created during the event", n.created_during_event ? "yes" : "no"],
    ["anonymous board", n.anonymous_board ? "yes" : "no"],
    ["measures", n.measures && n.measures.length ? n.measures.join(", ").replace(/_/g, " ") : "none"],
  ]));
  panel.appendChild(el("h4", {}, "Evidence"));
  panel.appendChild(evidenceList(n.evidence));
}

function showContent(n) {
  const props = n.properties || {};
  const panel = detailHeader(n.kind, n.id, props.platform || "");
  if ((n.withheld || []).includes("text")) {
    /* the API withholds what contents say from viewers (README, "Security") */
    panel.appendChild(el("p", {className: "hint withheld"},
      "Text and link withheld: your key's role does not read contents (an enforcer key does)."));
  } else {
    panel.appendChild(el("blockquote", {}, props.text || n.label || ""));
  }
  panel.appendChild(factList([
    ["author", props.account_id ? el("button", {type: "button", className: "link",
                                                onclick: () => selectNode(props.account_id)}, props.account_id) : null],
    ["at", (props.posted_at || props.reposted_at || "").replace("T", " ").slice(0, 19)],
    ["harm", props.harm === null || props.harm === undefined ? null : fmtScore(props.harm)],
    ["source", props.source_id], ["reply to", props.reply_to],
  ]));
  panel.appendChild(expandButton(n.id));
}

/* ------------------------------------------------------------------ neighbourhood */

async function expandNeighbourhood(id) {
  let data;
  try {
    data = await api("/v1/graph/neighborhood", {node: id, hops: 1, limit: NEIGHBOURS});
  } catch (err) {
    reportError(err);
    return;
  }
  const cy = state.cy;
  const center = cy.getElementById(id);
  const origin = center.nonempty() ? center.position() : {x: 0, y: 0};
  const added = addNeighbours(cy, data, origin);
  cy.getElementById(id).addClass("expanded");
  applyLabelMode();
  const button = $("expand");
  if (button) {
    button.textContent = `Expanded: ${added} new node${added === 1 ? "" : "s"}` +
      (data.truncated ? ` (first ${NEIGHBOURS})` : "");
    button.disabled = true;
  }
  cy.animate({center: {eles: cy.getElementById(id)}, zoom: Math.max(cy.zoom(), 1.2), duration: 300});
}

/* Add the neighbourhood's nodes (events left out: they link everything) on a ring around origin. */
function addNeighbours(cy, data, origin) {
  const fresh = data.nodes.filter((n) => n.kind !== "event" && cy.getElementById(n.id).empty());
  const radius = 90 + 4 * fresh.length;
  fresh.forEach((n, i) => {
    const angle = (2 * Math.PI * i) / fresh.length;
    cy.add({group: "nodes", classes: n.kind, data: neighbourData(n),
            position: {x: origin.x + radius * Math.cos(angle), y: origin.y + radius * Math.sin(angle)}});
  });
  for (const n of fresh) linkToNarrative(cy, n.id);
  for (const e of data.edges) {
    const id = `${e.type}:${e.source}->${e.target}`;
    if (cy.getElementById(e.source).empty() || cy.getElementById(e.target).empty()) continue;
    if (cy.getElementById(id).nonempty()) continue;
    cy.add({group: "edges", classes: e.type,
            data: {id, source: e.source, target: e.target, type: e.type, weight: 1, width: 1.2}});
  }
  return fresh.length;
}

/* A narrative's first content, once in the graph, is tied to its narrative node. */
function linkToNarrative(cy, contentId) {
  const narrative = cy.nodes("node.narrative").filter((n) => n.data("first_content_id") === contentId);
  if (narrative.nonempty()) {
    cy.add({group: "edges", classes: "first_content",
            data: {id: `first_content:${contentId}->${narrative.id()}`, source: contentId,
                   target: narrative.id(), type: "first_content", weight: 1, width: 2}});
  }
}

function neighbourData(n) {
  const finding = (n.findings || []).find((f) => f.event_id === state.eventId) || {};
  const data = {id: n.id, kind: n.kind, ref: n.id, label: n.label, properties: n.properties,
                withheld: n.withheld || [],
                roles: finding.roles || [], score: finding.score, tier: finding.tier,
                rank: finding.rank, measures: finding.measures || [], key: 0};
  if (n.kind === "account") {
    data.color = ROLE_COLORS[primaryRole(data.roles)];
    data.dim = 10 + 26 * Math.max(0, Math.min(1, data.score || 0));
  } else if (n.kind === "mcn") {
    data.color = "#7fb3ad";
    data.dim = 28;
    data.key = 1;
  } else {
    data.color = n.kind === "content" ? "#cbd5e1" : "#e2e8f0";
    data.dim = n.kind === "content" ? 14 : 9;
  }
  return data;
}

/* ------------------------------------------------------------------ wiring */

function fillRoleFilter() {
  const select = $("filter-role");
  for (const role of Object.keys(ROLE_COLORS)) {
    select.appendChild(el("option", {value: role}, ROLE_LABELS[role]));
  }
}

function wire() {
  fillRoleFilter();
  $("key-form").addEventListener("submit", signIn);
  $("key-forget").addEventListener("click", () => {
    forgetKey();
    clear($("events"));
    $("event-pane").hidden = true;
    $("welcome").hidden = false;
  });
  $("accounts-prev").addEventListener("click", () => pageAccounts(-1));
  $("accounts-next").addEventListener("click", () => pageAccounts(1));
  $("filter-role").addEventListener("change", refilterAccounts);
  $("filter-tier").addEventListener("change", refilterAccounts);
  $("mcns-more").addEventListener("click", () => loadMcns(false));
  $("venues-more").addEventListener("click", () => loadVenues(false));
  $("clusters-more").addEventListener("click", () => loadClusters(false));
  $("graph-limit").addEventListener("change", loadGraph);
  $("graph-fit").addEventListener("click", () => state.cy && state.cy.fit(undefined, 24));
  $("graph-labels").addEventListener("click", toggleLabels);
}

if (window.cytoscapeFcose) cytoscape.use(window.cytoscapeFcose);

/* For tests and the curious: the Cytoscape instance and the state. */
window.pileon = {state, cy: () => state.cy};

wire();
start();
