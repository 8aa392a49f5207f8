// Verified Domains: feedback while a check runs, and the Domain Warmup switch acting in place.
// The forms post normally; the pages work the same without this script.
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

  // The switch: post in the background and replace the warm-up card with the server's new one
  // (new state, provider rows, and the message beside the switch), keeping the focus on the
  // switch. Any failure falls back to the plain form post.
  function bindSwitch(root) {
    root.querySelectorAll("form[data-warmup-switch]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button");
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        form.querySelector(".switch-text").textContent = button.dataset.busyLabel;
        fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { "Accept": "application/json" },
          credentials: "same-origin"
        }).then(function (response) {
          if (!response.headers.get("Content-Type").startsWith("application/json")) {
            throw new Error("not JSON");
          }
          return response.json();
        }).then(function (data) {
          var card = document.getElementById("warmup");
          var holder = document.createElement("div");
          holder.innerHTML = data.html.trim();
          var fresh = holder.firstElementChild;
          card.replaceWith(fresh);
          bindSwitch(fresh);
          var status = fresh.querySelector("#warmup-status");
          var next = fresh.querySelector("button.switch");
          if (next) { next.focus({ preventScroll: true }); }
          status.scrollIntoView({ block: "nearest" });
        }).catch(function () {
          form.submit();
        });
      });
    });
  }
  bindSwitch(document);
})();
