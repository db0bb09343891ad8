"""The pages: each view reads the request, calls `digest.schedule.subscriptions`, renders a page.

Pages are ``web/<name>.html`` templates; every page whose link carries a token is checked
first (`_holder`), and an invalid link gets ``web/invalid_link.html`` with status 400 and
changes nothing. A signed link's page has one view per method: GET and HEAD show it, POST
acts, anything else is 405.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask.typing import ResponseReturnValue

from digest import tokens
from digest.config import Config
from digest.deliver import Sender, queue_notice
from digest.errors import SubscriptionError
from digest.models import WEEKDAYS, RenderedDigest
from digest.schedule import subscriptions
from digest.store import Store, StoredSubscriber

pages = Blueprint("pages", __name__)

LinkedView = Callable[[Store, StoredSubscriber], ResponseReturnValue]

_ZONES = sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC")


def _state() -> dict[str, Any]:
    state: dict[str, Any] = current_app.extensions["digest"]
    return state


def _config() -> Config:
    config: Config = _state()["config"]
    return config


def _now() -> datetime:
    now: datetime = _state()["clock"]()
    return now


@pages.app_context_processor
def _title() -> dict[str, str]:
    """Every page and mail knows the digest's title."""
    return {"title": _config().digest.title}


@pages.get("/")
def home() -> ResponseReturnValue:
    return render_template("web/subscribe.html", **_form_context({}, []))


@pages.get("/subscribe")
def subscribe_form() -> ResponseReturnValue:
    return render_template("web/subscribe.html", **_form_context({}, []))


@pages.post("/subscribe")
def subscribe() -> ResponseReturnValue:
    config = _config()
    values = _form_values()
    client = request.remote_addr or "unknown"
    if not _state()["signups"].allow(client):
        return render_template("web/too_many.html"), 429
    with Store(config.store_address) as store:
        try:
            outcome = subscriptions.sign_up(
                config,
                store,
                now=_now(),
                email=request.form.get("email", ""),
                name=request.form.get("name", ""),
                **values,
            )
        except SubscriptionError as exc:
            problems = [
                problem.split(" ", 1)[1] if problem.startswith("--") else problem
                for problem in exc.problems
            ]
            return render_template(
                "web/subscribe.html", **_form_context(request.form, problems)
            ), 400
        if outcome.mail:
            _send_notice(config, store, outcome.subscriber, outcome.mail)
    return render_template("web/check_inbox.html")


def _signed_link(purpose: str) -> Callable[[LinkedView], Callable[[int, str], ResponseReturnValue]]:
    """A view reached by a signed link for `purpose`: it gets the store and the subscriber
    the link names, and never runs for an invalid link (which gets a plain page)."""

    def decorate(view: LinkedView) -> Callable[[int, str], ResponseReturnValue]:
        @functools.wraps(view)
        def checked(subscriber_id: int, token: str) -> ResponseReturnValue:
            with Store(_config().store_address) as store:
                stored = _holder(purpose, subscriber_id, token, store)
                if stored is None:
                    return _invalid()
                return view(store, stored)

        return checked

    return decorate


def _link_route(purpose: str, method: str) -> Callable[[Any], Any]:
    """The route of a signed-link page for one HTTP method. GET (and so HEAD, which Flask
    answers with the GET view) only ever shows a page; POST alone acts. Any other method,
    OPTIONS included, is refused with 405, so no request a mail scanner makes can act."""
    rule = f"/{purpose}/<int:subscriber_id>/<token>"
    return pages.route(rule, methods=[method], provide_automatic_options=False)


@_link_route("confirm", "GET")
@_signed_link("confirm")
def confirm_page(store: Store, stored: StoredSubscriber) -> ResponseReturnValue:
    return render_template("web/confirm.html", subscriber=stored.subscriber)


@_link_route("confirm", "POST")
@_signed_link("confirm")
def confirm(store: Store, stored: StoredSubscriber) -> ResponseReturnValue:
    confirmed = subscriptions.confirm(store, stored.id, now=_now())
    if confirmed is None:
        return _invalid()
    holder = tokens.Holder(confirmed.id, confirmed.token)
    preferences = tokens.link(_config().web, "preferences", holder, base=_base())
    return render_template(
        "web/confirmed.html", subscriber=confirmed.subscriber, preferences_url=preferences
    )


@_link_route("unsubscribe", "GET")
@_signed_link("unsubscribe")
def unsubscribe_page(store: Store, stored: StoredSubscriber) -> ResponseReturnValue:
    return render_template("web/unsubscribe.html", subscriber=stored.subscriber)


@_link_route("unsubscribe", "POST")
@_signed_link("unsubscribe")
def unsubscribe(store: Store, stored: StoredSubscriber) -> ResponseReturnValue:
    store.set_status_by_id(stored.id, "unsubscribed", when=_now())
    if request.form.get("List-Unsubscribe") == "One-Click":  # RFC 8058, from a mail client
        return "Unsubscribed.\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("web/unsubscribed.html", subscriber=stored.subscriber)


