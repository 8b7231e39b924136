"""Production-grade settings for the DRF peer, database from DATABASE_URL."""

import os
from urllib.parse import parse_qs, unquote, urlsplit


def database_from_url(url: str) -> dict:
    """DATABASES['default'] for a sqlite:/// or mysql+pymysql:// URL."""
    persistent = {"CONN_MAX_AGE": None, "CONN_HEALTH_CHECKS": False}
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path, **persistent}
    parts = urlsplit(url)
    if not parts.scheme.startswith(("mysql", "mariadb")):
        raise ValueError(f"DATABASE_URL scheme not supported by the DRF peer: {parts.scheme}")
    # Same driver as the other stacks (PyMySQL), so driver cost is not what differs.
    import pymysql

    pymysql.install_as_MySQLdb()
    query = parse_qs(parts.query)
    return {
        "ENGINE": "django.db.backends.mysql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": str(parts.port or 3306),
        "OPTIONS": {"charset": query.get("charset", ["utf8mb4"])[0]},
        **persistent,
    }


SECRET_KEY = os.environ.get("SECRET_KEY", "bench-only-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = ["rest_framework", "peers.drf"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "peers.drf.urls"
WSGI_APPLICATION = "peers.drf.wsgi.application"

DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False  # an API with no translations; the framework has none either

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["peers.drf.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "peers.drf.pagination.ArticlePagination",
    # No django.contrib.auth: an anonymous request's user is None.
    "UNAUTHENTICATED_USER": None,
}
