// Draws the charts of a page with the vendored plotly.js. Python's plotly built each figure
// (reputation/charts/); the page embeds it as JSON: <div data-chart="ID"> is drawn from the
// <script type="application/json" id="ID">. A set of figures ({"choices": {key: figure},
// "initial": key}) is drawn one at a time, picked by <select data-chart-choose="ID">.
// Without JavaScript the tables beside each chart carry the same figures.
(function () {
  "use strict";
  if (!window.Plotly) { return; }

  function draw(element, figure) {
    return window.Plotly.react(element, figure.data, figure.layout, figure.config).then(function () {
      element.dataset.plotted = "yes";
      element.dataset.traces = String(figure.data.length);
    });
  }

  var drawing = [];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var source = document.getElementById(element.dataset.chart);
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    if (!spec.choices) {
      drawing.push(draw(element, spec));
      return;
    }
    var picker = document.querySelector("[data-chart-choose='" + element.dataset.chart + "']");
    var key = spec.initial;
    if (picker) {
      picker.closest("[hidden]") && picker.closest("[hidden]").removeAttribute("hidden");
      picker.value = key;
      picker.addEventListener("change", function () {
        element.dataset.plotted = "no";
        draw(element, spec.choices[picker.value]);
      });
    }
    drawing.push(draw(element, spec.choices[key]));
  });
  Promise.all(drawing).then(function () { document.body.dataset.charts = "drawn"; });
})();
