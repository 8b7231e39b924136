"""A minimal HTTP client for checks and set-up requests (never for timing)."""

import http.client
import json


def call(
    port: int, method: str, path: str, body=None, token: str | None = None, timeout: float = 30
):
    """(status, parsed JSON or raw text) of one request to 127.0.0.1:port."""
    headers = {}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read().decode("utf-8", "replace")
    finally:
        conn.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, raw
