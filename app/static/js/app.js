/* Progressive enhancement only: every form works without this file. */
(function () {
  "use strict";
  // Idle timeout warning (WCAG 2.2.1): shown before the server ends the session, with a way to continue.
  var body = document.body;
  var timeout = parseInt(body.getAttribute("data-idle-timeout") || "0", 10);
  var warning = parseInt(body.getAttribute("data-idle-warning") || "120", 10);
  var dialog = document.getElementById("idle-warning");
  if (!timeout || !dialog || typeof dialog.showModal !== "function") { return; }
  var timer = null;
  var ticker = null;
  var deadline = 0;
  var spoken = null;
  var countdown = dialog.querySelector("[data-idle-countdown]");
  var clock = dialog.querySelector("[data-idle-clock]");
  var announce = dialog.querySelector("[data-idle-announce]");
  function say(left) {
    // Spoken at each whole minute and at 30 and 10 seconds only: a screen reader is not interrupted every second.
    if (!announce) { return; }
    var text = null;
    if (left <= 0) { text = announce.getAttribute("data-ended"); }
    else if (left % 60 === 0) {
      var minutes = left / 60;
      text = minutes === 1 ? announce.getAttribute("data-minutes-one")
        : announce.getAttribute("data-minutes-other").replace("{n}", String(minutes));
    } else if (left === 30 || left === 10 || spoken === null) {
      text = left >= 60 ? null : announce.getAttribute("data-seconds").replace("{n}", String(left));
    }
    if (text && text !== spoken) { announce.textContent = text; spoken = text; }
  }
  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    if (clock) { clock.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2); }
    say(left);
    if (left <= 0 && ticker) { clearInterval(ticker); ticker = null; }
  }
  function open() {
    if (dialog.open) { return; }
    spoken = null;
    if (countdown) { countdown.hidden = false; }
    dialog.showModal();
    tick();
    if (ticker) { clearInterval(ticker); }
    ticker = setInterval(tick, 1000);
  }
  function schedule(seconds) {
    if (timer) { clearTimeout(timer); }
    if (ticker) { clearInterval(ticker); ticker = null; }
    deadline = Date.now() + seconds * 1000;
    timer = setTimeout(open, Math.max(seconds - warning, 5) * 1000);
  }
  var form = dialog.querySelector("form");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, { method: "POST", body: new FormData(form), headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { dialog.close(); schedule(data.idle_timeout_seconds || timeout); })
      .catch(function () { form.submit(); });
  });
  schedule(timeout);
})();
/* Drafts (DESIGN.md 4.8): what a person types into a form marked data-autosave is kept in this browser, under
   their own id, until the server confirms that very form: the page after a successful save names the form's key in
   <body data-saved-drafts>. An error page, the login page or the browser's offline page never names it, so nothing
   typed is lost there. A kept draft is put back into its form (even over older text from the server) with a notice
   and a way to discard it. A form the server kept after a session ran out comes back in #kept-form-draft. */
