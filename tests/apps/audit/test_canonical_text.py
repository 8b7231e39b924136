"""The canonical text MySQL's append hashes: cut around the head's fields, it is content_hash's.

On MySQL the server fills id, prev_hash and timestamp into the cut text and
hashes it; whatever the other fields hold, the result must be the hash that
`content_hash` (and the documented stdlib recipe) computes from the row.
"""

import hashlib
from datetime import UTC, datetime

import pytest

from apps.audit import chain

TRICKY = [
    "",
    ',"id":0,',
    '","prev_hash":"",',
    ',"timestamp":"","user_agent":',
    'quote " backslash \\ newline \n tab \t nul \x00',
    "café 🏷️ 中文",
    '{"id":0,"prev_hash":""}',
]


def an_entry(value):
    row = dict.fromkeys(chain.CONTENT_FIELDS, value)
    row |= {"actor_id": 5, "changes": chain.json_text({"title": [value, None]}), "extra": "{}"}
    return row


@pytest.mark.parametrize("value", TRICKY)
def test_the_cut_text_filled_in_is_what_content_hash_hashes(value):
    row = an_entry(value)
    texts = chain.content_around_head_fields(row)
    seq, prev_hash, when = 42, "ab" * 32, datetime(2026, 12, 2, 1, 2, 3, 450000, tzinfo=UTC)
    filled = (
        texts[0]
        + str(seq)
        + texts[1]
        + prev_hash
        + texts[2]
        + chain.canonical_time(when)
        + texts[3]
    )
    written = row | {"id": seq, "prev_hash": prev_hash, "timestamp": when}
    assert len(texts) == 4
    assert hashlib.sha256(filled.encode()).hexdigest() == chain.content_hash(written)


def test_a_null_value_everywhere_still_cuts_in_four():
    row = dict.fromkeys(chain.CONTENT_FIELDS) | {"changes": "{}", "extra": "{}"}
    texts = chain.content_around_head_fields(row)
    assert texts[0].endswith('"id":') and texts[1].endswith('"prev_hash":"')
    assert texts[2].endswith('"timestamp":"') and texts[3].endswith("}")
    assert texts[1].startswith(",") and texts[2].startswith('",') and texts[3].startswith('",')
