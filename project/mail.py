"""Sending e-mail: one function, a backend chosen by the MAIL_BACKEND setting.

    from project.mail import send_mail

    send_mail("Welcome", ["ann@example.com"], "Plain text.", html="<p>Rich text.</p>")

Backends:

- "smtp": Flask-Mail over SMTP (MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS, ...).
  Production's default.
- "console": prints the message and writes it as an `.eml` file under
  MAIL_FILE_DIR (instance/mail/). Development's default: nothing leaves the
  machine, and the message (with its links) is there to read.
- "file": only writes the `.eml` file under MAIL_FILE_DIR. For deployments
  that must not send, such as a smoke test that reads activation mails.
- "memory": appends a `SentMail` to the app's outbox, `outbox()`. Tests.

Files are written under a temporary name and renamed, so a reader polling the
directory never sees half a message. Logs name the subject and the number of
recipients, never the body: bodies carry one-time links.
"""

import logging
import sys
import uuid
from dataclasses import dataclass
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app
from flask_mail import Message

from .exceptions import ImproperlyConfigured
from .extensions import mail as _flask_mail
from .models import utcnow

__all__ = ["BACKENDS", "SentMail", "outbox", "send_mail"]

logger = logging.getLogger("project.mail")

BACKENDS = ("smtp", "console", "file", "memory")
_READABLE = email_policy.default.clone(max_line_length=None)
_OUTBOX = "mail_outbox"


@dataclass(frozen=True)
class SentMail:
    """A message as the memory backend keeps it."""

    subject: str
    recipients: tuple[str, ...]
    body: str
    html: str | None
    sender: str


def send_mail(subject, recipients, body, html=None, sender=None):
    """Send a plain-text message (plus an HTML alternative) to `recipients`.

    `recipients` is an address or a list of them; `sender` defaults to
    MAIL_DEFAULT_SENDER. Raises what the backend raises (an SMTP error, an
    OSError writing a file); a job calling this is retried.
    """
    config = current_app.config
    if isinstance(recipients, str):
        recipients = [recipients]
    recipients = tuple(recipients)
    if not recipients:
        raise ValueError("send_mail() needs at least one recipient")
    sender = sender or config["MAIL_DEFAULT_SENDER"]
    if not sender:
        raise ImproperlyConfigured("MAIL_DEFAULT_SENDER is empty: set it to the From address.")
    message = SentMail(subject, recipients, body, html, sender)
    backend = config["MAIL_BACKEND"]
    if backend == "smtp":
        _send_smtp(message)
    elif backend == "console":
        path = _write_file(message, config["MAIL_FILE_DIR"])
        sys.stdout.write(f"{'-' * 72}\n{as_email(message)}\n{'-' * 72}\n(saved to {path})\n")
        sys.stdout.flush()
    elif backend == "file":
        _write_file(message, config["MAIL_FILE_DIR"])
    elif backend == "memory":
        outbox().append(message)
    else:
        raise ImproperlyConfigured(
            f"MAIL_BACKEND={backend!r} is not a mail backend; use one of {', '.join(BACKENDS)}."
        )
    logger.info(
        "mail %r sent to %d recipient(s) by the %s backend", subject, len(recipients), backend
    )


def outbox(app=None):
    """The messages the memory backend has 'sent' on this app (a list; clear it freely)."""
    app = app or current_app
    return app.extensions.setdefault(_OUTBOX, [])


def as_email(message):
    """The message as an RFC 5322 `EmailMessage` (what the file backends write).

    Bodies are 8-bit UTF-8 with lines left whole, not quoted-printable: the
    file is meant to be read (and a link copied) by a person or a script.
    """
    email = EmailMessage(policy=_READABLE)
    email["Subject"] = message.subject
    email["From"] = message.sender
    email["To"] = ", ".join(message.recipients)
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid()
    email.set_content(message.body, cte="8bit")
    if message.html is not None:
        email.add_alternative(message.html, subtype="html", cte="8bit")
    return email


def _write_file(message, directory):
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.eml"
    temporary = folder / f".{name}.tmp"
    temporary.write_bytes(bytes(as_email(message)))
    return temporary.replace(folder / name)


def _send_smtp(message):
    _flask_mail.send(
        Message(
            subject=message.subject,
            recipients=list(message.recipients),
            body=message.body,
            html=message.html,
            sender=message.sender,
        )
    )
