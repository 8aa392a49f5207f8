"""API pagination (its own module: DRF imports it while loading its settings)."""

from rest_framework import pagination


class Pagination(pagination.LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000
