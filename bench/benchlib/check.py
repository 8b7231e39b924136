"""Before timing: every stack must answer the same JSON for the same request.

Reads are compared whole (parsed, so key order does not matter; the contract's
key order is checked separately; links compare equal whatever the order of
their query parameters). Writes are compared without what must differ
between two creates (id, slug suffix, timestamps).
"""

from urllib.parse import parse_qsl, urlsplit

from benchlib import client
from benchlib.databases import Ids

ARTICLE_KEYS = [
    "id",
    "title",
    "slug",
    "body",
    "status",
    "author",
    "tags",
    "comment_count",
    "created_at",
    "updated_at",
]
LIST_KEYS = ["items", "page", "size", "total", "pages", "next", "previous"]
CHECK_ARTICLE = {
    "title": "Bench check article",
    "body": "Checked before timing.",
    "status": "draft",
    "tags": ["bench-b", "bench-a"],
}


def diff(a, b, path: str = "$", out: list | None = None, limit: int = 20) -> list[str]:
    """Human-readable differences between two parsed JSON values."""
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in b:
                out.append(f"{path}.{key}: only in the first ({a[key]!r:.80})")
            elif key not in a:
                out.append(f"{path}.{key}: only in the second ({b[key]!r:.80})")
            else:
                diff(a[key], b[key], f"{path}.{key}", out, limit)
    elif isinstance(a, list) and isinstance(b, list):
        ids_a, ids_b = _ids(a), _ids(b)
        if ids_a is not None and ids_b is not None and ids_a != ids_b:
            # Different rows: say which, then compare the rows both have.
            only_a = [i for i in ids_a if i not in set(ids_b)]
            only_b = [i for i in ids_b if i not in set(ids_a)]
            out.append(
                f"{path}: ids only in the first {only_a[:10]}, only in the second "
                f"{only_b[:10]} (first {ids_a[:5]}..., second {ids_b[:5]}...)"
            )
            by_id = {item["id"]: item for item in b}
            for item in a:
                if item["id"] in by_id:
                    diff(item, by_id[item["id"]], f"{path}[id={item['id']}]", out, limit)
            return out[:limit]
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items vs {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            diff(x, y, f"{path}[{i}]", out, limit)
    elif _link(a) is not None and _link(a) == _link(b):
        pass  # the same link with its query parameters in another order
    elif a != b or type(a) is not type(b):
        out.append(f"{path}: {a!r:.100} vs {b!r:.100}")
    return out[:limit]


def _link(value) -> tuple | None:
    """(path, sorted query pairs) of a "/path?query" string, else None."""
    if not isinstance(value, str) or not value.startswith("/") or "?" not in value:
        return None
    parts = urlsplit(value)
    return parts.path, sorted(parse_qsl(parts.query, keep_blank_values=True))


def _ids(items: list) -> list | None:
    """The "id" of every item when all are objects with one, else None."""
    if all(isinstance(item, dict) and "id" in item for item in items):
        return [item["id"] for item in items]
    return None


def _compare(label: str, answers: dict, status: int, drop=()) -> bool:
    """True when every stack answered `status` and the same JSON (minus `drop`)."""
    ok = True
    for name, (code, body) in answers.items():
        if code != status:
            print(
                f"  MISMATCH {label}: {name} answered {code}, expected {status}: {str(body)[:300]}"
            )
            ok = False
    if not ok:
        return False
    names = list(answers)
    bodies = {name: _without(answers[name][1], drop) for name in names}
    for other in names[1:]:
        found = diff(bodies[names[0]], bodies[other])
        if found:
            ok = False
            print(f"  MISMATCH {label}: {names[0]} (first) vs {other} (second):")
            for line in found:
                print(f"    {line}")
    return ok


def _without(body, keys):
    return {k: v for k, v in body.items() if k not in keys} if isinstance(body, dict) else body


def _key_order(name: str, body) -> bool:
    article = body["items"][0] if isinstance(body, dict) and body.get("items") else None
    problems = []
    if isinstance(body, dict) and list(body) != LIST_KEYS:
        problems.append(f"list keys {list(body)}")
    if isinstance(article, dict) and list(article) != ARTICLE_KEYS:
        problems.append(f"article keys {list(article)}")
    for problem in problems:
        print(f"  KEY ORDER {name}: {problem}; the contract says {LIST_KEYS} / {ARTICLE_KEYS}")
    return not problems


def same_json(ports: dict[str, int], ids: Ids, token: str) -> bool:
    """Compare the stacks' answers (list page 1, details, a create, an update)."""
    ok = True
    reads = ["/api/articles?page=1&size=20"] + [f"/api/articles/{i}" for i in ids.detail[:5]]
    for path in reads:
        answers = {name: client.call(port, "GET", path) for name, port in ports.items()}
        ok &= _compare(f"GET {path}", answers, 200)
        if path.startswith("/api/articles?"):
            for name, (_code, body) in answers.items():
                ok &= _key_order(name, body)

    answers = {
        name: client.call(port, "POST", "/api/articles", CHECK_ARTICLE, token)
        for name, port in ports.items()
    }
    differs = ("id", "slug", "created_at", "updated_at")
    ok &= _compare("POST /api/articles", answers, 201, drop=differs)
    for name, (code, body) in answers.items():
        if code == 201 and not str(body.get("slug", "")).startswith("bench-check-article"):
            print(f"  MISMATCH POST: {name} made slug {body.get('slug')!r}")
            ok = False

    path = f"/api/articles/{ids.own[0]}"
    answers = {
        name: client.call(port, "PATCH", path, {"title": "Bench check patch"}, token)
        for name, port in ports.items()
    }
    ok &= _compare(f"PATCH {path}", answers, 200, drop=("updated_at",))
    return ok
