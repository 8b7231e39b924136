"""Actions announced by `@audited` that wait for the method's first audited write.

While a decorated method runs, its action waits here (on `g`, so per
request). The first flush that writes entries takes it and queues it in the
same transaction, just before the flush's own entries: a publish that is
rolled back leaves no "publish". Whether that transaction committed is later
read back from the table itself, through a connection of its own, which sees
committed rows only.
"""

from flask import g, has_app_context

from project.extensions import db

from . import chain


class PendingAction:
    def __init__(self, build):
        #: `build() -> entry`, called when the entry is written (actor and target known then).
        self.build = build
        self.written = None  # (id, hash) once appended
        self.queued = False  # its entry waits in the session for the commit

    def entry(self):
        return self.build()

    def committed(self):
        """True when the appended entry is in the table for everyone (its transaction committed)."""
        if self.written is None:
            return False
        seq, digest = self.written
        entries = chain.entries
        with db.engine.connect() as connection:
            found = connection.execute(
                entries.select()
                .with_only_columns(entries.c.id)
                .where(entries.c.id == seq, entries.c.hash == digest)
            ).first()
        return found is not None


def _queue():
    if not has_app_context():
        return None
    queue = g.get("_audit_pending")
    if queue is None:
        queue = g._audit_pending = []
    return queue


def push(action):
    queue = _queue()
    if queue is not None:
        queue.append(action)


def remove(action):
    queue = _queue()
    if queue is not None and action in queue:
        queue.remove(action)


def take():
    """The actions neither written nor queued yet; the caller writes them now."""
    queue = _queue()
    if not queue:
        return []
    return [action for action in queue if action.written is None and not action.queued]


def mark_queued(actions):
    for action in actions:
        action.queued = True


def mark_dropped(actions):
    """Their entries were rolled back before being written: the next flush takes them again."""
    for action in actions:
        action.queued = False


def mark_written(actions, rows):
    for action, row in zip(actions, rows, strict=False):
        action.written = (row["id"], row["hash"])
        action.queued = False
