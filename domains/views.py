"""The Verified Domains pages. They work without JavaScript; static/js/domains.js only adds
feedback while a check runs (copy buttons and confirmations come from base.js)."""

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.views import manager_required, membership_required
from domains import selectors, services
from domains.forms import DomainAddForm
from domains.models import Domain, DomainWarmup
from domains.switch_text import switch_sentence
from warmup_site import paging, panels
from warmup_site.errors import ApplicationError, RateLimited

# The message the switch leaves for the page carries this tag: the warm-up card shows it next
# to the switch, where the user is looking, instead of the top of the page.
WARMUP_MESSAGE_TAG = "warmup"


def _get(request, pk: int) -> Domain:
    return get_object_or_404(selectors.domain_detail().for_account(request.account), pk=pk)


PAGE_SIZE = 50
STATES = {*selectors.LIST_STATUSES, *selectors.LIST_WARMUP_STATES}


@membership_required
def domain_list(request):
    """The account's domains, 50 a page, searched by name and filtered by status or warm-up
    state; each row with its warm-up's progress."""
    q, state = paging.search_terms(request, states=STATES)
    domains = selectors.domain_list_for_page(account=request.account, q=q, state=state)
    listing = paging.listing(request, domains, per_page=PAGE_SIZE, states=STATES)
    rows = list(listing.page.object_list)
    prefetch_related_objects(rows, *selectors.warmup_prefetch())
    return render(
        request,
        "domains/list.html",
        {
            "listing": listing,
            "rows": [{"domain": d, "warmup": selectors.warmup_summary(d)} for d in rows],
            "any_domains": listing.filtered or bool(rows),
        },
    )


@manager_required
def domain_add(request):
    form = DomainAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            domain = services.domain_create(account=request.account, name=form.cleaned_data["name"])
        except ApplicationError as exc:
            form.add_error("name" if exc.field == "name" else None, exc.message)
        else:
            messages.success(
                request,
                f"{domain.unicode_name} was added. Publish the records below at your DNS host, "
                "then click Verify.",
            )
            return redirect("domains:detail", pk=domain.pk)
    return render(request, "domains/add.html", {"form": form})


def _records_url(domain: Domain) -> str:
    return reverse("domains:detail", args=[domain.pk]) + "#records"


def _render_detail(request, domain: Domain, *, status: int = 200):
    records = list(domain.records.all())
    for record in records:
        record.short_host = record.relative_host(domain.name)
    found = panels.panels("domain_detail", request=request, domain=domain)
    return render(
        request,
        "domains/detail.html",
        {
            "domain": domain,
            "records": records,
            "keys": domain.dkim_keys.all(),
            "warmup": selectors.warmup_summary(domain),
            "panels": found,
            "charts": panels.with_charts(found),
        },
        status=status,
    )


@membership_required
def domain_detail(request, pk: int):
    return _render_detail(request, _get(request, pk))


