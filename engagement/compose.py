"""Warm-up messages and seed replies, composed from a built-in corpus and DKIM-signed.

The mail must look like ordinary correspondence: varied subjects and bodies, plain text with a
simple HTML alternative, no links, no tracking pixels and no header that marks it as warm-up
mail (a fingerprint would let a provider discount exactly the engagement we build).
"""

from __future__ import annotations

import html
import random
import secrets
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

import dkim

SUBJECTS = [
    "Quick question about next week",
    "Notes from this morning",
    "Following up on our conversation",
    "Agenda for Thursday",
    "Thanks for the help",
    "Can we move our call?",
    "Draft for your review",
    "A few thoughts on the plan",
    "Update on the project timeline",
    "Lunch on Friday?",
    "Checking in",
    "Summary of the numbers",
    "Small change to the schedule",
    "Ideas for the next quarter",
    "Your feedback would help",
    "Recap and next steps",
    "Travel plans for the conference",
    "Re-reading the proposal",
    "Heads-up about Monday",
    "One more detail",
]

GREETINGS = ["Hi", "Hello", "Hi there", "Good morning", "Hey", "Dear colleague"]

PARAGRAPHS = [
    "I went through the notes from our last meeting and wrote down the open points. Most of "
    "them are small, but two need a decision from both of us before the end of the month.",
    "The numbers look better than we expected. Sign-ups grew a little every week, and the "
    "support queue stayed short even on the busiest day.",
    "Could you have a look at the draft when you have a moment? I kept it short on purpose "
    "and would rather hear what is missing than polish what is there.",
    "We moved the workshop to the larger room on the second floor, so there is space for "
    "everyone this time. Coffee will be ready from half past eight.",
    "I spoke with the team about the timeline. They are comfortable with the first two "
    "milestones; the third one depends on the supplier getting back to us.",
    "Thank you again for stepping in yesterday. It made the afternoon a lot easier and the "
    "customer was happy with how quickly we answered.",
    "My flight lands on Tuesday evening, so Wednesday morning works best for me. If that is "
    "too early for you, Thursday after lunch is free as well.",
    "I tried the new process on last week's orders and it saved about an hour a day. There "
    "are a couple of rough edges, which I listed below.",
    "The budget for the next quarter is mostly settled. We kept some room for the training "
    "you suggested, and the rest follows the plan we agreed on.",
    "There is no rush on this one. Whenever you get to it is fine, as long as we can talk "
    "it through before the review.",
    "I attached nothing this time: everything fits in this message. The short version is "
    "that we are on track and nobody is blocked.",
    "Let me know if anything in here surprises you. I would rather fix a misunderstanding "
    "now than find it in the final report.",
]

SIGN_OFFS = ["Best", "Thanks", "Cheers", "Kind regards", "All the best", "Talk soon"]

NAMES = ["Alex", "Sam", "Jordan", "Robin", "Taylor", "Charlie", "Morgan", "Jamie", "Casey"]

REPLIES = [
    "Thanks, this is helpful. I will get back to you with the details tomorrow.",
    "Sounds good to me. Let's keep the plan as it is.",
    "Got it, thank you! Thursday works for me.",
    "Thanks for the update. I read it twice and have no objections.",
    "Appreciate it. I will pass this on to the rest of the team.",
    "Great news, thanks for letting me know.",
    "Thank you! I will have a look this afternoon.",
]

# Headers the DKIM signature covers when present (RFC 6376 §5.4.1 recommendations).
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"in-reply-to",
    b"references",
)


@dataclass(frozen=True)
class Composed:
    message_id: str
    subject: str
    raw: bytes


def new_message_id(domain: str) -> str:
    """A Message-ID on the sender's own domain, random like a mail client's (short enough that
    the header is never folded: some IMAP servers search folded headers poorly)."""
    return f"<{secrets.token_hex(16)}@{domain}>"


def _body(rng: random.Random, *, sender_name: str, paragraphs: int) -> tuple[str, str]:
    chosen = rng.sample(PARAGRAPHS, paragraphs)
    greeting = rng.choice(GREETINGS)
    sign_off = rng.choice(SIGN_OFFS)
    text = f"{greeting},\n\n" + "\n\n".join(chosen) + f"\n\n{sign_off},\n{sender_name}\n"
    html_body = (
        "<html><body>"
        f"<p>{html.escape(greeting)},</p>"
        + "".join(f"<p>{html.escape(p)}</p>" for p in chosen)
        + f"<p>{html.escape(sign_off)},<br>{html.escape(sender_name)}</p></body></html>"
    )
    return text, html_body


def _message(
    *,
    sender: str,
    to: str,
    subject: str,
    message_id: str,
    text: str,
    html_body: str | None,
    date,
    in_reply_to: str = "",
    references: str = "",
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = references or in_reply_to
    msg.set_content(text)
    if html_body:
        msg.add_alternative(html_body, subtype="html")
    return msg


def dkim_sign(raw: bytes, *, domain: str, selector: str, private_key_pem: str) -> bytes:
    """`raw` with a DKIM-Signature header prepended (rsa-sha256, relaxed/relaxed)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].lower()
    present = [
        name
        for name in SIGNED_HEADERS
        if head.startswith(name + b":") or b"\n" + name + b":" in head
    ]
    signature = dkim.sign(
        raw,
        selector.encode(),
        domain.encode(),
        private_key_pem.encode(),
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=present,
    )
    return signature + raw


def compose_warmup(
    *,
    sender: str,
    to: str,
    domain: str,
    date,
    rng: random.Random | None = None,
    parent_subject: str = "",
    in_reply_to: str = "",
    references: str = "",
    message_id: str = "",
) -> Composed:
    """A new warm-up message (or, with `in_reply_to`, the next one in a thread), unsigned.
    `message_id` is the one recorded when the message was scheduled (a new one if empty)."""
    rng = rng or random.Random()
    subject = rng.choice(SUBJECTS)
    if in_reply_to:
        subject = (
            parent_subject if parent_subject.lower().startswith("re:") else f"Re: {parent_subject}"
        )
    text, html_body = _body(rng, sender_name=rng.choice(NAMES), paragraphs=rng.randint(1, 3))
    message_id = message_id or new_message_id(domain)
    msg = _message(
        sender=sender,
        to=to,
        subject=subject,
        message_id=message_id,
        text=text,
        # About a third of real correspondence is plain text only.
        html_body=html_body if rng.random() < 0.7 else None,
        date=date,
        in_reply_to=in_reply_to,
        references=references,
    )
    return Composed(message_id=message_id, subject=subject, raw=_raw(msg))


def compose_reply(
    *,
    seed_address: str,
    to: str,
    subject: str,
    original_message_id: str,
    references: str,
    date,
    rng: random.Random | None = None,
) -> Composed:
    """A seed's short reply to a warm-up message, threaded under it."""
    rng = rng or random.Random()
    reply_subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    message_id = new_message_id(seed_address.rpartition("@")[2])
    refs = f"{references} {original_message_id}".strip()
    msg = _message(
        sender=seed_address,
        to=to,
        subject=reply_subject,
        message_id=message_id,
        text=f"{rng.choice(REPLIES)}\n\n{rng.choice(NAMES)}\n",
        html_body=None,
        date=date,
        in_reply_to=original_message_id,
        references=refs,
    )
    return Composed(message_id=message_id, subject=reply_subject, raw=_raw(msg))


def _raw(msg: EmailMessage) -> bytes:
    # SMTP wants CRLF line endings; DKIM signs exactly what is sent.
    return msg.as_bytes(policy=policy.SMTP)
