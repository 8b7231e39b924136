"""flask-restful's `Api`, with its error handling handed back to Flask.

flask-restful answers errors raised inside resources itself, differently in
tests and production, and skips the app's error handlers (PITFALLS P1). Our
`handle_error` re-raises, so flask-restful's router falls back to Flask's own
handlers: one envelope for resources and plain views alike.
"""

import flask_restful


class Api(flask_restful.Api):
    """Register resources on a blueprint in one call each:

    api = Api(blueprint)
    api.add_resource(ArticleList, "/articles")
    """

    def handle_error(self, e):
        raise e
