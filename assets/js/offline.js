// The tablet without a network (DESIGN.md 4.8), bundled with idb by `npm run build` into app/static/dist/offline.js.
//
// - Registers the service worker (/sw.js) and, on the start page ("Mina granskningsbesök"), keeps the site screens of
//   the person's coming visits in the page cache, marking each "available offline".
// - Without a network, the site screen and a finding's edit page record, edit and remove findings and take photos
//   (scaled to at most 2,560 px, JPEG) into a queue in IndexedDB, per person; the header counts what waits.
// - The queue goes to POST /api/v1/sync in order (client-made ids), photos after their finding through the evidence
//   endpoint: on page load, on the "online" event and every 30 s. An item leaves the tablet only when the server's
//   answer confirms it; a refused item stays with the server's reason; nothing is sent unless the person logged in
//   now is the one who recorded it (a session that ran out pauses the queue).
import { openDB } from "idb";

const PAGES = "tillsyn-pages-v1";
const MAX_PIXELS = 2560;
const SYNC_EVERY_MS = 30000;
const body = document.body;
const user = body.getAttribute("data-user-id");
let strings = {};
try {
  strings = JSON.parse((document.getElementById("ui-strings") || {}).textContent || "{}");
} catch (e) {
  strings = {};
}
const t = (key, n) => String(strings[key] || key).replace("{n}", String(n));

if ("serviceWorker" in navigator && body.getAttribute("data-sw")) {
  navigator.serviceWorker.register(body.getAttribute("data-sw"), { scope: "/" }).catch(() => {});
}

const database = "indexedDB" in window
  ? openDB("tillsyn-offline", 1, {
      upgrade(db) {
        const queue = db.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
        queue.createIndex("user", "user");
      },
    }).catch(() => null)
  : Promise.resolve(null);

const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) => (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));

async function queued() {
  const db = await database;
  return db && user ? db.getAllFromIndex("queue", "user", user) : [];
}

async function put(...records) {
  const db = await database;
  const tx = db.transaction("queue", "readwrite");
  for (const record of records) {
    tx.store.put(record);
  }
  await tx.done;
}

async function drop(...seqs) {
  const db = await database;
  const tx = db.transaction("queue", "readwrite");
  for (const seq of seqs) {
    tx.store.delete(seq);
  }
  await tx.done;
}

// ---- the counter in the header -----------------------------------------------------------------------

let paused = false;

async function refresh() {
  const items = await queued();
  const counter = document.getElementById("pending-changes");
  const refused = items.filter((item) => item.problem).length;
  body.setAttribute("data-pending-changes", String(items.length));
  if (counter) {
    const parts = [];
    if (items.length) parts.push(items.length === 1 ? t("pending_one") : t("pending_many", items.length));
    if (refused) parts.push(refused === 1 ? t("refused_one") : t("refused_many", refused));
    if (items.length && paused) parts.push(t("paused"));
    const text = parts.join(". ");
    if (counter.textContent !== text) counter.textContent = text;
  }
  renderQueue(items);
}

// ---- the start page: keep the coming visits' pages -----------------------------------------------------

async function keepPages() {
  const rows = document.querySelectorAll("[data-offline-pages]");
  if (!rows.length || !("caches" in window) || !navigator.onLine) return;
  const cache = await caches.open(PAGES);
  const fetchInto = async (url) => {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok || response.redirected) throw new Error(String(response.status));
    await cache.put(url, response.clone());
    return response.text();
  };
  for (const row of rows) {
    try {
      const urls = row.getAttribute("data-offline-pages").split(" ").filter(Boolean);
      for (const url of urls) {
        const html = await fetchInto(url);
        if (/\/site$/.test(url)) {
          const page = new DOMParser().parseFromString(html, "text/html");
          const more = [...page.querySelectorAll(".area-tabs a, a[href$='/edit']")]
            .map((a) => a.getAttribute("href"))
            .filter((href) => /^\/(visits\/[0-9a-f-]{36}\/site\?area=|findings\/[0-9a-f-]{36}\/edit$)/.test(href));
          for (const href of new Set(more)) await fetchInto(href);
        }
      }
      const mark = row.querySelector(".offline-mark");
      if (mark) mark.hidden = false;
    } catch (e) {
      /* kept next time the list is opened online */
    }
  }
}

