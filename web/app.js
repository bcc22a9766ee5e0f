// mailkit's web page: the message list (live from /api/events), search,
// the mailbox switcher and the message view. Everything that comes from a
// message is put in the page as text (textContent), never as markup; its
// HTML is shown only in a sandboxed frame served under a CSP that blocks
// scripts and remote loads.
"use strict";

const PAGE = 50;
const state = {
  start: 0, total: 0, query: "", box: "", messages: [], current: -1,
  open: null, tab: "html", ws: null, reloadTimer: 0,
};
const $ = (id) => document.getElementById(id);

// An element with attributes and children (strings become text nodes).
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}

async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  if (!r.ok) {
    let msg = r.status + " " + r.statusText;
    try { msg = (await r.json()).Error || msg; } catch (_) { /* not JSON */ }
    throw new Error(msg);
  }
  const type = r.headers.get("Content-Type") || "";
  return type.startsWith("application/json") ? r.json() : r.text();
}

function boxParams() {
  if (!state.box) return "";
  const [mailbox, folder] = state.box.split("\n");
  return "&mailbox=" + encodeURIComponent(mailbox) + (folder ? "&folder=" + encodeURIComponent(folder) : "");
}

function listPath() {
  const page = "start=" + state.start + "&limit=" + PAGE + boxParams();
  return state.query
    ? "/api/v1/search?query=" + encodeURIComponent(state.query) + "&" + page
    : "/api/v1/messages?" + page;
}

function who(a) {
  if (!a) return "";
  return a.Name ? a.Name : a.Address;
}

function when(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return "";
  const now = new Date();
  return d.toDateString() === now.toDateString()
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleDateString([], { month: "short", day: "numeric", year: d.getFullYear() === now.getFullYear() ? undefined : "numeric" });
}

async function loadList() {
  let res;
  try {
    res = await api("GET", listPath());
  } catch (e) {
    $("counts").textContent = "⚠ " + e.message;
    return;
  }
  if (res.messages.length === 0 && state.start > 0 && res.messages_count > 0) {
    state.start = Math.max(0, Math.floor((res.messages_count - 1) / PAGE) * PAGE);
    return loadList();
  }
  const keep = state.messages[state.current] && state.messages[state.current].ID;
  state.messages = res.messages;
  state.total = res.messages_count;
  state.current = Math.max(-1, res.messages.findIndex((m) => m.ID === keep));
  const list = $("list");
  list.replaceChildren(...res.messages.map((m, i) => {
    const li = el("li", { class: (m.Read ? "" : "unread ") + (i === state.current ? "current" : ""), "data-id": m.ID, onclick: () => select(i, true) },
      el("span", { class: "from" }, who(m.From) || "(no sender)"),
      el("span", { class: "when", title: m.Created }, when(m.Created)),
      el("span", { class: "subj" + (m.Attachments ? " att" : "") }, m.Subject || "(no subject)"),
      el("span", { class: "box" }, state.box ? "" : m.Mailbox || ""),
      el("span", { class: "snip" }, m.Snippet || ""));
    li.title = (m.Read ? "" : "Unread. ") + (m.Attachments ? m.Attachments + " attachment(s)" : "");
    return li;
  }));
  $("empty").hidden = res.messages.length > 0;
  $("counts").textContent = `${res.messages_unread} unread` + (state.query ? ` · ${res.messages_count} found` : "");
  const last = Math.min(state.start + res.messages.length, res.messages_count);
  $("range").textContent = res.messages_count ? `${state.start + 1}–${last} of ${res.messages_count}` : "0";
  $("prev").disabled = state.start === 0;
  $("next").disabled = last >= res.messages_count;
  document.title = (res.unread ? `(${res.unread}) ` : "") + "mailkit";
}

// Reload the list soon (events come in bursts).
function reloadSoon() {
  clearTimeout(state.reloadTimer);
  state.reloadTimer = setTimeout(loadList, 120);
}

async function loadBoxes() {
  try {
    const res = await api("GET", "/api/v1/mailboxes");
    const sel = $("mailbox");
    const keep = sel.value;
    const opts = [el("option", { value: "" }, "All mailboxes")];
    for (const b of res.mailboxes) {
      for (const f of b.Folders) {
        const label = f.Name === "INBOX" ? b.Mailbox : `${b.Mailbox} / ${f.Name}`;
        opts.push(el("option", { value: b.Mailbox + "\n" + f.Name }, `${label} (${f.Unread}/${f.Total})`));
      }
    }
    sel.replaceChildren(...opts);
    sel.value = keep;
  } catch (_) { /* the list shows the error */ }
}

