"""The scheduled job of deploy/smoke: one audit entry per tick, which the smoke counts.

The smoke's worker and schedulers find this module on PYTHONPATH (deploy/).
Two schedulers run; if both queued a tick, its entry would appear twice.
"""

from apps.audit import record
from project.extensions import db
from project.scheduler import current_tick


def tick():
    record("smoke_tick", tick=current_tick())
    db.session.commit()
