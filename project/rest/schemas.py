"""The schema base class: marshmallow 4, unknown input fields rejected.

marshmallow 4 is silent where 3 was not (PITFALLS P8): a validator that
returns False passes. Validators must raise; use `marshmallow.validate`.
"""

from marshmallow import RAISE
from marshmallow import Schema as _Schema


class Schema(_Schema):
    class Meta:
        unknown = RAISE