(function () {
  "use strict";
  var store;
  try { store = window.localStorage; store.getItem("x"); } catch (e) { return; }
  if (!store) { return; }
  var body = document.body;
  var user = body.getAttribute("data-user-id");
  var strings = {};
  try { strings = JSON.parse((document.getElementById("ui-strings") || {}).textContent || "{}"); } catch (e) { strings = {}; }
  var PREFIX = "tillsyn-draft:v2:";
  // Drafts from before they were kept per person could be anyone's: they are never shown.
  Object.keys(store).forEach(function (name) {
    if (name.indexOf("tillsyn-draft:") === 0 && name.indexOf(PREFIX) !== 0) { store.removeItem(name); }
  });
  if (!user) { return; }  // not logged in (the login page among others): drafts are left alone
  var mine = PREFIX + user + ":";
  function read(key) {
    try { return JSON.parse(store.getItem(mine + key) || "null"); } catch (e) { return null; }
  }
  function write(key, fields) {
    try { store.setItem(mine + key, JSON.stringify({ fields: fields, at: new Date().toISOString() })); } catch (e) { /* full: the form still holds it */ }
  }
  // Forget what the server confirmed, but only text sent as it stands: a page the tablet kept (and shows again
  // without a network) still carries its old confirmation, which must not take newer typing with it.
  (body.getAttribute("data-saved-drafts") || "").split(" ").forEach(function (key) {
    var draft = key && read(key);
    if (draft && draft.sent && draft.sent >= draft.at) { store.removeItem(mine + key); }
  });
  var keptFromServer = null;
  var keptNode = document.getElementById("kept-form-draft");
  if (keptNode) {
    try { keptFromServer = JSON.parse(keptNode.textContent); } catch (e) { keptFromServer = null; }
    // The browser's own copy, when there is one, is at least as new as what the server kept.
    if (keptFromServer && keptFromServer.draft_key && keptFromServer.fields && !read(keptFromServer.draft_key)) {
      write(keptFromServer.draft_key, keptFromServer.fields);
    }
  }

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || el.name === "draft_key" || el.disabled) { return false; }
      return /^(textarea|select-one|text|number|date|email|radio|checkbox|search|tel|url)$/.test(el.type);
    });
  }
  function valuesOf(fields) {
    var data = {};
    fields.forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") { if (el.checked) { data[el.name] = el.value; } }
      else if (el.value) { data[el.name] = el.value; }
    });
    return data;
  }
  function apply(fields, data) {
    fields.forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") { el.checked = data[el.name] === el.value; }
      else { el.value = data[el.name] || ""; }
    });
  }
  function same(a, b) {
    var keys = Object.keys(a).concat(Object.keys(b));
    return keys.every(function (k) { return (a[k] || "") === (b[k] || ""); });
  }
  function when(iso) {
    try { return new Date(iso).toLocaleString(document.documentElement.lang || undefined, { dateStyle: "short", timeStyle: "short" }); }
    catch (e) { return iso; }
  }

  function notice(form, key, draft, original, fields) {
    var box = document.createElement("div");
    box.className = "draft-notice";
    box.setAttribute("role", "status");
    var text = document.createElement("p");
    text.textContent = (strings.restored || "Restored text that was not sent ({time}).").replace("{time}", when(draft.at));
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button secondary";
    discard.textContent = strings.discard || "Discard";
    discard.addEventListener("click", function () {
      apply(fields, same(original, draft.fields) ? {} : original);
      store.removeItem(mine + key);
      text.textContent = strings.discarded || "Discarded.";
      discard.remove();
      var first = fields.filter(function (el) { return el.tagName === "TEXTAREA"; })[0] || fields[0];
      if (first) { first.focus(); }
    });
    box.appendChild(text);
    box.appendChild(discard);
    form.insertBefore(box, form.firstChild);
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-autosave]"), function (form) {
    var key = form.getAttribute("data-autosave");
    if (!form.elements.draft_key) {  // the server names this form's key on the page after it was saved
      var marker = document.createElement("input");
      marker.type = "hidden";
      marker.name = "draft_key";
      marker.value = key;
      form.appendChild(marker);
    }
    var fields = fieldsOf(form);
    var original = valuesOf(fields);
    var draft = read(key);
    var fromServer = keptFromServer && keptFromServer.draft_key === key;
    if (draft && draft.fields && (fromServer || !same(draft.fields, original))) {
      apply(fields, draft.fields);
      notice(form, key, draft, original, fields);
    }
    function save() {
      var now = valuesOf(fields);
      if (same(now, original) && !read(key)) { return; }
      write(key, now);
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function () {
      var draft = read(key);
      if (!draft) { return; }
      draft.sent = new Date().toISOString();  // confirmed by the next page only if nothing is typed after this
      try { store.setItem(mine + key, JSON.stringify(draft)); } catch (e) { /* kept as it was */ }
    });
  });

  // Logging out warns about unsent drafts and deletes them only when the person confirms (without this script the
  // button simply logs out; the drafts then stay under this person's id, shown to no one else).
  var logout = document.getElementById("logout-form");
  var dialog = document.getElementById("logout-warning");
  if (!logout || !dialog || typeof dialog.showModal !== "function") { return; }
  function myDrafts() {
    return Object.keys(store).filter(function (name) { return name.indexOf(mine) === 0; });
  }
  logout.addEventListener("submit", function (event) {
    var drafts = myDrafts();
    if (!drafts.length) { return; }
    event.preventDefault();
    var n = drafts.length;
    var text = n === 1 ? strings.logout_drafts_one : (strings.logout_drafts_many || "{n}").replace("{n}", String(n));
    if (parseInt(body.getAttribute("data-pending-changes") || "0", 10) > 0 && strings.logout_queue) { text += " " + strings.logout_queue; }
    document.getElementById("logout-warning-text").textContent = text;
    dialog.showModal();
  });
  dialog.querySelector("[data-logout-confirm]").addEventListener("click", function () {
    myDrafts().forEach(function (name) { store.removeItem(name); });
    dialog.close();
    logout.submit();
  });
  dialog.querySelector("[data-logout-cancel]").addEventListener("click", function () { dialog.close(); });
})();
/* The person form's unit picker (issue 16): without this file "Find" posts the form back and the server lists the
   chosen units first and then those matching the search. With it, the list follows the search field as one types:
   ticked units stay first, the others are replaced by the units whose name holds the text (GET
   /people/unit-options), and the count is announced in the role=status line. Enter searches at once instead of
   submitting; ArrowDown from the field goes to the list, ArrowUp/ArrowDown move between the checkboxes. */
