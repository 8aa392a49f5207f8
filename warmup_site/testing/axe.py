"""axe-core in the browser tests: the automated WCAG 2 A/AA check of a page.

axe-core comes from npm through warmup_site/tests/a11y/package.json (`make axe`, run by
.ci/run). Missing locally, the test is skipped with that command; missing in CI, it fails.
axe runs in the page through Playwright's evaluate(), which the page's Content-Security-Policy
does not govern, so the page keeps its real policy while it is checked.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from warmup_site.testing import in_ci

AXE = Path(__file__).resolve().parents[1] / "tests" / "a11y" / "node_modules" / "axe-core"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def axe_source() -> str:
    path = AXE / "axe.min.js"
    if path.exists():
        return path.read_text()
    reason = "axe-core is not installed: run `make axe` (npm ci in warmup_site/tests/a11y)"
    if in_ci():
        pytest.fail(reason + " (CI=true: tests may not skip for this)", pytrace=False)
    pytest.skip(reason)


def axe_violations(page, *, exclude: list[str] | None = None) -> list[dict]:
    """The page's WCAG 2.1 A and AA violations, each {id, impact, help, nodes: [selector…]}."""
    source = axe_source()
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    results = page.evaluate(
        """async ([tags, exclude]) => {
            const context = exclude.length ? {exclude: exclude.map((s) => [s])} : document;
            const found = await window.axe.run(context, {runOnly: {type: "tag", values: tags}});
            return found.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
            }));
        }""",
        [TAGS, exclude or []],
    )
    return results


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(v['nodes'])}" for v in violations
    )
