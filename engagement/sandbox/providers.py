"""The providers the sandbox world simulates: which domain is whose, and its spam folder name.

Every provider of the registry that has consumer mailboxes has a sandbox domain, so the demo and
bench/domain_warmup.py can put seeds at all of them. Spam folder names follow the real providers
where the seed client must recognise them (Gmail's "[Gmail]/Spam", Outlook's "Junk Email",
Yahoo's "Bulk"), so its spam-folder resolution is exercised the same way as in production.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxProvider:
    slug: str  # the providers app's slug
    spam_folder: str


PROVIDERS: dict[str, SandboxProvider] = {
    "gmail.test": SandboxProvider("google", "[Gmail]/Spam"),
    "outlook.test": SandboxProvider("microsoft", "Junk Email"),
    "yahoo.test": SandboxProvider("yahoo", "Bulk"),
    "icloud.test": SandboxProvider("apple", "Junk"),
    "comcast.test": SandboxProvider("comcast", "Spam"),
    "gmx.test": SandboxProvider("united_internet", "Spam"),
    "yandex.test": SandboxProvider("yandex", "Spam"),
    "mailru.test": SandboxProvider("mailru", "Spam"),
    "zoho.test": SandboxProvider("zoho", "Spam"),
    "proton.test": SandboxProvider("proton", "Spam"),
}
OTHER = SandboxProvider("other", "Junk")


def provider_for(address: str) -> SandboxProvider:
    domain = address.rsplit("@", 1)[-1].lower()
    return PROVIDERS.get(domain, OTHER)


def is_provider_address(address: str) -> bool:
    return address.rsplit("@", 1)[-1].lower() in PROVIDERS


def domain_of(slug: str) -> str | None:
    """The sandbox mail domain of a provider slug (None for `other`)."""
    return next((d for d, p in PROVIDERS.items() if p.slug == slug), None)
