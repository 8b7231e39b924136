"""The cookie session, with its signing serializer built once per key set.

Flask builds a new `URLSafeTimedSerializer` on every request, to open the
session and again to save it, even when the request carries no cookie (every
API call). The keys only change with the settings, so the serializer is kept
for as long as `SECRET_KEY` and `SECRET_KEY_FALLBACKS` stay the same.
"""

from flask.sessions import SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    def __init__(self):
        self._serializers = {}

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            self._serializers = {keys: serializer}
        return serializer
