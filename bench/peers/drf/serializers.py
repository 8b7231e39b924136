import secrets

from rest_framework import serializers

from peers.contract import iso_utc, slugify
from peers.drf.models import Article, Tag, User


class UTCDateTimeField(serializers.DateTimeField):
    """isoformat() of the UTC value ending in +00:00 (DRF itself writes 'Z')."""

    def to_representation(self, value):
        return iso_utc(value)


class TagNamesField(serializers.ListField):
    """Tags in and out as a list of names; the model orders them by name."""

    child = serializers.CharField(max_length=50)

    def to_representation(self, manager):
        return [tag.name for tag in manager.all()]


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]


class ArticleSerializer(serializers.ModelSerializer):
    author = AuthorSerializer(read_only=True)
    tags = TagNamesField(required=False)
    comment_count = serializers.IntegerField(read_only=True)
    created_at = UTCDateTimeField(read_only=True)
    updated_at = UTCDateTimeField(read_only=True)

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "slug",
            "body",
            "status",
            "author",
            "tags",
            "comment_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["slug"]

    def create(self, validated_data):
        names = validated_data.pop("tags", [])
        validated_data["slug"] = unique_slug(validated_data["title"])
        article = Article.objects.create(**validated_data)
        article.tags.add(*tags_named(names))
        article.comment_count = 0  # what annotate(Count) gives a new article
        return article

    def update(self, instance, validated_data):
        names = validated_data.pop("tags", None)
        instance = super().update(instance, validated_data)
        if names is not None:
            instance.tags.set(tags_named(names))
        return instance


def unique_slug(title: str) -> str:
    slug = slugify(title)
    if Article.objects.filter(slug=slug).exists():
        slug = f"{slug}-{secrets.token_hex(4)}"
    return slug


def tags_named(names: list[str]) -> list[Tag]:
    """The Tag rows for these names, creating the missing ones."""
    wanted = sorted(set(names))
    found = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    return [found.get(name) or Tag.objects.create(name=name) for name in wanted]
