"""The articles pages: /articles/ and /articles/<slug>/, showing what the API serves.

(Not `pages.py`: importing a submodule named `pages` would replace the
`pages` Blueprint attribute of the package with the module.)

Both views read through the API's resources, so a page shows exactly the
articles the API would show the same visitor (drafts only to their author and
staff), as the same dicts.
"""

import sqlalchemy as sa
from flask import request

from project.views import DetailView, ListView, resource_items

from . import pages as blueprint
from .models import Comment
from .views import ArticleDetail, ArticleList, CommentList


class ArticleListPage(ListView):
    """Newest first, 10 a page; `?tag=`, `?search=`, `?author_id=` filter as in the API."""

    resource = ArticleList
    paginate_by = 10

    def get_context_data(self, **context):
        context["tag"] = request.args.get("tag")
        context["search"] = request.args.get("search")
        return context


class ArticleDetailPage(DetailView):
    """One article with its tags and comments; 404 for an unknown or hidden slug."""

    resource = ArticleDetail
    slug_field = "slug"

    def get_context_data(self, **context):
        article_id = self.object["id"]
        context["comments"] = resource_items(
            CommentList, sa.select(Comment).where(Comment.article_id == article_id)
        )
        return context


blueprint.add_url_rule("/", view_func=ArticleListPage.as_view("list"))
blueprint.add_url_rule("/<slug>/", view_func=ArticleDetailPage.as_view("detail"))
