"""What is timed: each case is a method, paths to rotate through, and a body kind.

Read cases come first and writes last, so the rows the writes add cannot
change what the reads measure within one database.
"""

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from benchlib import client
from benchlib.databases import Ids

KEYSET_DEPTH = 8000  # rows before the deep keyset page


@dataclass
class Case:
    name: str
    method: str
    paths: list[str]
    body: str = ""  # "" | "create" | "update": the wrk script and in-process runner build it
    only: tuple[str, ...] = ()  # stacks that serve it; () = all

    @property
    def auth(self) -> bool:
        return self.method != "GET"

    def applies_to(self, stack: str) -> bool:
        return not self.only or stack in self.only


#: Our two stacks (the peers have no keyset pages): the same code, with and without audit.
OURS = ("ours", "ours-noaudit")

ALL_CASES = ["list_p1", "list_p400", "detail", "keyset_first", "keyset_deep", "create", "update"]


def build(names: list[str], ids: Ids) -> list[Case]:
    """The cases to run, in ALL_CASES order. Keyset paths are filled in later."""
    known = {
        "list_p1": Case("list_p1", "GET", ["/api/articles?page=1&size=20"]),
        "list_p400": Case("list_p400", "GET", ["/api/articles?page=400&size=20"]),
        "detail": Case("detail", "GET", [f"/api/articles/{i}" for i in ids.detail]),
        "keyset_first": Case("keyset_first", "GET", [], only=OURS),
        "keyset_deep": Case("keyset_deep", "GET", [], only=OURS),
        "create": Case("create", "POST", ["/api/articles"], body="create"),
        "update": Case("update", "PATCH", [f"/api/articles/{i}" for i in ids.own], body="update"),
    }
    return [known[name] for name in ALL_CASES if name in names]


def _with_size(path: str, size: int) -> str:
    parts = urlsplit(path)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query["size"] = str(size)
    return f"{parts.path}?{urlencode(query)}"


def discover_keyset(port: int, start: str, size: int = 20, hop: int = 100) -> tuple[str, str]:
    """(first page path, path of the page KEYSET_DEPTH rows deep), by following `next`.

    Raises RuntimeError saying what the endpoint answered if it does not page
    by cursor yet, so the caller can skip the case with a clear message.
    """
    path = _with_size(start, hop)
    seen = 0
    while seen < KEYSET_DEPTH:
        status, body = client.call(port, "GET", path)
        if status != 200 or not isinstance(body, dict):
            raise RuntimeError(f"GET {path} -> {status} {str(body)[:200]}")
        items, nxt = body.get("items"), body.get("next")
        if not items or not nxt or "cursor=" not in nxt:
            raise RuntimeError(
                f"GET {path} -> no cursor in next ({str(nxt)[:100]!r}); keys {sorted(body)}"
            )
        seen += len(items)
        parts = urlsplit(nxt)
        path = f"{parts.path}?{parts.query}"
    return _with_size(start, size), _with_size(path, size)
