"""The SMTP replies a deferral, a block and an unknown user produce, per provider.

Gmail's, Microsoft's and Yahoo's are their real replies, as their postmaster pages and senders'
logs show them (Google: support.google.com/a/answer/3726730; Microsoft: the Outlook.com
postmaster pages and Exchange Online NDRs; Yahoo: postmaster.yahooinc.com/error-codes and its
help article on TS03). The other providers do not publish theirs in a form worth copying; they
get the generic replies an MTA of the kind they run gives. The sandbox's simulated pipeline
sends these through the events API, where the SMTP-response rules classify them.
"""

from __future__ import annotations

REPLY_KINDS = ("deferred", "blocked", "hard_bounced")

# kind → (reply code, enhanced status code, reply text with {ip} and {recipient} to fill in)
Reply = tuple[int, str, str]

_GOOGLE: dict[str, Reply] = {
    "deferred": (
        421,
        "4.7.28",
        "421-4.7.28 [{ip}      15] Our system has detected an unusual rate of unsolicited mail "
        "originating from your IP address. To protect our users from spam, mail sent from your "
        "IP address has been temporarily rate limited. Please visit "
        "https://support.google.com/mail/?p=UnsolicitedRateLimitError to review our Bulk Email "
        "Senders Guidelines.",
    ),
    "blocked": (
        550,
        "5.7.1",
        "550-5.7.1 [{ip}      12] Our system has detected that this message is likely "
        "suspicious due to the very low reputation of the sending IP address. To best protect "
        "our users from spam, the message has been blocked. Please visit "
        "https://support.google.com/mail/answer/188131 for more information.",
    ),
    "hard_bounced": (
        550,
        "5.1.1",
        "550-5.1.1 The email account that you tried to reach does not exist. Please try "
        "double-checking the recipient's email address for typos or unnecessary spaces. For "
        "more information, go to https://support.google.com/mail/?p=NoSuchUser",
    ),
}
_MICROSOFT: dict[str, Reply] = {
    "deferred": (
        451,
        "4.7.650",
        "451 4.7.650 The mail server [{ip}] has been temporarily rate limited due to IP "
        "reputation. For e-mail delivery information, see https://aka.ms/postmaster (S3140)",
    ),
    # What Outlook.com answers once an IP is on its own block list; delisting is a request at
    # sender.office.com, so the block lasts (ProviderModel: block_hours 48 for microsoft).
    "blocked": (
        550,
        "5.7.1",
        "550 5.7.1 Unfortunately, messages from [{ip}] weren't sent. Please contact your "
        "Internet service provider since part of their network is on our block list (S3150). "
        "You can also refer your provider to "
        "http://mail.live.com/mail/troubleshooting.aspx#errors.",
    ),
    "hard_bounced": (
        550,
        "5.1.10",
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient {recipient} not found by SMTP "
        "address lookup",
    ),
}
_YAHOO: dict[str, Reply] = {
    "deferred": (
        421,
        "4.7.0",
        "421 4.7.0 [TSS04] Messages from {ip} temporarily deferred due to unexpected volume or "
        "user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
    ),
    # Yahoo's block for "a high volume of emails from your IP address, a characteristic of
    # unsolicited bulk emailing" keeps a 4xx code although retrying will not succeed.
    "blocked": (
        421,
        "4.7.1",
        "421 4.7.1 [TS03] All messages from {ip} will be permanently deferred; Retrying will NOT "
        "succeed. See https://postmaster.yahooinc.com/error-codes",
    ),
    "hard_bounced": (
        554,
        "",
        "554 delivery error: dd This user doesn't have a yahoo.com account ({recipient}) [-5] - "
        "mta1012.mail.gq1.yahoo.com",
    ),
}
_GENERIC: dict[str, Reply] = {
    "deferred": (
        451,
        "4.7.1",
        "451 4.7.1 Too many messages from [{ip}]: rate limited, try again later",
    ),
    "blocked": (
        554,
        "5.7.1",
        "554 5.7.1 Service unavailable; Client host [{ip}] blocked by local policy",
    ),
    "hard_bounced": (
        550,
        "5.1.1",
        "550 5.1.1 <{recipient}>: Recipient address rejected: User unknown in virtual mailbox "
        "table",
    ),
}
REPLIES: dict[str, dict[str, Reply]] = {
    "google": _GOOGLE,
    "microsoft": _MICROSOFT,
    "yahoo": _YAHOO,
}


def reply_for(
    provider: str,
    kind: str,
    *,
    ip: str = "192.0.2.1",
    recipient: str = "someone@example.com",
) -> Reply:
    """(reply code, enhanced status code or "", reply text) for a deferred, blocked or hard
    bounced message at a provider; providers without their own replies get generic ones."""
    if kind not in REPLY_KINDS:
        raise ValueError(f"kind must be one of {', '.join(REPLY_KINDS)}, not {kind!r}")
    code, status, text = REPLIES.get(provider, _GENERIC)[kind]
    return code, status, text.format(ip=ip, recipient=recipient)
