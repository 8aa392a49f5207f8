"""The placement-test pages: start a test of a verified domain, then watch where each copy of
the campaign landed. They work without JavaScript (reload to see new results)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.views import membership_required
from domains.models import Domain
from engagement import selectors
from engagement.models import PlacementTest
from engagement.services.placement import placement_test_create
from warmup_site.errors import ApplicationError


@membership_required
@require_http_methods(["GET", "POST"])
def placement_tests(request):
    domains = Domain.objects.for_account(request.account).filter(status=Domain.Status.VERIFIED)
    if request.method == "POST":
        domain = domains.filter(pk=request.POST.get("domain") or 0).first()
        if domain is None:
            messages.error(request, "Choose one of your verified domains.")
        else:
            try:
                test = placement_test_create(domain=domain, actor=request.user.get_username())
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                return redirect("engagement:placement_test", pk=test.pk)
    tests = [
        selectors.placement_test_summary(t)
        for t in selectors.placement_test_list().for_account(request.account)[:50]
    ]
    return render(
        request,
        "engagement/placement_tests.html",
        {"tests": tests, "domains": domains.order_by("name")},
    )


@membership_required
def placement_test_detail(request, pk: int):
    test = get_object_or_404(selectors.placement_test_list().for_account(request.account), pk=pk)
    return render(
        request,
        "engagement/placement_test.html",
        {"summary": selectors.placement_test_summary(test), "header": PlacementTest.HEADER},
    )
