// Page-wide behaviour: the theme toggle, the loading bar for htmx requests, confirmations and
// announcements for screen readers. No inline scripts anywhere: behaviour hangs off data-attributes.
(function () {
  "use strict";

  var root = document.documentElement;

  function currentTheme() {
    var chosen = root.getAttribute("data-theme");
    if (chosen === "light" || chosen === "dark") return chosen;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function setTheme(theme) {
    root.setAttribute("data-theme", theme);
    try {
      window.localStorage.setItem("theme", theme);
    } catch (e) {
      // Not stored: the choice lasts for this page only.
    }
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.setAttribute("aria-label", theme === "dark" ? "Switch to light theme" : "Switch to dark theme");
    });
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-theme-toggle]");
    if (toggle) {
      setTheme(currentTheme() === "dark" ? "light" : "dark");
      return;
    }
    // <button data-confirm="Really?"> on a plain (non-htmx) form asks first.
    var confirmer = event.target.closest("[data-confirm]");
    if (confirmer && !window.confirm(confirmer.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // <select data-autosubmit> submits its form when changed (e.g. directory filters).
  document.addEventListener("change", function (event) {
    var el = event.target.closest("[data-autosubmit]");
    if (el && el.form) {
      if (el.form.requestSubmit) el.form.requestSubmit();
      else el.form.submit();
    }
  });

  // A button that just changed under the pointer (Follow -> Following) shows its hover face ("Unfollow")
  // only once the pointer has left it and come back.
  document.addEventListener("mouseout", function (event) {
    var fresh = event.target.closest && event.target.closest(".is-fresh");
    if (fresh && !fresh.contains(event.relatedTarget)) fresh.classList.remove("is-fresh");
  });

  // A publisher's picture that cannot be loaded leaves no empty box behind (error events do not bubble:
  // listen while capturing).
  document.addEventListener("error", function (event) {
    var el = event.target;
    if (el && el.tagName === "IMG") el.classList.add("img-failed");
  }, true);

  // One global loading bar while any htmx request runs; buttons get .htmx-request from htmx itself.
  var pending = 0;
  function done() {
    pending = Math.max(0, pending - 1);
    if (pending === 0) document.body.classList.remove("is-loading");
  }
  document.addEventListener("htmx:beforeRequest", function () {
    pending += 1;
    document.body.classList.add("is-loading");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    done();
    // <form data-reset-after> empties itself once its request succeeded (e.g. "New folder").
    var form = event.detail && event.detail.elt;
    if (form && form.matches && form.matches("form[data-reset-after]") && event.detail.successful) form.reset();
  });
  document.addEventListener("htmx:sendAbort", done);

  // A response may carry HX-Trigger: {"announce": "Saved"}; screen readers hear it.
  document.addEventListener("announce", function (event) {
    var region = document.getElementById("live-region");
    var text = event.detail && (event.detail.value || event.detail);
    if (region && typeof text === "string") {
      region.textContent = "";
      window.setTimeout(function () { region.textContent = text; }, 50);
    }
  });

  // A failed htmx request must not look like nothing happened.
  document.addEventListener("htmx:responseError", function (event) {
    var region = document.getElementById("live-region");
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    var message = status === 403 ? "You are not allowed to do that." :
      status === 404 ? "That item no longer exists." : "Something went wrong. Please try again.";
    if (region) region.textContent = message;
    showToast(message);
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("The server cannot be reached. Check your connection.");
  });

  function showToast(message) {
    var toast = document.createElement("p");
    toast.className = "alert alert-error toast";
    toast.setAttribute("role", "alert");
    toast.textContent = message;
    document.body.appendChild(toast);
    window.setTimeout(function () { toast.remove(); }, 5000);
  }
})();
