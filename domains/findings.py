"""What checking one DNS record found, before it is written to a `DomainRecord`."""

from dataclasses import dataclass

from domains.models import DomainRecord

Status = DomainRecord.Status


@dataclass(frozen=True)
class Finding:
    status: str  # a DomainRecord.Status value
    found: str = ""  # what DNS returned, for people
    detail: str = ""  # one or two sentences: what is wrong and how to fix it (or why it is ok)
    value: str | None = None  # a new value to publish (SPF merged, DMARC recommended), if any

    @property
    def ok(self) -> bool:
        return self.status == Status.OK

    @property
    def definite_problem(self) -> bool:
        """Missing or wrong for sure: counts towards failing a verified domain."""
        return self.status in (Status.MISSING, Status.MISMATCH)

    @property
    def tempfail(self) -> bool:
        """DNS could not answer: a fact about nothing; changes no status."""
        return self.status == Status.ERROR


def tempfail_detail(what: str, error: str) -> str:
    return (
        f"We could not check {what}: {error}. This is usually temporary (your DNS host did not "
        "answer in time, or answered with an error). We will try again; nothing about the "
        "domain's status changes because of it."
    )
