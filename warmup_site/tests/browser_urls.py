"""Pages for warmup_site/tests/test_browser.py, served beside the production URLs: a plotly
chart (plotly.js from the plotly package, as the reputation pages will vendor it) and a page
that breaks the Content-Security-Policy on purpose."""

from pathlib import Path

import plotly
from django.http import HttpResponse
from django.urls import path

from warmup_site.urls import urlpatterns as production

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

CHART_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>chart</title>
<link rel="icon" href="data:,">
<script src="/test/plotly.min.js"></script></head>
<body><div id="chart"></div><script src="/test/chart.js"></script></body></html>"""

CHART_JS = """
Plotly.newPlot("chart", [
  {x: ["2026-11-20", "2026-11-21", "2026-11-22"], y: [0.91, 0.95, 0.97], type: "scatter",
   mode: "lines+markers", name: "inbox rate"},
  {x: ["2026-11-20", "2026-11-21", "2026-11-22"], y: [120, 160, 210], type: "bar",
   name: "sent", yaxis: "y2"}
], {title: {text: "Google"}, yaxis2: {overlaying: "y", side: "right"}},
{displayModeBar: true}).then(() => { document.body.dataset.plotted = "yes"; });
"""

VIOLATING_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>bad</title>
<link rel="icon" href="data:,"></head>
<body><p>inline</p><script>document.title = "ran";</script></body></html>"""


def plotly_js(request):
    return HttpResponse(PLOTLY_JS.read_bytes(), content_type="application/javascript")


urlpatterns = [
    path("test/plotly.min.js", plotly_js),
    path("test/chart.js", lambda r: HttpResponse(CHART_JS, content_type="application/javascript")),
    path("test/chart/", lambda r: HttpResponse(CHART_PAGE)),
    path("test/violation/", lambda r: HttpResponse(VIOLATING_PAGE)),
    *production,
]
