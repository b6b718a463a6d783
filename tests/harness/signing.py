"""Sign requests as Slack does and post them to the app over real HTTP.

Slack signs each request with the app's signing secret: HMAC-SHA256 over
``v0:<timestamp>:<raw body>``, sent as ``X-Slack-Signature: v0=<hex>`` with the
timestamp in ``X-Slack-Request-Timestamp``. :func:`sign` does exactly that (checked
against the SDK's published vector in ``tests/fixtures``), so a request the app accepts
here is one it would accept from Slack, and one it rejects here it would reject too.

:class:`SlackRequester` plays Slack's side of the Events API / interactivity endpoint:
it builds payloads with :mod:`tests.harness.payloads`, signs them and POSTs them with
the standard library (no proxy, a fresh connection per request like Slack's), returning
``(status, headers, body)`` plus the measured round trip in ``.latency``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from tests.harness import payloads

EVENTS_PATH = "/slack/events"


def sign(body: bytes | str, secret: str, timestamp: int | str | None = None) -> dict[str, str]:
    """The two headers Slack adds to a request with this body (timestamp: now)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode("ascii") + b":" + body
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class Response(tuple):
    """``(status, headers, body)``; ``headers`` has lower-case names, ``body`` is text.

    ``.latency`` is the round trip in seconds, from sending the request to having read
    the whole response.
    """

    latency: float

    def __new__(cls, status: int, headers: dict[str, str], body: str, latency: float):
        obj = super().__new__(cls, (status, headers, body))
        obj.latency = latency
        return obj

    @property
    def status(self) -> int:
        return self[0]

    @property
    def headers(self) -> dict[str, str]:
        return self[1]

    @property
    def body(self) -> str:
        return self[2]

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def __repr__(self) -> str:
        return f"Response(status={self.status}, body={self.body[:200]!r})"


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_request(
    url: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    method: str | None = None,
    timeout: float = 10.0,
) -> Response:
    """One HTTP request with the standard library; 4xx/5xx are answers, not errors."""
    request = urllib.request.Request(
        url, data=body, headers=dict(headers or {}), method=method or ("POST" if body else "GET")
    )
    started = time.perf_counter()
    try:
        with _OPENER.open(request, timeout=timeout) as resp:
            raw = resp.read()
            status, resp_headers = resp.status, resp.headers
    except urllib.error.HTTPError as err:
        raw = err.read()
        status, resp_headers = err.code, err.headers
    latency = time.perf_counter() - started
    return Response(
        status,
        {k.lower(): v for k, v in resp_headers.items()},
        raw.decode("utf-8", "replace"),
        latency,
    )


ResponseUrl = str | Callable[[], str] | None


class SlackRequester:
    """Posts signed Slack requests to an app at ``base_url`` (e.g. ``http://127.0.0.1:PORT``).

    ``response_url`` is where slash commands and button presses tell the app to answer:
    pass ``fake_slack.response_url`` (a factory: a fresh recorded URL per request) so the
    app's ``respond()`` calls land in the fake. Without it, Slack-looking URLs are used.
    """

    def __init__(
        self,
        base_url: str,
        secret: str,
        *,
        path: str = EVENTS_PATH,
        response_url: ResponseUrl = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.path = path
        self.timeout = timeout
        self._response_url = response_url

    @property
    def url(self) -> str:
        return self.base_url + self.path

    def new_response_url(self) -> str | None:
        if callable(self._response_url):
            return self._response_url()
        return self._response_url

    # ------------------------------------------------------------------ low level

    def raw(self, body: bytes | str, headers: Mapping[str, str]) -> Response:
        """POST ``body`` with exactly these headers (for bad-signature tests)."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        return http_request(self.url, body, headers, timeout=self.timeout)

    def signed(
        self,
        body: bytes | str,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """POST ``body`` signed with the secret (``timestamp`` defaults to now)."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        all_headers = {"Content-Type": content_type, **sign(body, self.secret, timestamp)}
        all_headers.update(headers or {})
        return self.raw(body, all_headers)

    def get(self, path: str) -> Response:
        """A plain GET on the app (``/healthz``), unsigned."""
        return http_request(self.base_url + path, timeout=self.timeout)

    # ------------------------------------------------------------------ Slack requests

    def command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str = payloads.USER_ID,
        channel_id: str = payloads.CHANNEL_ID,
        response_url: str | None = None,
        **fields: Any,
    ) -> Response:
        """A slash command, form-encoded as Slack sends it."""
        body = payloads.slash_command_form(
            command,
            text,
            user_id=user_id,
            channel_id=channel_id,
            response_url=response_url or self.new_response_url() or payloads.DEFAULT_RESPONSE_URL,
            **fields,
        )
        return self.signed(body, "application/x-www-form-urlencoded")

    def event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        **envelope: Any,
    ) -> Response:
        """An Events API delivery of ``event``; ``retry_num``/``retry_reason`` add the
        headers Slack sets when it redelivers (pass the same ``event_id`` as before)."""
        body = json.dumps(payloads.event_callback(event, event_id=event_id, **envelope))
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return self.signed(body, "application/json", headers=headers)

    def event_payload(self, payload: dict[str, Any]) -> Response:
        """Deliver a complete envelope as is (e.g. a fixture file)."""
        return self.signed(json.dumps(payload), "application/json")

    def interactive(self, payload: dict[str, Any]) -> Response:
        """Any interactivity payload, sent as Slack does (form field ``payload``)."""
        return self.signed(payloads.interactive_form(payload), "application/x-www-form-urlencoded")

    def block_action(
        self,
        action_id: str,
        value: str = "",
        user_id: str = payloads.USER_ID,
        channel_id: str | None = None,
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        response_url: str | None = None,
        **kwargs: Any,
    ) -> Response:
        """A button press (see :func:`payloads.block_actions_payload` for where)."""
        if response_url is None and view is None:
            response_url = self.new_response_url()
        payload = payloads.block_actions_payload(
            action_id,
            value,
            user_id,
            channel_id=channel_id,
            message=message,
            view=view,
            response_url=response_url,
            **kwargs,
        )
        return self.interactive(payload)

    def message_shortcut(
        self,
        callback_id: str,
        message: dict[str, Any],
        channel_id: str,
        user_id: str = payloads.USER_ID,
        response_url: str | None = None,
    ) -> Response:
        """A message shortcut chosen on ``message`` in ``channel_id``."""
        payload = payloads.message_action_payload(
            callback_id,
            message,
            channel_id,
            user_id,
            response_url=response_url or self.new_response_url(),
        )
        return self.interactive(payload)

    def view_submission(
        self,
        callback_id: str,
        state_values: dict[str, dict[str, Any]],
        user_id: str = payloads.USER_ID,
        private_metadata: str = "",
        **kwargs: Any,
    ) -> Response:
        """A modal submitted by ``user_id`` (``state_values``: block → action → value)."""
        payload = payloads.view_submission_payload(
            callback_id, state_values, user_id, private_metadata=private_metadata, **kwargs
        )
        return self.interactive(payload)
