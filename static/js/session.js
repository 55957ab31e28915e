// Signed-in pages: nothing typed is lost when the session ends (30 minutes without a request).
// 1. A few minutes before the end, a warning with "Stay signed in" (a POST that renews the session).
// 2. Forms marked data-draft keep what is typed in this tab's sessionStorage, under the user and the page;
//    after signing in again the same form restores it. A draft holds what the form holds (the voter's phone
//    too, or nothing would be kept): it stays in this tab only (sessionStorage is gone when the tab closes),
//    is never sent anywhere, is deleted as soon as the form is saved, and is ignored after 12 hours.
(function () {
  "use strict";
  var body = document.body;
  var strings = document.getElementById("portal-strings");
  var DRAFT_MAX_AGE = 12 * 60 * 60 * 1000;
  var PENDING = "draft-pending";
  var store = null;
  try { store = window.sessionStorage; } catch (error) { store = null; }

  // --- the warning -------------------------------------------------------------------------------------
  var seconds = parseInt(body.getAttribute("data-session-seconds") || "0", 10);
  var warning = document.getElementById("session-warning");
  if (seconds && warning) {
    var textBox = document.getElementById("session-warning-text");
    var stay = document.getElementById("session-stay");
    var signIn = document.getElementById("session-sign-in");
    var lead = Math.min(5 * 60, Math.floor(seconds / 3));
    var warnTimer = null;
    var endTimer = null;
    var schedule = function () {
      clearTimeout(warnTimer);
      clearTimeout(endTimer);
      warning.hidden = true;
      warnTimer = setTimeout(function () {
        textBox.textContent = textBox.getAttribute("data-ending");
        stay.hidden = false;
        signIn.hidden = true;
        warning.hidden = false;
        stay.focus();
      }, (seconds - lead) * 1000);
      endTimer = setTimeout(ended, seconds * 1000);
    };
    var ended = function () {
      textBox.textContent = textBox.getAttribute("data-ended");
      stay.hidden = true;
      signIn.hidden = false;
      warning.hidden = false;
    };
    stay.addEventListener("click", function () {
      fetch(body.getAttribute("data-keep-alive-url"), {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-CSRFToken": body.getAttribute("data-csrf") || "", "X-Requested-With": "fetch" }
      }).then(function (response) {
        if (response.ok) { schedule(); } else { ended(); }
      }, ended);
    });
    schedule();
  }

  // --- drafts ------------------------------------------------------------------------------------------
  if (!store) { return; }
  var user = body.getAttribute("data-user");
  var onLoginPage = window.location.pathname === body.getAttribute("data-login-url");
  var form = document.querySelector("form[data-draft]");
  var key = user && form ? "draft:" + user + ":" + window.location.pathname : null;
  var SKIP = /^(csrfmiddlewaretoken|.*-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)$/;

  var pending = store.getItem(PENDING);
  if (pending && pending !== key && !onLoginPage) {
    // The form was posted and we landed somewhere else than the form or the sign-in page: it was saved.
    store.removeItem(pending);
    store.removeItem(PENDING);
  }
  if (!key) { return; }

  var read = function () {
    try {
      var draft = JSON.parse(store.getItem(key) || "null");
      if (draft && Date.now() - draft.saved < DRAFT_MAX_AGE) { return draft; }
    } catch (error) { /* a damaged draft is dropped below */ }
    store.removeItem(key);
    return null;
  };
  var save = function () {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (!SKIP.test(name) && typeof value === "string") { fields.push([name, value]); }
    });
    store.setItem(key, JSON.stringify({ saved: Date.now(), fields: fields }));
  };
  var restore = function (draft) {
    var values = {};
    draft.fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    var add = document.getElementById("add-opinion");
    Object.keys(values).forEach(function (name) {
      var guard = 0;
      while (!form.elements[name] && add && !add.disabled && guard < 25) { add.click(); guard += 1; }
      var element = form.elements[name];
      if (!element) { return; }
      var list = element.length !== undefined && !element.tagName ? Array.prototype.slice.call(element) : [element];
      list.forEach(function (input) {
        if (input.type === "checkbox" || input.type === "radio") {
          input.checked = values[name].indexOf(input.value) !== -1;
        } else if (input.tagName === "SELECT" && input.multiple) {
          Array.prototype.forEach.call(input.options, function (option) {
            option.selected = values[name].indexOf(option.value) !== -1;
          });
        } else {
          input.value = values[name][0];
        }
      });
    });
    // Checkboxes left unticked in the draft are absent from it: untick them too.
    Array.prototype.forEach.call(form.querySelectorAll("input[type=checkbox]"), function (box) {
      if (!values[box.name]) { box.checked = false; }
    });
    var notice = document.createElement("div");
    notice.className = "alert alert-info d-flex flex-wrap gap-2 align-items-center draft-restored";
    notice.setAttribute("role", "status");
    var message = document.createElement("span");
    message.textContent = strings.getAttribute("data-draft-restored");
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "btn btn-sm btn-outline-dark";
    discard.textContent = strings.getAttribute("data-draft-discard");
    discard.addEventListener("click", function () {
      store.removeItem(key);
      window.location.reload();
    });
    notice.appendChild(message);
    notice.appendChild(discard);
    form.insertBefore(notice, form.firstChild);
  };

  var draft = read();
  if (draft && form.getAttribute("data-draft-bound") !== "1") {
    restore(draft);
  }
  if (pending === key) { store.removeItem(PENDING); }
  var timer = null;
  var later = function (event) {
    // Picking another site reloads an untouched form (visits.js): that alone is not worth a draft.
    if (event.target.name === "site" && !store.getItem(key)) { return; }
    clearTimeout(timer);
    timer = setTimeout(save, 300);
  };
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("submit", function () {
    save();
    store.setItem(PENDING, key);
  });
})();
