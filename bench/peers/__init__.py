"""The benchmark's peers: the same API as the framework, built two other ways.

``drf`` is Django + Django REST Framework written as its docs recommend;
``core`` is bare Flask + SQLAlchemy Core, the floor. Both read the tables the
project's migrations create; neither creates or migrates anything.
"""