@_link_route("preferences", "GET")
@_signed_link("preferences")
def preferences_page(store: Store, stored: StoredSubscriber) -> ResponseReturnValue:
    return render_template("web/preferences.html", **_preferences_context(stored, []))


@_link_route("preferences", "POST")
@_signed_link("preferences")
def preferences(store: Store, stored: StoredSubscriber) -> ResponseReturnValue:
    try:
        changed = subscriptions.update_preferences(
            _config(), store, stored, now=_now(), **_form_values()
        )
    except SubscriptionError as exc:
        context = _preferences_context(stored, _readable(exc))
        return render_template("web/preferences.html", **context), 400
    return render_template("web/saved.html", subscriber=changed)


@pages.get("/static/<name>")
def static(name: str) -> ResponseReturnValue:
    path = static_file(_state()["static"], name)
    if path is None:
        abort(404)
    response = send_file(path, max_age=3600)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def static_file(folders: list[Path], name: str) -> Path | None:
    """The first file called `name` in `folders` (a bare name: no folders, no dot files)."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    for folder in folders:
        path = folder / name
        if path.is_file():
            return path
    return None


def _holder(purpose: str, subscriber_id: int, token: str, store: Store) -> StoredSubscriber | None:
    """The subscriber a valid link for `purpose` names; None for any other link."""
    holder = tokens.read_token(_state()["key"], purpose, token)
    if holder is None or holder.subscriber_id != subscriber_id:
        return None
    stored = store.subscriber_by_id(subscriber_id)
    if stored is None or stored.token != holder.nonce:
        return None
    return stored


def _readable(error: SubscriptionError) -> list[str]:
    """The problems without the command line's option names (``--tz``)."""
    return [p.split(" ", 1)[1] if p.startswith("--") else p for p in error.problems]


def _invalid() -> ResponseReturnValue:
    return render_template("web/invalid_link.html"), 400


def _base() -> str:
    """Where mailed and shown links point: the configured public address (or, for local
    testing only, the loopback address the pages were started on), never the request's Host."""
    base: str = _state()["base_url"]
    return base


def _form_values() -> dict[str, Any]:
    """The subscription fields of the posted form, as `subscriptions` takes them."""
    form = request.form
    weekly = form.get("weekday", "") if form.get("frequency") == "weekly" else None
    return {
        "zone": form.get("timezone", "") or None,
        "at": form.get("at", "07:00"),
        "weekly": weekly,
        "sources": tuple(form.getlist("sources")),
    }


def _form_context(form: Any, problems: list[str]) -> dict[str, Any]:
    config = _config()
    return {
        "problems": problems,
        "form": {
            "email": form.get("email", ""),
            "name": form.get("name", ""),
            "timezone": form.get("timezone", "") or config.digest.timezone,
            "at": form.get("at", "07:00"),
            "frequency": form.get("frequency", "daily"),
            "weekday": form.get("weekday", "monday"),
            "sources": form.getlist("sources") if hasattr(form, "getlist") else [],
        },
        **_choices(),
    }


def _preferences_context(stored: StoredSubscriber, problems: list[str]) -> dict[str, Any]:
    subscriber = stored.subscriber
    weekly = subscriber.weekly_on is not None
    return {
        "problems": problems,
        "subscriber": subscriber,
        "managed": stored.origin == "config",
        "form": {
            "timezone": request.form.get("timezone", subscriber.timezone),
            "at": request.form.get("at", subscriber.send_at.strftime("%H:%M")),
            "frequency": request.form.get("frequency", "weekly" if weekly else "daily"),
            "weekday": request.form.get(
                "weekday",
                WEEKDAYS[subscriber.weekly_on] if subscriber.weekly_on is not None else "monday",
            ),
            "sources": request.form.getlist("sources") or list(subscriber.sources),
        },
        **_choices(),
    }


def _choices() -> dict[str, Any]:
    config = _config()
    with Store(config.store_address) as store:
        names = sorted(subscriptions.known_sources(config, store))
    return {
        "zones": _ZONES,
        "weekdays": WEEKDAYS,
        "source_names": names,
    }


def _send_notice(config: Config, store: Store, stored: StoredSubscriber, mail: str) -> None:
    """Queue the confirmation (or already-subscribed) mail and send it in the background."""
    holder = tokens.Holder(stored.id, stored.token)
    purpose = "confirm" if mail == "confirm" else "preferences"
    context = {
        "subscriber": stored.subscriber,
        "link": tokens.link(config.web, purpose, holder, base=_base()),
    }
    rendered = RenderedDigest(
        subject=" ".join(render_template(f"web/{mail}_mail_subject.txt", **context).split()),
        text=render_template(f"web/{mail}_mail.txt", **context),
        html=render_template(f"web/{mail}_mail.html", **context),
    )
    digest_id = queue_notice(config, store, stored.subscriber, rendered, now=_now())
    threading.Thread(target=_send, args=(config, digest_id), daemon=True).start()


def _send(config: Config, digest_id: int) -> None:
    """Send one queued notice now; if that fails it waits in the outbox for `digest send`."""
    with Store(config.store_address) as store:
        sender = Sender(config, store, follow=True, only_added=True)
        sender.start()
        sender.add(digest_id)
        sender.finish()