(function () {
  "use strict";
  var picker = document.querySelector("[data-unit-picker]");
  if (!picker || typeof fetch !== "function") { return; }
  var search = picker.querySelector("[data-unit-search]");
  var list = picker.querySelector("[data-unit-list]");
  var status = picker.querySelector("[data-unit-status]");
  var button = picker.querySelector("[data-unit-search-button]");
  var url = picker.getAttribute("data-options-url");
  var texts = document.getElementById("unit-picker-texts");
  var strings = texts ? JSON.parse(texts.textContent) : {};
  if (button) { button.hidden = true; }
  var timer = null;
  var asked = 0;
  function item(id, name, checked) {
    var li = document.createElement("li");
    var box = document.createElement("input");
    box.type = "checkbox"; box.name = "units"; box.id = "unit-" + id; box.value = id; box.checked = checked;
    var label = document.createElement("label");
    label.htmlFor = box.id; label.textContent = name;
    li.appendChild(box); li.appendChild(document.createTextNode(" ")); li.appendChild(label);
    if (checked) { li.setAttribute("data-chosen", ""); }
    return li;
  }
  function render(found) {
    var focused = list.contains(document.activeElement) ? document.activeElement.value : null;
    var chosen = [];
    Array.prototype.forEach.call(list.querySelectorAll("input[type=checkbox]"), function (box) {
      if (box.checked) { chosen.push({ id: box.value, name: box.parentNode.querySelector("label").textContent }); }
    });
    var ids = {};
    chosen.forEach(function (u) { ids[u.id] = true; });
    list.textContent = "";
    chosen.forEach(function (u) { list.appendChild(item(u.id, u.name, true)); });
    var shown = 0;
    found.forEach(function (u) { if (!ids[u.id]) { list.appendChild(item(u.id, u.name, false)); shown += 1; } });
    if (focused) {  // a re-rendered list keeps the keyboard where it was
      var again = document.getElementById("unit-" + focused);
      (again || search).focus();
    }
    var template = strings.many;
    if (status && template) { status.textContent = template.replace("%(n)d", String(shown)); }
  }
  function run() {
    var ticket = ++asked;
    fetch(url + "?q=" + encodeURIComponent(search.value), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (found) { if (ticket === asked) { render(found); } })
      .catch(function () { if (button) { button.hidden = false; } });
  }
  search.addEventListener("input", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(run, 200);
  });
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); if (timer) { clearTimeout(timer); } run(); }
    if (event.key === "ArrowDown") {
      var first = list.querySelector("input[type=checkbox]");
      if (first) { event.preventDefault(); first.focus(); }
    }
  });
  list.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") { return; }
    var boxes = Array.prototype.slice.call(list.querySelectorAll("input[type=checkbox]"));
    var at = boxes.indexOf(document.activeElement);
    if (at < 0) { return; }
    event.preventDefault();
    if (event.key === "ArrowDown" && at + 1 < boxes.length) { boxes[at + 1].focus(); }
    if (event.key === "ArrowUp") { (at > 0 ? boxes[at - 1] : search).focus(); }
  });
})();
