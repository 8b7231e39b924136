"""DRF-style permissions: two questions, composable with `&`, `|` and `~`.

    class ArticleDetail(RetrieveUpdateDestroyResource):
        permission_classes = [IsAuthenticatedOrReadOnly & IsOwnerOrStaff]

`has_permission(request, view)` is asked before the view runs;
`has_object_permission(request, view, obj)` when the view fetches one object.
The user is `project.auth.currentcurrent_user()`; the core never imports an accounts app.
"""

from project.auth import AuthenticationFailed, current_user
from project.errors import APIError
from project.signals import permission_denied, send_event

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class _Operators:
    """`&`, `|` and `~` on whatever stands in permission_classes."""

    def __and__(self, other):
        return _Combined(self, other, all)

    def __or__(self, other):
        return _Combined(self, other, any)

    def __invert__(self):
        return _Not(self)


class _Operable(_Operators, type):
    """Lets permission *classes* be combined: `IsAuthenticated & IsStaff`."""


class BasePermission(metaclass=_Operable):
    #: The message of the 403 when this permission refuses.
    message = "You do not have permission to perform this action."

    def has_permission(self, request, view):
        return True

    def has_object_permission(self, request, view, obj):
        return True


class _Combined(_Operators):
    """An instance-producing stand-in for `A & B` / `A | B`, usable in permission_classes."""

    def __init__(self, left, right, combine):
        self.left, self.right, self.combine = left, right, combine
        self.__name__ = f"({left.__name__} {'&' if combine is all else '|'} {right.__name__})"

    def __call__(self):
        return _CombinedPermission(self.left(), self.right(), self.combine, self.__name__)


class _CombinedPermission(BasePermission):
    def __init__(self, left, right, combine, name):
        self.left, self.right, self.combine, self.name = left, right, combine, name
        self.message = left.message

    def _decide(self, ask):
        """Ask the sides in order and stop as `and`/`or` do, as DRF does: the right side
        may rely on the left (`IsAuthenticated & IsOwner` reads the user only when
        there is one). A refusal carries the message of the side that refused."""
        for side in self._sides:
            granted = ask(side)
            if not granted:
                self.message = side.message
            if self.combine is all and not granted:
                return False
            if self.combine is any and granted:
                return True
        return self.combine is all

    def has_permission(self, request, view):
        return self._decide(lambda side: side.has_permission(request, view))

    def has_object_permission(self, request, view, obj):
        # As in DRF: a side that refused at has_permission cannot grant the object.
        return self._decide(
            lambda side: (
                side.has_permission(request, view)
                and side.has_object_permission(request, view, obj)
            )
        )

    @property
    def _sides(self):
        return (self.left, self.right)


class _Not(_Operators):
    def __init__(self, inner):
        self.inner = inner
        self.__name__ = f"~{inner.__name__}"

    def __call__(self):
        return _NotPermission(self.inner(), self.__name__)


class _NotPermission(BasePermission):
    def __init__(self, inner, name):
        self.inner, self.name = inner, name

    def has_permission(self, request, view):
        return not self.inner.has_permission(request, view)

    def has_object_permission(self, request, view, obj):
        return not self.inner.has_object_permission(request, view, obj)


class AllowAny(BasePermission):
    pass


class IsAuthenticated(BasePermission):
    message = "Authentication credentials were not provided."

    def has_permission(self, request, view):
        return current_user() is not None


class IsAuthenticatedOrReadOnly(BasePermission):
    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or current_user() is not None


class IsStaff(BasePermission):
    message = "Only staff may do this."

    def has_permission(self, request, view):
        user = current_user()
        return user is not None and bool(user.is_staff)


class HasModelPermission(BasePermission):
    """The user holds `<app_label>.<action>_<model>` for the view's model and method."""

    actions = {
        "GET": "view",
        "HEAD": "view",
        "OPTIONS": "view",
        "POST": "add",
        "PUT": "change",
        "PATCH": "change",
        "DELETE": "delete",
    }

    def has_permission(self, request, view):
        user = current_user()
        if user is None:
            return False
        action = self.actions.get(request.method)
        if action is None:
            return False
        return user.has_perm(codename_for(view.model, action))


def codename_for(model, action):
    """`Article`, "change" -> "articles.change_article"."""
    from project.db import app_label_of

    return f"{app_label_of(model.__module__)}.{action}_{model.__name__.lower()}"


def deny(request, view, permission, obj=None):
    """Refuse: 401 for an anonymous caller, else 403 and the `permission_denied` signal."""
    user = current_user()
    if user is None:
        raise AuthenticationFailed()
    send_event(
        permission_denied,
        type(view),
        user=user,
        permission=getattr(permission, "name", type(permission).__name__),
        view=request.endpoint,
        obj=obj,
    )
    raise APIError(403, "permission_denied", permission.message)
