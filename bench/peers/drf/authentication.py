"""Bearer tokens and object permissions, as the framework defines them."""

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from peers.contract import bearer_token, token_hash
from peers.drf.models import Token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <raw>``: a live token (by sha256) of an active user."""

    def authenticate(self, request):
        raw = bearer_token(request.META.get("HTTP_AUTHORIZATION"))
        if raw is None:
            return None
        try:
            token = Token.objects.select_related("user").get(
                key_hash=token_hash(raw), expires_at__gt=timezone.now(), user__is_active=True
            )
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid or expired token.") from None
        return token.user, token

    def authenticate_header(self, request):
        return "Bearer"


class IsAuthorOrStaff(permissions.BasePermission):
    """Anyone may read; only the author or a staff user may change an article."""

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        return obj.author_id == request.user.id or request.user.is_staff
