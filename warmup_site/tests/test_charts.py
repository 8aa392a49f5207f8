"""The charts' shared pieces: the vendored plotly.js, the provider colours, figure validation,
the template filters."""

import re
from pathlib import Path

import plotly.offline
import pytest

from warmup_site import charts
from warmup_site.templatetags.warmup import percent, thousands

PLOTLY_JS = (
    Path(__file__).resolve().parents[2] / "static" / "vendor" / "plotly" / "plotly-basic.min.js"
)


def test_the_vendored_plotly_js_is_the_version_python_plotly_builds_for():
    header = PLOTLY_JS.read_text()[:200]

    version = re.search(r"v(\d+\.\d+\.\d+)", header).group(1)
    assert version == plotly.offline.get_plotlyjs_version()


def test_the_vendored_plotly_js_needs_no_unsafe_eval():
    source = PLOTLY_JS.read_text()

    assert "new Function" not in source
    assert not re.search(r"[^\w.]eval\(", source)


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@pytest.mark.parametrize("colour", [*charts.PROVIDER_COLOURS.values(), *charts.EXTRA_COLOURS])
def test_every_provider_colour_stands_out_on_white(colour):
    assert 1.05 / (_luminance(colour) + 0.05) >= 3  # WCAG 1.4.11 for graphics


def test_providers_keep_their_colour_and_new_ones_get_a_stable_one():
    assert charts.provider_colour("google") == "#1f77b4"
    assert len(set(charts.PROVIDER_COLOURS.values())) == len(charts.PROVIDER_COLOURS)
    assert charts.provider_colour("fastmail") == charts.provider_colour("fastmail")
    assert charts.provider_colour("fastmail") in charts.EXTRA_COLOURS


def test_a_figure_is_validated_by_plotly():
    good = charts.figure(data=[{"type": "bar", "x": [1], "y": [2]}], layout=charts.base_layout())

    assert good["data"][0]["type"] == "bar" and good["config"]["displaylogo"] is False
    assert len(str(good["layout"]["template"])) < 100  # not plotly's ~10 KB default
    with pytest.raises(ValueError, match="colr"):
        charts.figure(data=[{"type": "bar", "colr": "red"}], layout={})


def test_numbers_read_with_thousands_separators():
    assert thousands(14758) == "14,758"
    assert thousands(None) == ""
    assert thousands("n/a") == "n/a"
    assert percent(0.835) == "84%" and percent(None) == "—"
