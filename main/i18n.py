"""Language and time-zone choice: profile, then cookie, then Accept-Language; Indonesian by default."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

LANG_COOKIE = "lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.zone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
