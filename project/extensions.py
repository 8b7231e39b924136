"""Extensions, created once here and bound to an app in `create_app`.

No module imports the app object: everything reaches it through these
unbound singletons and `flask.current_app`, which is what keeps imports
free of cycles.
"""

from flask_caching import Cache
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from .db import Base

# expire_on_commit=False: a view that commits then answers reads what it just
# wrote from memory instead of re-selecting every row after the commit.
db = SQLAlchemy(
    model_class=Base, disable_autonaming=True, session_options={"expire_on_commit": False}
)
migrate = Migrate()
cache = Cache()
mail = Mail()
csrf = CSRFProtect()
