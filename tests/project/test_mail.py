"""project.mail: one send_mail(), four backends chosen by MAIL_BACKEND."""

import email
from email import policy

import pytest

from project.exceptions import ImproperlyConfigured
from project.extensions import mail as flask_mail
from project.mail import outbox, send_mail


@pytest.fixture
def backend(app, tmp_path):
    """backend(name): switch MAIL_BACKEND (and MAIL_FILE_DIR to a scratch folder) for the test."""
    saved = {k: app.config[k] for k in ("MAIL_BACKEND", "MAIL_FILE_DIR")}

    def use(name):
        app.config.update(MAIL_BACKEND=name, MAIL_FILE_DIR=str(tmp_path / "mail"))
        return tmp_path / "mail"

    yield use
    app.config.update(saved)


def read_eml(folder):
    [path] = folder.iterdir()
    return path, email.message_from_bytes(path.read_bytes(), policy=policy.default)


def test_memory_keeps_messages_in_the_outbox(app, mailoutbox):
    with app.app_context():
        send_mail("Hello", "ann@example.com", "Plain body", html="<p>Rich body</p>")
    [message] = mailoutbox
    assert message.subject == "Hello"
    assert message.recipients == ("ann@example.com",)
    assert (message.body, message.html) == ("Plain body", "<p>Rich body</p>")
    assert message.sender == app.config["MAIL_DEFAULT_SENDER"]
    assert outbox(app) is mailoutbox


def test_file_writes_one_eml_per_message_and_nothing_else(app, backend, capsys):
    folder = backend("file")
    with app.app_context():
        send_mail("Activate", ["ann@example.com", "bob@example.com"], "Go here", html="<b>Go</b>")
    path, parsed = read_eml(folder)
    assert path.suffix == ".eml" and not path.name.startswith(".")
    assert parsed["Subject"] == "Activate"
    assert parsed["To"] == "ann@example.com, bob@example.com"
    assert parsed["From"] == "webmaster@localhost"
    assert parsed.get_body(("plain",)).get_content().strip() == "Go here"
    assert parsed.get_body(("html",)).get_content().strip() == "<b>Go</b>"
    assert capsys.readouterr().out == ""


def test_the_file_is_plain_text_a_script_can_grep(app, backend):
    folder = backend("file")
    link = "http://127.0.0.1:8000/accounts/activate#token=" + "x" * 60
    with app.app_context():
        send_mail("Activate", "ann@example.com", f"Open {link} — thanks")
    path, _ = read_eml(folder)
    assert f"Open {link} — thanks" in path.read_text(encoding="utf-8")


def test_console_prints_the_message_and_keeps_a_copy(app, backend, capsys):
    folder = backend("console")
    with app.app_context():
        send_mail("Activate", "ann@example.com", "Open http://localhost/activate#token=abc")
    printed = capsys.readouterr().out
    assert "Subject: Activate" in printed
    assert "http://localhost/activate#token=abc" in printed
    path, parsed = read_eml(folder)
    assert str(path) in printed
    assert "token=abc" in parsed.get_body(("plain",)).get_content()


def test_smtp_goes_through_flask_mail(app, backend):
    backend("smtp")
    with app.app_context(), flask_mail.record_messages() as sent:  # TESTING suppresses the send
        send_mail("Hello", ["ann@example.com"], "Plain body", sender="noreply@example.com")
    [message] = sent
    assert (message.subject, message.recipients) == ("Hello", ["ann@example.com"])
    assert message.sender == "noreply@example.com"
    assert message.body == "Plain body"


def test_an_unknown_backend_says_which_ones_exist(app, backend):
    backend("pigeon")
    with app.app_context(), pytest.raises(ImproperlyConfigured, match="smtp, console, file"):
        send_mail("Hello", ["ann@example.com"], "Body")


def test_no_recipient_is_an_error(app, mailoutbox):
    with app.app_context(), pytest.raises(ValueError, match="recipient"):
        send_mail("Hello", [], "Body")
    assert mailoutbox == []


def test_the_log_names_the_subject_never_the_body(app, mailoutbox, caplog):
    caplog.set_level("DEBUG")
    with app.app_context():
        send_mail("Reset", ["ann@example.com"], "secret-link-123")
    assert "'Reset' sent to 1 recipient(s)" in caplog.text
    assert "secret-link-123" not in caplog.text
