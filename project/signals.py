"""The one blinker namespace every part of the project sends on.

Receivers connect with `weak=False` when they are lambdas or closures
(blinker holds weak references by default and would drop them silently).
"""

from blinker import Namespace
from flask import g, has_app_context, has_request_context, request

signals = Namespace()

#: Sent before commit, in the session's transaction, for each created model
#: instance: sender is the model class, `instance=`, `changes={field: [None, new]}`.
model_created = signals.signal("model-created")
#: As above for an update; `changes={field: [old, new]}` holds only changed fields.
model_updated = signals.signal("model-updated")
#: As above for a delete; `changes={field: [old, None]}`.
model_deleted = signals.signal("model-deleted")

# Authentication events. `accounts` sends them; `audit` (or any app) receives.
# Each is sent through `send_event`, which adds the request's ip, user_agent and
# request_id. Payloads never carry a password or a raw token.
user_registered = signals.signal("user-registered")  # user=
user_activated = signals.signal("user-activated")  # user=
user_logged_in = signals.signal("user-logged-in")  # user=, method="token"|"session"
user_login_failed = signals.signal("user-login-failed")  # login= (what was tried), reason=
user_logged_out = signals.signal("user-logged-out")  # user=, scope="token"|"all"
password_changed = signals.signal("password-changed")  # user=
password_reset_requested = signals.signal("password-reset-requested")  # email=, user= or None
#: Sent by the core's permission check when an authenticated request is refused:
#: user=, permission= (class name), view= (endpoint), obj= (or None).
permission_denied = signals.signal("permission-denied")


def request_meta():
    """ip, user_agent, request_id, method and path of the current request.

    Outside a request all are None except request_id, which a job carries
    over from the request that queued it.
    """
    if not has_request_context():
        # A job or a command: the request id that queued it, when project.jobs set one.
        request_id = g.get("request_id") if has_app_context() else None
        return {
            "ip": None,
            "user_agent": None,
            "request_id": request_id,
            "method": None,
            "path": None,
        }
    return {
        "ip": request.remote_addr,
        "user_agent": request.environ.get("HTTP_USER_AGENT") or None,
        "request_id": g.get("request_id"),
        "method": request.method,
        "path": request.path,
    }


def send_event(signal, sender, **payload):
    """Send `signal` with the payload plus the request's metadata (`meta=`)."""
    return signal.send(sender, meta=request_meta(), **payload)