function select(i, open) {
  if (i < 0 || i >= state.messages.length) return;
  state.current = i;
  const items = $("list").children;
  for (let k = 0; k < items.length; k++) items[k].classList.toggle("current", k === i);
  items[i].scrollIntoView({ block: "nearest" });
  if (open) openMessage(state.messages[i].ID);
}

async function openMessage(id) {
  let m;
  try {
    m = await api("GET", "/api/v1/message/" + encodeURIComponent(id));
  } catch (e) {
    $("subject").textContent = "⚠ " + e.message;
    return;
  }
  state.open = m;
  $("view-pane").hidden = false;
  $("main").classList.add("viewing");
  $("subject").textContent = m.Subject || "(no subject)";
  const addrs = (l) => (l || []).map((a) => (a.Name ? `${a.Name} <${a.Address}>` : a.Address)).join(", ");
  const rows = [["From", addrs([m.From])], ["To", addrs(m.To)], ["Cc", addrs(m.Cc)], ["Bcc", addrs(m.Bcc)],
    ["Reply-To", addrs(m.ReplyTo)], ["Date", new Date(m.Date).toLocaleString()], ["Mailbox", `${m.Mailbox} / ${m.Folder}`]];
  $("addresses").replaceChildren(...rows.filter((r) => r[1]).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("toggle-read").textContent = "Mark unread";
  m.Read = true;
  const li = $("list").querySelector(`li[data-id="${CSS.escape(id)}"]`);
  if (li) li.classList.remove("unread");
  $("text").textContent = m.Text || "(no text part)";
  const atts = [...(m.Attachments || []), ...(m.Inline || [])];
  $("attachments").replaceChildren(...(atts.length ? atts.map((a) => el("li", {},
    el("a", { href: `/api/v1/message/${encodeURIComponent(id)}/part/${encodeURIComponent(a.PartID)}` }, a.FileName || `part ${a.PartID}`),
    ` — ${a.ContentType}, ${a.Size} bytes`)) : [el("li", {}, "No attachments.")]));
  for (const t of ["headers", "source", "mime", "validate", "session"]) $(t).dataset.loaded = "";
  $("remote").checked = false;
  showTab(m.HTML ? state.tab : state.tab === "html" ? "text" : state.tab);
}

async function showTab(tab) {
  state.tab = tab;
  for (const b of $("tabs").children) b.setAttribute("aria-selected", String(b.dataset.tab === tab));
  for (const p of $("panel").children) p.hidden = p.dataset.panel !== tab;
  const m = state.open;
  if (!m) return;
  const base = "/api/v1/message/" + encodeURIComponent(m.ID);
  try {
    if (tab === "html") {
      $("frame").src = "/view/" + encodeURIComponent(m.ID) + ($("remote").checked ? "?remote=1" : "");
    } else if (tab === "headers" && !$("headers").dataset.loaded) {
      const h = await api("GET", base + "/headers");
      $("headers").replaceChildren(...Object.entries(h).flatMap(([k, vs]) => vs.map((v) => el("tr", {}, el("th", {}, k), el("td", {}, v)))));
      $("headers").dataset.loaded = "1";
    } else if (tab === "source" && !$("source").dataset.loaded) {
      $("source").textContent = await api("GET", base + "/raw");
      $("source").dataset.loaded = "1";
    } else if (tab === "session" && !$("session").dataset.loaded) {
      $("session").dataset.loaded = "1";
      $("session").textContent = await api("GET", base + "/transcript");
    } else if (tab === "mime" && !$("mime").dataset.loaded) {
      const doc = await api("GET", base + "/structure");
      $("mime").replaceChildren(doc.mime ? mimeTree(doc.mime) : el("p", {}, doc.error || "No MIME structure."));
      $("mime").dataset.loaded = "1";
    } else if (tab === "validate" && !$("validate").dataset.loaded) {
      const v = await api("GET", base + "/validate");
      $("validate").replaceChildren(
        v.diagnostics.length === 0 ? el("p", { class: "ok" }, "✓ No defects found.") : el("p", {}, `${v.diagnostics.length} finding(s)`),
        ...v.diagnostics.map((d) => el("div", { class: "diag " + d.severity },
          el("span", { class: "sev" }, d.severity), ` line ${d.line}: ${d.text} `, el("span", { class: "rule" }, `(${d.rule})`))));
      $("validate").dataset.loaded = "1";
    }
  } catch (e) {
    $("panel").querySelector(`[data-panel="${tab}"]`).textContent = "⚠ " + e.message;
  }
}

function mimeTree(p) {
  const meta = [p.charset && `charset ${p.charset}`, p.encoding, p.disposition, `${p.size} bytes`].filter(Boolean).join(", ");
  return el("ul", {}, el("li", {},
    el("span", { class: "type" }, p.content_type), p.filename ? ` “${p.filename}” ` : " ",
    el("span", { class: "meta" }, meta),
    ...(p.parts || []).map(mimeTree)));
}

function closeView() {
  state.open = null;
  $("main").classList.remove("viewing");
  $("view-pane").hidden = true;
  $("frame").src = "about:blank";
  $("list").focus();
}

async function removeCurrent() {
  const m = state.open || state.messages[state.current];
  if (!m) return;
  await act(() => api("DELETE", "/api/v1/messages", { IDs: [m.ID] }));
  if (state.open && state.open.ID === m.ID) closeView();
}

async function toggleRead() {
  const m = state.open || state.messages[state.current];
  if (!m) return;
  const read = !m.Read;
  await act(() => api("PUT", "/api/v1/messages", { IDs: [m.ID], Read: read }));
  m.Read = read;
  $("toggle-read").textContent = read ? "Mark unread" : "Mark read";
}

async function act(fn) {
  try {
    await fn();
  } catch (e) {
    alert(e.message);
  }
  reloadSoon();
}

function connect() {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/events");
  state.ws = ws;
  ws.onopen = () => { $("live").classList.add("on"); loadList(); };
  ws.onmessage = (ev) => {
    let e;
    try { e = JSON.parse(ev.data); } catch (_) { return; }
    if (e.Type === "stats") {
      document.title = (e.Data.Unread ? `(${e.Data.Unread}) ` : "") + "mailkit";
      return;
    }
    reloadSoon();
    if (e.Type === "new" || e.Type === "delete" || e.Type === "truncate") loadBoxes();
  };
  ws.onclose = () => {
    $("live").classList.remove("on");
    setTimeout(connect, 2000);
  };
}

function init() {
  $("search").addEventListener("submit", (e) => {
    e.preventDefault();
    state.query = $("query").value.trim();
    state.start = 0;
    loadList();
  });
  $("query").addEventListener("search", () => { if (!$("query").value) { state.query = ""; state.start = 0; loadList(); } });
  $("mailbox").addEventListener("change", () => { state.box = $("mailbox").value; state.start = 0; loadList(); });
  $("prev").onclick = () => { state.start = Math.max(0, state.start - PAGE); loadList(); };
  $("next").onclick = () => { state.start += PAGE; loadList(); };
  $("back").onclick = closeView;
  $("delete").onclick = removeCurrent;
  $("toggle-read").onclick = toggleRead;
  $("delete-all").onclick = () => {
    const what = state.query ? `every message matching “${state.query}”` : "every message in this list";
    if (!confirm(`Delete ${what}?`)) return;
    if (state.query) act(() => api("DELETE", "/api/v1/search?query=" + encodeURIComponent(state.query) + boxParams(), {}));
    else if (state.box) act(() => api("DELETE", "/api/v1/messages?" + boxParams().slice(1), {}));
    else act(() => api("DELETE", "/api/v1/messages", {}));
    closeView();
  };
  $("remote").addEventListener("change", () => showTab("html"));
  for (const b of $("tabs").children) b.onclick = () => showTab(b.dataset.tab);
  document.addEventListener("keydown", (e) => {
    if (e.target.matches("input, select, textarea") || e.ctrlKey || e.metaKey || e.altKey) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    const k = e.key;
    if (k === "j" || k === "ArrowDown") select(Math.min(state.current + 1, state.messages.length - 1), !!state.open);
    else if (k === "k" || k === "ArrowUp") select(Math.max(state.current - 1, 0), !!state.open);
    else if (k === "Enter" && state.current >= 0) openMessage(state.messages[state.current].ID);
    else if (k === "Delete" || k === "#") removeCurrent();
    else if (k === "u") toggleRead();
    else if (k === "/") $("query").focus();
    else if (k === "n" && !$("next").disabled) $("next").click();
    else if (k === "p" && !$("prev").disabled) $("prev").click();
    else if (k === "Escape") closeView();
    else return;
    e.preventDefault();
  });
  showTab("html");
  loadBoxes();
  loadList();
  connect();
}

init();
