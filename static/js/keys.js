// Keyboard shortcuts for reading: j/k next/previous story, o open, s save, m read/unread, r refresh,
// ? help. Never while typing in a field, never with Ctrl/Alt/Meta (those belong to the browser).
//
// Pages opt in with data-attributes, so there is nothing inline (CSP forbids inline scripts):
//   a list of stories: [data-story] items (with data-article-id) holding a [data-story-link],
//     and inside each story a [data-key-save] and a [data-key-mark] button;
//   a page about one story: [data-key-next], [data-key-prev], [data-key-open], [data-key-save],
//     [data-key-mark] anywhere on the page;
//   [data-key-refresh]: a link that reloads the river; [data-load-more]: the "load more" trigger.
(function () {
  "use strict";

  var SHORTCUTS = [
    ["j", "Next story"],
    ["k", "Previous story"],
    ["o", "Open the story (on a story: the original)"],
    ["s", "Save to Read later, or unsave"],
    ["m", "Mark read or unread"],
    ["r", "Refresh the river"],
    ["?", "Show or hide this help"],
  ];

  // The selected story is remembered by its article id: htmx replaces a card when it changes
  // (read/unread), and the selection must survive that.
  var selectedId = null;

  function isTyping(target) {
    if (!target || !target.closest) return false;
    if (target.isContentEditable) return true;
    return !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
  }

  function stories() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-story]"));
  }

  function selected() {
    if (selectedId === null) return null;
    return document.querySelector('[data-story][data-article-id="' + selectedId + '"]');
  }

  function select(story) {
    var previous = document.querySelectorAll("[data-story].is-selected");
    Array.prototype.forEach.call(previous, function (el) {
      el.classList.remove("is-selected");
      el.removeAttribute("aria-current");
    });
    if (!story) return;
    selectedId = story.getAttribute("data-article-id");
    story.classList.add("is-selected");
    story.setAttribute("aria-current", "true");
    var link = story.querySelector("[data-story-link]");
    // Focus follows the selection so screen readers announce the title and Enter opens it.
    if (link) link.focus({ preventScroll: true });
    var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    story.scrollIntoView({ block: "nearest", behavior: reduce ? "auto" : "smooth" });
  }

  function move(step) {
    var list = stories();
    if (!list.length) {
      // On an article page j/k follow its next/previous links.
      var link = document.querySelector(step > 0 ? "[data-key-next]" : "[data-key-prev]");
      if (link) link.click();
      return;
    }
    var current = selected();
    var index = current ? list.indexOf(current) : -1;
    if (index === -1) {
      // Start from the story the focus is in, if any, else from the top.
      var focused = document.activeElement && document.activeElement.closest
        ? document.activeElement.closest("[data-story]") : null;
      index = focused ? list.indexOf(focused) : -1;
      if (index === -1) {
        select(list[step > 0 ? 0 : list.length - 1]);
        return;
      }
    }
    var next = index + step;
    if (next >= list.length) {
      // At the end: fetch the next page, then select its first story when it arrives.
      var more = document.querySelector("[data-load-more]");
      if (more) {
        pendingAdvance = list.length;
        more.click();
      }
      return;
    }
    if (next < 0) return;
    select(list[next]);
  }

  var pendingAdvance = null;
  document.addEventListener("htmx:afterSettle", function () {
    if (pendingAdvance !== null) {
      var list = stories();
      if (list.length > pendingAdvance) select(list[pendingAdvance]);
      pendingAdvance = null;
    } else if (selectedId !== null && selected()) {
      // A card was swapped (read/unread): keep it marked as selected.
      var story = selected();
      story.classList.add("is-selected");
      story.setAttribute("aria-current", "true");
    }
  });

  // The story the keys act on; a page about one story acts on itself. A list with nothing selected
  // acts on nothing, rather than on whichever story happens to come first.
  function scope() {
    return selected() || (stories().length ? null : document);
  }

  function clickIn(root, selector) {
    var el = root ? root.querySelector(selector) : null;
    if (el) {
      el.click();
      return true;
    }
    return false;
  }

  function openStory() {
    var story = selected();
    if (story) {
      var link = story.querySelector("[data-story-link]");
      if (link) link.click();
      return;
    }
    var original = document.querySelector("[data-key-open]");
    if (original) {
      window.open(original.href, "_blank", "noopener,noreferrer");
    }
  }

  function refresh() {
    var link = document.querySelector("[data-key-refresh]");
    if (link) window.location.assign(link.href);
    else window.location.reload();
  }

  var dialog = null;

  function helpDialog() {
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.className = "keys-help";
    dialog.setAttribute("aria-labelledby", "keys-help-title");
    var title = document.createElement("h2");
    title.id = "keys-help-title";
    title.textContent = "Keyboard shortcuts";
    dialog.appendChild(title);
    // A table: app.css styles .table on every page (keys.js runs on pages without reading.css).
    var list = document.createElement("table");
    list.className = "table keys-help__list";
    var body = document.createElement("tbody");
    SHORTCUTS.forEach(function (pair) {
      var row = document.createElement("tr");
      // A td, not a th: .table th is upper-cased, and "J" is not the key "j".
      var key = document.createElement("td");
      var kbd = document.createElement("kbd");
      kbd.textContent = pair[0];
      key.appendChild(kbd);
      var what = document.createElement("td");
      what.textContent = pair[1];
      row.appendChild(key);
      row.appendChild(what);
      body.appendChild(row);
    });
    list.appendChild(body);
    dialog.appendChild(list);
    var form = document.createElement("form");
    form.method = "dialog";
    var close = document.createElement("button");
    close.className = "btn";
    close.textContent = "Close";
    form.appendChild(close);
    dialog.appendChild(form);
    // A click on the backdrop (outside the box) closes it too.
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();
    });
    document.body.appendChild(dialog);
    return dialog;
  }

  function toggleHelp() {
    var box = helpDialog();
    if (box.open) box.close();
    else if (box.showModal) box.showModal();
    else box.setAttribute("open", "");
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    if (dialog && dialog.open && event.key !== "?") return;
    switch (event.key) {
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "o":
        openStory();
        break;
      case "s":
        if (!clickIn(scope(), "[data-key-save]")) return;
        break;
      case "m":
        if (!clickIn(scope(), "[data-key-mark]")) return;
        break;
      case "r":
        refresh();
        break;
      case "?":
        toggleHelp();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  // Clicking a story (not one of its buttons) selects it, so the keys then act on it.
  document.addEventListener("click", function (event) {
    var story = event.target.closest && event.target.closest("[data-story]");
    if (story && !event.target.closest("a, button, form")) select(story);
  });

  // The bookmarklet is for dragging to the bookmarks bar; clicking it here does nothing useful.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-bookmarklet]");
    if (link) {
      event.preventDefault();
      var region = document.getElementById("live-region");
      if (region) region.textContent = "Drag this button to your bookmarks bar, then use it on any page.";
    }
  });
})();
