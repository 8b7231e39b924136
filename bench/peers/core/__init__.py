"""The floor: bare Flask + SQLAlchemy Core, hand-built dicts, stdlib json."""
