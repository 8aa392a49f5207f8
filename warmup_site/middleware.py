"""Small middleware of our own."""

from csp.middleware import CSPMiddleware


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, skipping JSON answers.

    A policy governs what a *page* may load and run; a JSON answer is never rendered as a page
    (X-Content-Type-Options: nosniff is on), so the header would be dead weight on every API
    call — and django-csp builds it twice per response, about a tenth of the cost of the
    cheapest API request. Pages, the admin, Swagger UI and DRF's browsable API keep it.
    """

    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        return super().process_response(request, response)
