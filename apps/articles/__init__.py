"""The reference app: articles, tags and comments, shown through every feature."""

from flask import Blueprint

from project.apps import AppConfig

api = Blueprint("articles_api", __name__, url_prefix="/api")
pages = Blueprint("articles", __name__, url_prefix="/articles", template_folder="templates")


class ArticlesConfig(AppConfig):
    label = "articles"
    blueprints = [api, pages]
