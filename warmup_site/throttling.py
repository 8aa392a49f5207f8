"""DRF throttles that identify clients by `warmup_site.client_ip` (never by a header the client
can set: DRF's own throttles use the whole X-Forwarded-For header unless NUM_PROXIES is set)."""

from rest_framework import throttling

from warmup_site.client_ip import client_ip


class ClientIpMixin:
    def get_ident(self, request):
        return client_ip(request)


class AnonRateThrottle(ClientIpMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientIpMixin, throttling.UserRateThrottle):
    pass
