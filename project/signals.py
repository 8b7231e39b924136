"""The one blinker namespace every part of the project sends on.

Receivers connect with `weak=False` when they are lambdas or closures
(blinker holds weak references by default and would drop them silently).
"""

from blinker import Namespace

signals = Namespace()

#: Sent before commit, in the session's transaction, for each created model
#: instance: sender is the model class, `instance=`, `changes={field: [None, new]}`.
model_created = signals.signal("model-created")
#: As above for an update; `changes={field: [old, new]}` holds only changed fields.
model_updated = signals.signal("model-updated")
#: As above for a delete; `changes={field: [old, None]}`.
model_deleted = signals.signal("model-deleted")
