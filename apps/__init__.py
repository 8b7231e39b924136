"""The project's apps; each is listed in settings.INSTALLED_APPS."""
