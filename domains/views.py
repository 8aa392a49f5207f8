"""The Verified Domains pages. They work without JavaScript; static/js/domains.js only adds
feedback while a check runs (copy buttons and confirmations come from base.js)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.views import manager_required, membership_required
from domains import selectors, services
from domains.forms import DomainAddForm
from domains.models import Domain
from warmup_site.errors import ApplicationError, RateLimited


def _get(request, pk: int) -> Domain:
    return get_object_or_404(selectors.domain_detail().for_account(request.account), pk=pk)


@membership_required
def domain_list(request):
    domains = selectors.domain_list_for_page(account=request.account)
    return render(request, "domains/list.html", {"domains": domains})


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
    return render(
        request,
        "domains/detail.html",
        {
            "domain": domain,
            "records": records,
            "keys": domain.dkim_keys.all(),
            "warmup": selectors.warmup_summary(domain),
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


@manager_required
@require_POST
def domain_warmup(request, pk: int):
    """The Domain Warmup switch (a plain form POST: enabled=1 or enabled=0)."""
    domain = _get(request, pk)
    enabled = request.POST.get("enabled") in ("1", "true", "on")
    try:
        switched = services.domain_warmup_set(
            domain=domain, enabled=enabled, actor=request.user.get_username()
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Domain Warmup is on for {domain.unicode_name}: the first messages go out today."
            if switched.enabled
            else f"Domain Warmup is off for {domain.unicode_name}. Nothing more is sent; the "
            "history stays.",
        )
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
