"""The REST layer: generic resources, schemas, marshalling, pagination, filters.

from project.rest import Api, ListCreateResource, Schema, fields
"""

from . import fields
from .api import Api
from .filters import Filter
from .io import json_body, json_response, load, marshal_with, use_schema
from .pagination import CursorPagination, PageNumberPagination
from .permissions import (
    AllowAny,
    BasePermission,
    HasModelPermission,
    IsAuthenticated,
    IsAuthenticatedOrReadOnly,
    IsStaff,
)
from .resources import (
    CreateMixin,
    DestroyMixin,
    GenericResource,
    ListCreateResource,
    ListMixin,
    ListResource,
    RetrieveMixin,
    RetrieveResource,
    RetrieveUpdateDestroyResource,
    RetrieveUpdateResource,
    UpdateMixin,
)
from .schemas import Schema

__all__ = [
    "AllowAny",
    "Api",
    "BasePermission",
    "CreateMixin",
    "CursorPagination",
    "DestroyMixin",
    "Filter",
    "GenericResource",
    "HasModelPermission",
    "IsAuthenticated",
    "IsAuthenticatedOrReadOnly",
    "IsStaff",
    "ListCreateResource",
    "ListMixin",
    "ListResource",
    "PageNumberPagination",
    "RetrieveMixin",
    "RetrieveResource",
    "RetrieveUpdateDestroyResource",
    "RetrieveUpdateResource",
    "Schema",
    "UpdateMixin",
    "fields",
    "json_body",
    "json_response",
    "load",
    "marshal_with",
    "use_schema",
]
