/* Progressive enhancement of a conversation page: what the page shows is marked read without a click. The
   "Mark as read" button does the same without JavaScript; the mark only goes as far as the newest message shown. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-mark-read]");
  if (!form || !window.fetch || !window.FormData) { return; }
  fetch(form.action, { method: "POST", body: new FormData(form), headers: { "Accept": "application/json" }, credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (data) {
      if (data.unread === 0) { form.hidden = true; }
      var count = document.querySelector(".nav .count");
      if (count && data.unread === 0) { count.hidden = true; }
    })
    .catch(function () { /* the button is still there */ });
})();
