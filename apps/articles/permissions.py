"""Who may do what to an article: anyone reads published ones, authors edit their own."""

from project.auth import current_user
from project.rest.permissions import SAFE_METHODS, BasePermission


class IsAuthorOrStaff(BasePermission):
    message = "Only the author or staff may change this."

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        user = current_user()
        return user is not None and (user.is_staff or obj.author_id == user.id)
