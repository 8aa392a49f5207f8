"""The one exception type for broken business rules.

Services raise `ApplicationError(message, field=...)`; the API's exception handler turns it into
`400 {"message": ..., "field": ...}` and pages show the message next to the field.
"""


class ApplicationError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}


class NotFound(ApplicationError):
    status_code = 404


class RateLimited(ApplicationError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, extra={"retry_after": retry_after})
        self.retry_after = retry_after
