"""Serve the OpenAPI document and its docs page, and print it from the command line.

    GET /api/openapi.json     the document (built once per app)
    GET /api/docs             Swagger UI, with its assets served from here
    python manage.py openapi [--output FILE]

The Swagger UI assets come from the `swagger-ui-bundle` wheel, so the docs
page works with no internet: nothing is fetched from a CDN, and the validator
badge (which would call validator.swagger.io) is switched off. The page has no
inline script, so a strict Content-Security-Policy does not break it.
"""

import json
from pathlib import Path

import click
from flask import Blueprint, abort, current_app, render_template, send_from_directory, url_for
from flask.cli import with_appcontext
from swagger_ui_bundle import swagger_ui_path

from .io import json_response
from .openapi import openapi_document

docs = Blueprint("openapi", __name__)

#: The files of the bundle the page uses; the bundle's own index.html and
#: initializer (which point at the petstore demo) are not served.
ASSETS = (
    "swagger-ui.css",
    "index.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
)


@docs.get("/openapi.json")
def document():
    return json_response(openapi_document(current_app))


@docs.get("/docs")
def page():
    return render_template("rest/docs.html", title=current_app.config.get("API_TITLE", "API"))


@docs.get("/docs/static/<filename>")
def asset(filename):
    if filename not in ASSETS:
        abort(404)
    return send_from_directory(swagger_ui_path, filename)


@docs.get("/docs/initializer.js")
def initializer():
    options = {
        "url": url_for(".document"),
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        "validatorUrl": None,
        "persistAuthorization": False,
    }
    script = (
        "window.addEventListener('load', function () {\n"
        f"  var options = {json.dumps(options)};\n"
        "  options.presets = [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset];\n"
        "  options.layout = 'BaseLayout';\n"
        "  window.ui = SwaggerUIBundle(options);\n"
        "});\n"
    )
    return current_app.response_class(script, mimetype="text/javascript")


@click.command("openapi")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the document to this file instead of printing it.",
)
@with_appcontext
def openapi_command(output):
    """Print the OpenAPI document of the API (JSON)."""
    text = json.dumps(openapi_document(current_app), indent=2, ensure_ascii=False)
    if output is None:
        click.echo(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    click.echo(f"Wrote the OpenAPI document to {output}.", err=True)


def init_app(app):
    """Register the document, the docs page and the command under API_PREFIX."""
    app.register_blueprint(docs, url_prefix=app.config["API_PREFIX"])
    app.cli.add_command(openapi_command)
