"""The demo / rehearsal stage: production's settings with its own database.

Staging exists so that a release is rehearsed on production's code path before
it meets real users; it refuses the same unsafe defaults production does.
"""

from settings.production import *
from settings.production import validate as _validate_production


def validate(config):
    """Same rules as production."""
    return _validate_production(config)
