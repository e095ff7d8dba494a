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
  function schedule(seconds) {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { if (!dialog.open) { dialog.showModal(); } }, Math.max(seconds - warning, 5) * 1000);
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
/* Drafts are saved as they go: text typed into a form marked data-autosave is kept in this browser until the
   form is sent, so an expired session, a lost connection or a closed tab loses nothing. */
(function () {
  "use strict";
  if (!window.localStorage) { return; }
  // A form sent on the previous page came back without errors: forget its draft before anything is restored,
  // or the saved text would reappear in the emptied form.
  var sent = sessionStorage.getItem("tillsyn-sent");
  if (sent && !document.querySelector(".error-summary")) { localStorage.removeItem(sent); }
  sessionStorage.removeItem("tillsyn-sent");
  var forms = document.querySelectorAll("form[data-autosave]");
  Array.prototype.forEach.call(forms, function (form) {
    var key = "tillsyn-draft:" + form.getAttribute("data-autosave");
    var fields = form.querySelectorAll("textarea, input[type=text], input[type=radio], select");
    var saved = {};
    try { saved = JSON.parse(localStorage.getItem(key) || "{}"); } catch (e) { saved = {}; }
    Array.prototype.forEach.call(fields, function (el) {
      if (!el.name || !(el.name in saved)) { return; }
      if (el.type === "radio") { if (!form.querySelector("input[name='" + el.name + "']:checked")) { el.checked = el.value === saved[el.name]; } }
      else if (!el.value) { el.value = saved[el.name]; }
    });
    function store() {
      var data = {};
      Array.prototype.forEach.call(fields, function (el) {
        if (!el.name || el.name === "csrf_token") { return; }
        if (el.type === "radio") { if (el.checked) { data[el.name] = el.value; } } else if (el.value) { data[el.name] = el.value; }
      });
      localStorage.setItem(key, JSON.stringify(data));
    }
    form.addEventListener("input", store);
    form.addEventListener("change", store);
    form.addEventListener("submit", function () { sessionStorage.setItem("tillsyn-sent", key); });
  });
})();
