"""Django + Django REST Framework, written the way DRF's docs recommend.

ModelSerializer, generic views, a PageNumberPagination subclass,
select_related / prefetch_related and annotate(Count). Production settings:
DEBUG off, no admin/sessions/messages, no middleware, JSON renderer only,
persistent connections. Models are unmanaged and read the project's tables.

Serve with:  DATABASE_URL=... gunicorn --pythonpath bench peers.drf.wsgi:application
"""
