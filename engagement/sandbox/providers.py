"""The providers the sandbox world simulates: which domain is whose, and its spam folder name.

Spam folder names follow the real providers, so the seed client's spam-folder resolution is
exercised the same way as in production (Gmail's "[Gmail]/Spam", Outlook's "Junk Email",
Yahoo's "Bulk").
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
}
OTHER = SandboxProvider("other", "Junk")


def provider_for(address: str) -> SandboxProvider:
    domain = address.rsplit("@", 1)[-1].lower()
    return PROVIDERS.get(domain, OTHER)


def is_provider_address(address: str) -> bool:
    return address.rsplit("@", 1)[-1].lower() in PROVIDERS
