"""Unmanaged models over the project's tables: Django never creates or alters them."""

from django.db import models


class User(models.Model):
    email = models.CharField(max_length=254, unique=True)
    username = models.CharField(max_length=150, unique=True)
    password_hash = models.CharField(max_length=255)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    is_superuser = models.BooleanField(default=False)
    date_joined = models.DateTimeField()
    last_login = models.DateTimeField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        managed = False
        db_table = "accounts_user"

    # What DRF's permission classes ask of request.user.
    is_authenticated = True


class Token(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "accounts_token"


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        managed = False
        db_table = "articles_tag"
        ordering = ["name"]  # the contract lists an article's tags by name


class Article(models.Model):
    STATUS_CHOICES = [("draft", "draft"), ("published", "published")]

    title = models.CharField(max_length=200)
    slug = models.CharField(max_length=220, unique=True)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default="draft")
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="articles")
    version = models.IntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The table has a composite primary key (article_id, tag_id) and no id
    # column; Django's auto-created through model never reads an id for the
    # operations used here (prefetch, add, set).
    tags = models.ManyToManyField(Tag, db_table="articles_article_tags", related_name="articles")

    class Meta:
        managed = False
        db_table = "articles_article"


class Comment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        managed = False
        db_table = "articles_comment"
