"""The real servers tests run against: Dovecot (IMAP) and an aiosmtpd sink (SMTP)."""

import smtplib

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

pytestmark = pytest.mark.dovecot


def imap(dovecot, user, password):
    client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=5)
    client.login(user, password)
    return client


def test_it_serves_mailboxes_with_and_without_a_flagged_spam_folder(dovecot):
    dovecot.add_user("flagged@servers.test", "pw-1")
    dovecot.add_user("gmailish@servers.test", "pw-2", folders=("[Gmail]/Spam",))

    with imap(dovecot, "flagged@servers.test", "pw-1") as client:
        assert client.find_special_folder(b"\\Junk") == "Junk"
    with imap(dovecot, "gmailish@servers.test", "pw-2") as client:
        assert client.find_special_folder(b"\\Junk") is None
        assert "[Gmail]/Spam" in [name for _flags, _sep, name in client.list_folders()]


def test_it_refuses_a_wrong_password(dovecot):
    dovecot.add_user("locked@servers.test", "right")

    with pytest.raises(LoginError, match="AUTHENTICATIONFAILED"):
        imap(dovecot, "locked@servers.test", "wrong")


def test_it_finds_moves_and_flags_by_message_id(dovecot):
    dovecot.add_user("mover@servers.test", "pw")
    with imap(dovecot, "mover@servers.test", "pw") as client:
        client.append("Junk", b"Message-ID: <m1@servers.test>\r\nSubject: hi\r\n\r\nbody\r\n")
        client.select_folder("Junk")
        (uid,) = client.search(["HEADER", "Message-ID", "<m1@servers.test>"])
        client.move([uid], "INBOX")
        client.select_folder("INBOX")
        (moved,) = client.search(["HEADER", "Message-ID", "<m1@servers.test>"])
        client.add_flags([moved], [b"\\Seen", b"\\Flagged"])
        flags = client.get_flags([moved])[moved]
    assert {b"\\Seen", b"\\Flagged"} <= set(flags)


def test_the_smtp_sink_keeps_what_it_receives(smtp_sink):
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as smtp:
        smtp.sendmail("a@sender.test", ["b@rcpt.test"], b"Subject: hi\r\n\r\nhello\r\n")

    (message,) = smtp_sink.messages
    assert message.mail_from == "a@sender.test"
    assert message.rcpt_tos == ("b@rcpt.test",)
    assert b"hello" in message.content


def test_the_smtp_sink_can_refuse_a_message(smtp_sink):
    smtp_sink.on_message = lambda envelope: "550 5.7.1 Message rejected as spam"

    with (
        smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as smtp,
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        smtp.sendmail("a@sender.test", ["b@rcpt.test"], b"Subject: hi\r\n\r\nhello\r\n")

    assert refused.value.smtp_code == 550
    assert smtp_sink.messages == []
