// Verified Domains: say that a check is running (it can take a few seconds). The form posts
// normally; the page works the same without this script.
(function () {
  "use strict";
  document.querySelectorAll(".verify-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[data-busy-label]");
      if (!button) { return; }
      // Disable after the submit has been dispatched, or the button's own click is lost.
      setTimeout(function () {
        button.disabled = true;
        button.textContent = button.dataset.busyLabel;
      }, 0);
    });
  });
})();
