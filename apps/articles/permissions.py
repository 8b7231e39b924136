"""Who may do what to an article: anyone reads published ones, authors edit their own.

Staff edit anyone's article only when they hold the model permission for it
(`articles.change_article`, `articles.delete_article`): being staff alone is
not a right to edit, so an auditor (staff, read-only) changes nothing.
"""

from project.auth import current_user
from project.rest.permissions import SAFE_METHODS, BasePermission, HasModelPermission, codename_for


class IsAuthorOrStaff(BasePermission):
    message = "Only the author, or staff allowed to edit articles, may change this."

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        user = current_user()
        if user is None:
            return False
        if obj.author_id == user.id:
            return True
        action = HasModelPermission.actions.get(request.method)
        return (
            bool(user.is_staff)
            and action is not None
            and user.has_perm(codename_for(type(obj), action))
        )