// A page kept for another person is never shown: when someone else uses the tablet, the kept pages go.
function forgetOthersPages() {
  if (!user || !navigator.onLine) return;
  let last = null;
  try {
    last = localStorage.getItem("tillsyn-pages-user");
    localStorage.setItem("tillsyn-pages-user", user);
  } catch (e) {
    return;
  }
  if (last && last !== user && "caches" in window) caches.delete(PAGES);
}

// ---- recording without a network -----------------------------------------------------------------------

// A decoded, upright picture; older Safari lacks createImageBitmap's options (or the function): an <img> then.
async function decoded(file) {
  if (window.createImageBitmap) {
    try {
      return await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (e) {
      /* try the <img> element */
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    return image;
  } finally {
    URL.revokeObjectURL(url);
  }
}

async function scaled(file) {
  if (!/^image\//.test(file.type)) return { blob: file, name: file.name || "file" };
  const bitmap = await decoded(file);
  const factor = Math.min(1, MAX_PIXELS / Math.max(bitmap.width || bitmap.naturalWidth, bitmap.height || bitmap.naturalHeight));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round((bitmap.width || bitmap.naturalWidth) * factor));
  canvas.height = Math.max(1, Math.round((bitmap.height || bitmap.naturalHeight) * factor));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
  return { blob, name: (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg" };
}

async function photos(input, findingId, visitId) {
  const records = [];
  for (const file of input ? [...input.files] : []) {
    const { blob, name } = await scaled(file);
    records.push({ user, type: "photo", id: uuid(), finding: findingId, visit: visitId, blob, name, created: new Date().toISOString() });
  }
  return records;
}

function announce(form, message, isError) {
  let box = form.querySelector(".offline-status");
  if (!box) {
    box = document.createElement("p");
    box.className = "offline-status";
    form.insertBefore(box, form.firstChild);
  }
  box.setAttribute("role", isError ? "alert" : "status");
  box.className = "offline-status" + (isError ? " error" : "");
  box.textContent = message;
}

function findingArgs(form) {
  const data = new FormData(form);
  const args = { kind: data.get("kind") || "", text: String(data.get("text") || "").trim() };
  const severity = data.get("severity");
  if (severity) args.severity = severity;
  args.review_area_id = data.get("review_area") || null;
  return args;
}

function invalid(form, args) {
  if (!args.kind || !args.text) return t("text_required");
  if (args.kind === "deviation" && !args.severity) return t("severity_required");
  return null;
}

function forgetDraft(form) {
  const key = form.getAttribute("data-autosave");
  try {
    if (key) localStorage.removeItem(`tillsyn-draft:v2:${user}:${key}`);
  } catch (e) {
    /* nothing kept */
  }
}

function offlineForms() {
  const add = document.querySelector("form[data-autosave^='finding-'][action$='/findings']");
  if (add) {
    const visitId = add.getAttribute("action").split("/")[2];
    add.addEventListener("submit", async (event) => {
      if (navigator.onLine) return;
      event.preventDefault();
      const args = findingArgs(add);
      const problem = invalid(add, args);
      if (problem) return announce(add, problem, true);
      const id = uuid();
      let records;
      try {
        records = await photos(add.querySelector("input[type=file]"), id, visitId);
      } catch (e) {
        return announce(add, t("photo_failed"), true);
      }
      const op = { id: uuid(), op: "add_finding", args: { visit_id: visitId, id, ...args } };
      await put({ user, type: "op", op, visit: visitId, finding: id, created: new Date().toISOString() }, ...records);
      forgetDraft(add);
      add.reset();
      announce(add, t("saved_offline"));
      refresh();
    });
  }
  const edit = document.querySelector("form[data-autosave^='finding-edit-']");
  if (edit) {
    const findingId = edit.getAttribute("data-autosave").slice("finding-edit-".length);
    const visitId = (document.querySelector("main a[href^='/visits/']") || { getAttribute: () => "" }).getAttribute("href").split("/")[2] || null;
    edit.addEventListener("submit", async (event) => {
      if (navigator.onLine) return;
      event.preventDefault();
      const args = findingArgs(edit);
      const problem = invalid(edit, args);
      if (problem) return announce(edit, problem, true);
      await put({ user, type: "op", op: { id: uuid(), op: "update_finding", args: { finding_id: findingId, ...args } }, visit: visitId, finding: findingId, created: new Date().toISOString() });
      forgetDraft(edit);
      announce(edit, t("saved_offline"));
      refresh();
    });
    const upload = document.querySelector(`form[action='/findings/${findingId}/evidence']`);
    if (upload) {
      upload.addEventListener("submit", async (event) => {
        if (navigator.onLine) return;
        event.preventDefault();
        try {
          await put(...(await photos(upload.querySelector("input[type=file]"), findingId, visitId)));
        } catch (e) {
          return announce(upload, t("photo_failed"), true);
        }
        upload.reset();
        announce(upload, t("saved_offline"));
        refresh();
      });
    }
    const remove = document.querySelector(`form[action='/findings/${findingId}/delete']`);
    if (remove) {
      remove.addEventListener("submit", async (event) => {
        if (navigator.onLine) return;
        event.preventDefault();
        await put({ user, type: "op", op: { id: uuid(), op: "delete_finding", args: { finding_id: findingId } }, visit: visitId, finding: findingId, created: new Date().toISOString() });
        announce(remove, t("remove_queued"));
        refresh();
      });
    }
  }
}

// ---- what waits, on the visit's pages ------------------------------------------------------------------

function visitOfPage() {
  const match = /^\/visits\/([0-9a-f-]{36})\/site$/.exec(location.pathname);
  return match ? match[1] : null;
}

function renderQueue(items) {
  const visitId = visitOfPage();
  const anchor = document.getElementById("findings");
  if (!visitId || !anchor) return;
  const mine = items.filter((item) => item.visit === visitId);
  let section = document.getElementById("offline-queue");
  if (!mine.length) {
    if (section) section.remove();
    return;
  }
  if (!section) {
    section = document.createElement("section");
    section.id = "offline-queue";
    section.setAttribute("aria-labelledby", "offline-queue-h");
    anchor.parentNode.insertBefore(section, anchor);
  }
  if (section.contains(document.activeElement) && section.querySelector("textarea")) return;  // being edited
  section.replaceChildren();
  const heading = document.createElement("h2");
  heading.id = "offline-queue-h";
  heading.textContent = t("queued_heading");
  const hint = document.createElement("p");
  hint.className = "hint";
  hint.textContent = t("queued_hint");
  const list = document.createElement("ul");
  list.className = "queued";
  section.append(heading, hint, list);
  for (const item of mine) list.append(queuedItem(item, items));
}

function button(label, onClick, extra) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "button secondary";
  b.textContent = label;
  if (extra) {
    const hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = " " + extra;
    b.append(hidden);
  }
  b.addEventListener("click", onClick);
  return b;
}

function queuedItem(item, all) {
  const li = document.createElement("li");
  li.className = "finding queued" + (item.problem ? " refused" : "");
  li.setAttribute("data-queued", String(item.seq));
  const title = document.createElement("p");
  title.className = "queued-what";
  const text = document.createElement("p");
  text.className = "queued-text";
  if (item.type === "photo") {
    title.textContent = t("photo") + (item.name ? ` (${item.name})` : "");
  } else {
    const args = item.op.args;
    title.textContent = item.op.op === "delete_finding" ? t("remove_queued") : t("kind_" + (args.kind || "strength"));
    text.textContent = args.text || "";
  }
  li.append(title);
  if (text.textContent) li.append(text);
  if (item.problem) {
    const problem = document.createElement("p");
    problem.className = "error";
    problem.textContent = `${t("refused")} ${item.problem}`;
    li.append(problem);
  }
  const actions = document.createElement("div");
  actions.className = "actions";
  const label = (text.textContent || title.textContent).slice(0, 40);
  if (item.type === "op" && item.op.op !== "delete_finding") {
    actions.append(button(t("edit"), () => editQueued(li, item), label));
  }
  actions.append(button(t("remove"), () => removeQueued(item, all), label));
  li.append(actions);
  return li;
}

function editQueued(li, item) {
  const area = document.createElement("textarea");
  area.id = `queued-edit-${item.seq}`;
  area.rows = 4;
  area.value = item.op.args.text || "";
  const label = document.createElement("label");
  label.htmlFor = area.id;
  label.textContent = t("text_label");
  const save = button(t("save"), async () => {
    const text = area.value.trim();
    if (!text) return;
    if (item.attempted && item.op.op === "add_finding") {
      // It may be on the server already (an answer lost on the way): change it there, never send it twice.
      await put({ user, type: "op", op: { id: uuid(), op: "update_finding", args: { finding_id: item.op.args.id, text } }, visit: item.visit, finding: item.finding, created: new Date().toISOString() });
    } else {
      item.op = { ...item.op, id: item.attempted ? uuid() : item.op.id, args: { ...item.op.args, text } };
      await put(item);
    }
    document.activeElement.blur();
    refresh();
  });
  const cancel = button(t("cancel"), () => {
    document.activeElement.blur();
    refresh();
  });
  li.replaceChildren(label, area, save, cancel);
  area.focus();
}

async function removeQueued(item, all) {
  if (item.type === "op" && item.op.op === "add_finding" && item.attempted) {
    await put({ user, type: "op", op: { id: uuid(), op: "delete_finding", args: { finding_id: item.op.args.id } }, visit: item.visit, finding: item.finding, created: new Date().toISOString() });
  }
  const gone = [item.seq];
  if (item.type === "op" && item.op.op === "add_finding") {
    for (const other of all) if (other.type === "photo" && other.finding === item.op.args.id) gone.push(other.seq);
  }
  await drop(...gone);
  await refresh();
  // The button pressed is gone: the keyboard lands on the list's heading, or on the findings' heading.
  const heading = document.getElementById("offline-queue-h") || document.getElementById("findings-h");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

// ---- sending -------------------------------------------------------------------------------------------

let sending = false;

async function send() {
  if (sending || !user || !navigator.onLine) return;
  sending = true;
  try {
    let items = await queued();
    if (!items.length) return;
    const state = await fetch("/session/state", { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" });
    const who = state.headers.get("Content-Type") === "application/json" ? await state.json() : {};
    paused = state.status === 401 || (state.ok && who.user_id !== user);
    if (!state.ok || paused) return;
    const headers = { "X-CSRFToken": who.csrf_token, Accept: "application/json" };
    const ops = items.filter((item) => item.type === "op");
    if (ops.length) {
      await put(...ops.map((item) => ({ ...item, attempted: true })));
      const response = await fetch("/api/v1/sync", {
        method: "POST",
        credentials: "same-origin",
        headers: { ...headers, "Content-Type": "application/json" },
        body: JSON.stringify({ on_error: "continue", operations: ops.map((item) => item.op) }),
      });
      if (response.status === 401) {
        paused = true;
        return;
      }
      if (!response.ok) return;
      const answer = await response.json();
      const byId = new Map(ops.map((item) => [item.op.id, item]));
      const done = [];
      const refused = [];
      for (const result of answer.results || []) {
        const item = byId.get(result.id);
        if (!item) continue;
        if (result.status < 400) done.push(item.seq);
        else refused.push({ ...item, attempted: true, problem: (result.problem && (result.problem.detail || result.problem.title)) || String(result.status) });
      }
      if (refused.length) await put(...refused);
      if (done.length) await drop(...done);
    }
    items = await queued();
    const waiting = new Set(items.filter((item) => item.type === "op" && item.op.op === "add_finding").map((item) => item.op.args.id));
    for (const photo of items.filter((item) => item.type === "photo" && !waiting.has(item.finding))) {
      const form = new FormData();
      form.append("file", photo.blob, photo.name);
      form.append("id", photo.id);
      const response = await fetch(`/api/v1/findings/${photo.finding}/evidence`, {
        method: "POST",
        credentials: "same-origin",
        headers: { ...headers, "Idempotency-Key": `photo:${photo.id}` },
        body: form,
      });
      if (response.status === 401) {
        paused = true;
        return;
      }
      if (response.ok) await drop(photo.seq);
      else if (response.status >= 400 && response.status < 500) {
        const problem = await response.json().catch(() => ({}));
        await put({ ...photo, problem: problem.detail || problem.title || String(response.status) });
      }
    }
  } catch (e) {
    /* no network after all: the queue waits */
  } finally {
    sending = false;
    await refresh();
  }
}

if (user) {
  forgetOthersPages();
  offlineForms();
  refresh().then(send);
  keepPages();
  window.addEventListener("online", send);
  window.addEventListener("offline", refresh);
  setInterval(send, SYNC_EVERY_MS);
}
