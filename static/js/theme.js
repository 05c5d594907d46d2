// Runs in <head>, before the first paint: applies the theme the reader chose (if any), so that a page never
// flashes the other theme. Without a stored choice, the CSS follows prefers-color-scheme.
(function () {
  // Styles may count on JavaScript being there (e.g. drop a submit button that live search replaces).
  document.documentElement.classList.add("js");
  try {
    var theme = window.localStorage.getItem("theme");
    if (theme === "light" || theme === "dark") {
      document.documentElement.setAttribute("data-theme", theme);
    }
  } catch (e) {
    // Storage can be blocked (private mode, strict settings): the system theme still applies.
  }
})();
