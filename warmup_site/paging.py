"""Pages of long lists on the HTML pages: `?page=N`, keeping the list's search and filter."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator


@dataclass(frozen=True)
class Listing:
    page: Page
    query: str  # the other parameters, for the page links ("q=acme&state=warm")
    q: str
    state: str

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.state)

    def link(self, number: int) -> str:
        params = f"{self.query}&" if self.query else ""
        return f"?{params}page={number}"

    @property
    def links(self) -> list[dict]:
        """The pages to link: the first, the last and two around the current one, with a gap
        marker between runs: [{number, url, current, gap}]."""
        last, current = self.page.paginator.num_pages, self.page.number
        wanted = sorted({1, last, *range(max(current - 2, 1), min(current + 2, last) + 1)})
        shown: list[dict] = []
        for number in wanted:
            if shown and number - shown[-1]["number"] > 1:
                shown.append({"number": 0, "url": "", "current": False, "gap": True})
            shown.append(
                {
                    "number": number,
                    "url": self.link(number),
                    "current": number == current,
                    "gap": False,
                }
            )
        return shown

    @property
    def previous_url(self) -> str:
        return self.link(self.page.previous_page_number()) if self.page.has_previous() else ""

    @property
    def next_url(self) -> str:
        return self.link(self.page.next_page_number()) if self.page.has_next() else ""


def listing(request, queryset, *, per_page: int, states: set[str]) -> Listing:
    """The page of `queryset` the request asks for. `q` (search) and `state` (one of `states`,
    anything else is ignored) must already be applied by the caller, who reads them with
    `search_terms`."""
    q, state = search_terms(request, states=states)
    params = {key: value for key, value in (("q", q), ("state", state)) if value}
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    return Listing(page=page, query=urlencode(params), q=q, state=state)


def search_terms(request, *, states: set[str]) -> tuple[str, str]:
    """(search text, state) from the query string; an unknown state is no filter."""
    q = " ".join(request.GET.get("q", "").split())[:200]
    state = request.GET.get("state", "")
    return q, state if state in states else ""
