"""The deployment's shared Redis: one client per app, and leases (locks) on it.

    from project.redis import Lease, get_redis

    lease = Lease(get_redis(), "scheduler:leader", ttl=10)
    if lease.acquire():          # SET key token NX PX ttl
        ...
        lease.renew()            # only while the key still holds our token
        lease.release()          # idem: never deletes a lease someone else took over

Every process of a deployment (gunicorn workers on several hosts, the job
worker, the scheduler) reaches the same REDIS_URL, so what lives there is
shared: the cache, the login failure counts, one-time tokens, the job queue,
and the leases that let one process act for all of them.

The client has socket timeouts (REDIS_SOCKET_TIMEOUT), so a Redis that stops
answering costs a request that long, not a hung worker.
"""

import logging
import os
import secrets
import socket

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError

__all__ = ["Lease", "RedisError", "get_redis", "redis_unavailable"]

logger = logging.getLogger("project.redis")

_EXTENSION = "redis"

# Compare-and-act scripts: the key is touched only while it still holds our token,
# so a holder whose lease expired (and was taken over) cannot renew or delete
# the new holder's lease.
_RENEW = """
if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("pexpire", KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("del", KEYS[1])
end
return 0
"""


def get_redis(app=None):
    """The app's Redis client on REDIS_URL (made once per app); None without REDIS_URL."""
    app = app or current_app
    if _EXTENSION not in app.extensions:
        url = app.config.get("REDIS_URL")
        timeout = app.config.get("REDIS_SOCKET_TIMEOUT", 2.0)
        app.extensions[_EXTENSION] = (
            Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                health_check_interval=30,
            )
            if url
            else None
        )
    return app.extensions[_EXTENSION]


def process_name():
    """`host:pid`, how a lease names its holder in logs and in Redis."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Lease:
    """A lock with an expiry, held by whoever's random token is stored under `key`.

    A holder that dies stops renewing; the key expires after `ttl` seconds and
    another process can take it. `ttl` is therefore the longest two holders
    could overlap if one of them is paused (GC, SIGSTOP) past its expiry, so
    work done under a lease should also be idempotent (see project.scheduler).
    """

    def __init__(self, client, key, ttl, owner=None):
        self.client = client
        self.key = key
        self.ttl_ms = int(ttl * 1000)
        self.owner = owner or process_name()
        self.token = f"{self.owner}:{secrets.token_hex(8)}"
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    def acquire(self):
        """Take the lease if nobody holds it; True if we hold it now."""
        return bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))

    def renew(self):
        """Push the expiry back; False if the lease is no longer ours."""
        return bool(self._renew(keys=[self.key], args=[self.token, self.ttl_ms]))

    def release(self):
        """Give the lease up at once; False if it was not ours (any more)."""
        return bool(self._release(keys=[self.key], args=[self.token]))

    def holder(self):
        """The token of whoever holds the lease now, or None."""
        value = self.client.get(self.key)
        return value.decode() if value is not None else None


def redis_unavailable(exc):
    """A Redis failure inside a request: 503 in the envelope, not a 500.

    Reached only by code that needs Redis to answer correctly (a one-time token
    cannot be checked without it); the cache degrades on its own (project.rediscache).
    """
    from .errors import APIError, handle_any

    logger.error("Redis is unreachable, answering 503: %s", exc)
    return handle_any(
        APIError(
            503,
            "service_unavailable",
            "A service this request needs is unavailable. Try again shortly.",
            headers={"Retry-After": "5"},
        )
    )


def init_app(app):
    """Answer 503 for a Redis failure that reaches Flask (Flask picks this handler over
    the envelope's catch-all because RedisError is the more specific class)."""
    app.register_error_handler(RedisError, redis_unavailable)
