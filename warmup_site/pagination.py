"""API pagination (its own module: DRF imports it while loading its settings)."""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class Pagination(pagination.LimitOffsetPagination):
    """`?limit=&offset=`, strictly: DRF ignores a limit or offset it cannot read (`offset=null`
    gave the first page, `limit=-1` the default page size) and cuts a limit over the maximum
    without saying so; here each is a 400 naming the parameter, as the schema says."""

    default_limit = 100
    max_limit = 1000

    def get_limit(self, request) -> int:
        return self._read(request, self.limit_query_param, self.default_limit, 1, self.max_limit)

    def get_offset(self, request) -> int:
        return self._read(request, self.offset_query_param, 0, 0, None)

    @staticmethod
    def _read(request, name: str, default: int, least: int, most: int | None) -> int:
        if name not in request.query_params:
            return default
        text = request.query_params[name]
        bounds = f"from {least} to {most:,}" if most else f"{least} or more"
        if not (text.isascii() and text.isdigit()) or not (
            least <= int(text) <= (most or int(text))
        ):
            raise ValidationError({name: [f"{text!r} is not a whole number {bounds}."]})
        return int(text)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"].update(
                    minimum=1, maximum=self.max_limit, default=self.default_limit
                )
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"].update(minimum=0, default=0)
        return parameters
