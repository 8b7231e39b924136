"""Password hashing (argon2id) and Django's four password validators.

Hashes use argon2-cffi with the ARGON2_* settings. A hash made with other
parameters still verifies, and is replaced at its owner's next successful
login (`check_password` rehashes), so raising the cost needs no migration.

`burn_time()` verifies against a dummy hash: a login for an unknown user
costs what a wrong password costs, so timing does not tell which it was.

The common-password list (common-passwords.txt.gz) is the 20,000 most common
passwords compiled by Royce Williams, as Django ships it.
"""

import contextlib
import difflib
import functools
import gzip
import re
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")
MAX_SIMILARITY = 0.7


@functools.lru_cache(maxsize=8)
def _hasher(time_cost, memory_cost, parallelism):
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher():
    """The PasswordHasher for the current ARGON2_* settings."""
    config = current_app.config
    return _hasher(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"]
    )


def hash_password(raw):
    return hasher().hash(raw)


def check_password(user, raw):
    """True if `raw` is the user's password; rehashes it (uncommitted) when the cost changed."""
    ph = hasher()
    try:
        ph.verify(user.password_hash, raw)
    except (VerificationError, InvalidHashError):
        if not user.password_hash:
            burn_time(raw)  # an unusable password takes as long to refuse as a wrong one
        return False
    if ph.check_needs_rehash(user.password_hash):
        user.password_hash = ph.hash(raw)
    return True


@functools.lru_cache(maxsize=8)
def _dummy_hash(time_cost, memory_cost, parallelism):
    return _hasher(time_cost, memory_cost, parallelism).hash("dummy password for timing")


def burn_time(raw):
    """Spend what verifying a real hash spends (for unknown users)."""
    config = current_app.config
    params = (
        config["ARGON2_TIME_COST"],
        config["ARGON2_MEMORY_COST"],
        config["ARGON2_PARALLELISM"],
    )
    with contextlib.suppress(VerificationError):
        _hasher(*params).verify(_dummy_hash(*params), raw)


# -- validators -----------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def common_passwords():
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def validate_password(raw, username=None, email=None):
    """Every rule `raw` breaks, as messages (empty when it is acceptable)."""
    problems = []
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(raw) < minimum:
        problems.append(
            f"This password is too short. It must contain at least {minimum} characters."
        )
    similar_to = _too_similar(raw, {"username": username, "e-mail address": email})
    if similar_to:
        problems.append(f"This password is too similar to the {similar_to}.")
    if raw.strip().lower() in common_passwords():
        problems.append("This password is too common.")
    if raw.isdigit():
        problems.append("This password is entirely numeric.")
    return problems


def _too_similar(raw, attributes):
    """The name of the first attribute the password resembles (Django's rule), or None."""
    password = raw.lower()
    for name, value in attributes.items():
        if not value:
            continue
        value = value.lower()
        for part in {value, *re.split(r"\W+", value)}:
            if not part or _length_rules_out(password, part):
                continue
            if difflib.SequenceMatcher(a=password, b=part).quick_ratio() >= MAX_SIMILARITY:
                return name
    return None


def _length_rules_out(password, part):
    """quick_ratio cannot reach the limit when one string is much longer than the other."""
    longer, shorter = max(len(password), len(part)), min(len(password), len(part))
    return 2 * shorter / (longer + shorter) < MAX_SIMILARITY