@membership_required
@require_POST
def domain_verify(request, pk: int):
    domain = _get(request, pk)
    try:
        services.domain_verify(domain=domain)
    except RateLimited as exc:
        messages.warning(request, exc.message)
        response = _render_detail(request, domain, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    domain = _get(request, pk)
    messages.add_message(request, *_verify_result(domain))
    return redirect(_records_url(domain))


def _verify_result(domain: Domain) -> tuple[int, str]:
    """The message after "Verify": the outcome, and which records to look at."""
    records = list(domain.records.all())
    wrong = [r.get_kind_display() for r in records if r.status in ("missing", "mismatch")]
    unchecked = [r.get_kind_display() for r in records if r.required and r.status == "error"]
    name = domain.unicode_name
    could_not = (
        f"We could not check {', '.join(unchecked)}: your DNS did not answer in time. That is "
        "usually temporary and changes nothing; try again in a few minutes."
        if unchecked
        else ""
    )
    if domain.status == Domain.Status.VERIFIED:
        note = (
            f" {', '.join(wrong)} still need{'s' if len(wrong) == 1 else ''} attention."
            if wrong
            else ""
        )
        return messages.SUCCESS, f"{name} is verified.{note} {could_not}".strip()
    if wrong:
        return messages.WARNING, (
            f"{name} is not verified yet: {', '.join(wrong)} need{'s' if len(wrong) == 1 else ''} "
            f"attention. See each record below. {could_not}"
        ).strip()
    return messages.WARNING, f"{name} is not verified yet. {could_not}".strip()


@manager_required
def domain_delete(request, pk: int):
    domain = _get(request, pk)
    if request.method == "POST":
        name = domain.unicode_name
        services.domain_delete(domain=domain)
        messages.success(request, f"{name} was removed.")
        return redirect("domains:list")
    return render(request, "domains/delete.html", {"domain": domain})


@manager_required
@require_POST
def domain_dkim_rotate(request, pk: int):
    domain = _get(request, pk)
    try:
        key = services.domain_dkim_rotate(domain=domain)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"A new DKIM key was made under the selector {key.selector}. Publish its record "
            "(below) and verify: the current key keeps signing until the new one checks out.",
        )
    return redirect(_records_url(domain))


def _stepped_today(domain: Domain) -> set[str]:
    """Providers whose daily step already ran today (read from the prefetched plans)."""
    today = timezone.now().date()
    try:
        plans = domain.warmup.plans.all()
    except DomainWarmup.DoesNotExist:
        return set()
    return {plan.provider.slug for plan in plans if plan.last_step_on == today}


@manager_required
@require_POST
def domain_warmup(request, pk: int):
    """The Domain Warmup switch: one button that posts enabled=1 or enabled=0. Without
    JavaScript the page reloads at the warm-up card with the message beside the switch; with it
    (static/js/domains.js asks for JSON) the card is replaced in place."""
    domain = _get(request, pk)
    enabled = request.POST.get("enabled") in ("1", "true", "on")
    before, stepped = selectors.warmup_summary(domain), _stepped_today(domain)
    try:
        services.domain_warmup_set(
            domain=domain, enabled=enabled, actor=request.user.get_username()
        )
    except ApplicationError as exc:
        level, text, status = messages.ERROR, exc.message, 400
    else:
        domain = _get(request, pk)
        text = switch_sentence(
            name=domain.unicode_name,
            before=before,
            after=selectors.warmup_summary(domain),
            stepped_today=stepped,
        )
        level, status = messages.SUCCESS, 200
    if request.headers.get("Accept", "").startswith("application/json"):
        warmup = selectors.warmup_summary(domain)
        html = render_to_string(
            "domains/_warmup.html",
            {
                "domain": domain,
                "warmup": warmup,
                "switch_message": text,
                "switch_level": messages.DEFAULT_TAGS[level],
            },
            request=request,
        )
        return JsonResponse(
            {"enabled": warmup.enabled, "state": warmup.state, "message": text, "html": html},
            status=status,
        )
    messages.add_message(request, level, text, extra_tags=WARMUP_MESSAGE_TAG)
    return redirect(reverse("domains:detail", args=[domain.pk]) + "#warmup")


@manager_required
@require_POST
def domain_warmup_keep_warm(request, pk: int):
    """Keep-warm after graduation on or off (a checkbox: keep_warm=1, or only the hidden 0)."""
    domain = _get(request, pk)
    keep_warm = "1" in request.POST.getlist("keep_warm")
    services.domain_warmup_keep_warm_set(domain=domain, keep_warm=keep_warm)
    messages.success(
        request,
        f"{domain.unicode_name} is kept warm after graduation."
        if keep_warm
        else f"No maintenance mail for {domain.unicode_name} after graduation; the history stays.",
    )
    return redirect(reverse("domains:detail", args=[domain.pk]) + "#warmup")
