"""A Redis cache that degrades to no cache while Redis is down.

`create_app` picks it (CACHE_TYPE "project.rediscache.ResilientRedisCache") when
REDIS_URL is set. While Redis does not answer:

- a read is a miss and a write is dropped, so a cached view computes its answer
  (it is slower, it is never a 500);
- one warning says so when the outage starts, and one info line when the cache
  answers again: not a traceback per request;
- for CACHE_RETRY_SECONDS after a failure the cache is not even tried, so a
  dead Redis does not cost every request a connection attempt.

Keys under CACHE_STATE_KEY_PREFIXES are *state* kept in the cache, not
cached values: a one-time activation token cannot be "missed" without telling
the user their valid link is invalid. For those keys a Redis failure raises,
and `project.redis` turns it into a 503 envelope with Retry-After.
"""

import logging
import time

from flask_caching.backends.rediscache import RedisCache
from redis import Redis
from redis.exceptions import RedisError

logger = logging.getLogger("project.rediscache")

#: What each operation returns when the cache is unavailable: a miss, or "not stored".
_MISSES = {
    "get": None,
    "set": False,
    "add": False,
    "delete": False,
    "has": False,
    "clear": False,
    "inc": None,
    "dec": None,
    "unlink": None,
}


class ResilientRedisCache(RedisCache):
    state_prefixes = ()
    retry_seconds = 5.0
    location = "redis"
    _down_until = 0.0
    _down = False

    @classmethod
    def factory(cls, app, config, args, kwargs):
        timeout = config.get("REDIS_SOCKET_TIMEOUT", 2.0)
        url = config["CACHE_REDIS_URL"]
        kwargs["host"] = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        if config.get("CACHE_KEY_PREFIX"):
            kwargs["key_prefix"] = config["CACHE_KEY_PREFIX"]
        cache = cls(*args, **kwargs)
        cache.state_prefixes = tuple(config.get("CACHE_STATE_KEY_PREFIXES") or ())
        cache.retry_seconds = float(config.get("CACHE_RETRY_SECONDS", 5))
        connection = kwargs["host"].connection_pool.connection_kwargs
        cache.location = f"redis://{connection.get('host')}:{connection.get('port')}"
        return cache

    @property
    def available(self):
        """False while an outage is being waited out (no attempt is made then)."""
        return not self._down or time.monotonic() >= self._down_until

    def _call(self, name, keys, *args, **kwargs):
        is_state = any(str(key).startswith(self.state_prefixes) for key in keys)
        if not is_state and not self.available:
            return self._miss(name, keys)
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except RedisError as exc:
            self._went_down(exc)
            if is_state:
                raise
            return self._miss(name, keys)
        if self._down:
            self._down = False
            logger.info("cache available again at %s", self.location)
        return result

    def _miss(self, name, keys):
        if name == "get_many":
            return [None] * len(keys)
        if name == "delete_many":
            return []
        if name == "set_many":
            return []
        return _MISSES[name]

    def _went_down(self, exc):
        self._down_until = time.monotonic() + self.retry_seconds
        if not self._down:
            self._down = True
            logger.warning(
                "cache unavailable: Redis at %s does not answer (%s); serving without the "
                "cache, retrying every %gs",
                self.location,
                exc,
                self.retry_seconds,
            )

    def get(self, key):
        return self._call("get", [key], key)

    def get_many(self, *keys):
        return self._call("get_many", keys, *keys)

    def set(self, key, value, timeout=None):
        return self._call("set", [key], key, value, timeout)

    def add(self, key, value, timeout=None):
        return self._call("add", [key], key, value, timeout)

    def set_many(self, mapping, timeout=None):
        return self._call("set_many", list(mapping), mapping, timeout)

    def delete(self, key):
        return self._call("delete", [key], key)

    def delete_many(self, *keys):
        return self._call("delete_many", keys, *keys)

    def has(self, key):
        return self._call("has", [key], key)

    def clear(self):
        return self._call("clear", [])

    def inc(self, key, delta=1):
        return self._call("inc", [key], key, delta)

    def dec(self, key, delta=1):
        return self._call("dec", [key], key, delta)

    def unlink(self, *keys):
        return self._call("unlink", keys, *keys)
