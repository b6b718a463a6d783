"""A fake Slack Web API on 127.0.0.1, for end-to-end tests and the bench.

The app under test keeps its real ``slack_sdk.WebClient``; only the base URL changes
(``SLACK_API_URL=fake.api_url``). Going through a socket means the tests exercise what
production does: request encoding (form, JSON, multipart), the bearer token, the retry
handlers reacting to a real 429 with ``Retry-After``, and ``response_url`` posts made by
Bolt's ``respond``.

The fake keeps just enough state to answer like Slack: the messages it was asked to post
(so ``chat.update`` and ``conversations.replies`` behave), views, reactions, users and
uploaded files. It is strict where Slack is strict (updating a message that does not
exist fails with ``message_not_found``) so those bugs show up in tests, not in a
workspace.

The app answers in background threads after it acks, so tests wait for the calls they
expect with :meth:`FakeSlack.wait_for`, which blocks on a condition variable until the
call arrives (or fails the test with the list of calls it did see).
"""

from __future__ import annotations

import contextlib
import copy
import email.parser
import email.policy
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.harness import payloads

log = logging.getLogger(__name__)

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T111"
TEAM_NAME = "Fake Workspace"
APP_ID = "A111"

# Fields Slack accepts either as JSON or as a JSON string inside a form body; the fake
# decodes them so tests can assert on ``args["blocks"]`` whichever encoding the client used.
JSON_FIELDS = frozenset(
    {"blocks", "attachments", "view", "files", "prompts", "metadata", "users_list"}
)

Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Call:
    """One request the fake received.

    ``method`` is the Web API method (``"chat.postMessage"``), ``"response_url"`` for a
    post to a response URL, or ``"upload"`` for the file bytes sent to an upload URL.
    ``status`` and ``error`` say how the fake answered (429, 500, ``channel_not_found``);
    ``response`` is the JSON it answered with (e.g. ``["message"]`` of a posted message,
    ready to be the ``message`` of a button press on it).
    """

    method: str
    args: dict[str, Any]
    token: str | None
    status: int = 200
    error: str | None = None
    response: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    at: float = field(default_factory=time.monotonic, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


@dataclass
class _Injected:
    """A canned failure for the next ``remaining`` calls to a method (None: until reset)."""

    status: int
    error: str
    remaining: int | None
    headers: dict[str, str] = field(default_factory=dict)
    after: bool = False  # do the work first (the message is posted), then fail
    delay: float = 0.0  # seconds to wait before answering (after the work)
    channel: str | None = None  # only calls to this channel (None: every call)


class ApiError(Exception):
    """Raised by a method implementation to answer ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class FakeSlack:
    """The fake Web API server. Use as a context manager (or ``start()``/``stop()``).

    >>> with FakeSlack() as fake:
    ...     client = WebClient(token="xoxb-test", base_url=fake.api_url)
    """

    def __init__(self, *, bot_user_id: str = BOT_USER_ID, team_id: str = TEAM_ID) -> None:
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self._cond = threading.Condition(threading.RLock())
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, Handler] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.publish": self._views_publish,
            "views.update": self._views_update,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "users.info": self._users_info,
            "assistant.threads.setStatus": self._assistant_thread,
            "assistant.threads.setSuggestedPrompts": self._assistant_thread,
            "assistant.threads.setTitle": self._assistant_thread,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
        }
        self._overrides: dict[str, Handler] = {}
        self.reset()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="fake-slack",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not running: use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """The base URL for ``WebClient(base_url=...)`` and ``SLACK_API_URL``."""
        return self.url + "/api/"

    # ------------------------------------------------------------------ state

    def reset(self) -> None:
        """Forget calls, messages, views, injected failures and overrides."""
        with self._cond:
            self.calls: list[Call] = []
            self.messages: dict[str, list[dict[str, Any]]] = {}
            self.ephemeral: list[dict[str, Any]] = []
            self.views: dict[str, dict[str, Any]] = {}
            self.home_views: dict[str, dict[str, Any]] = {}
            self.reactions: dict[tuple[str, str], list[tuple[str, str]]] = {}
            self.users: dict[str, dict[str, Any]] = {}
            self.uploads: dict[str, bytes] = {}
            self.files: dict[str, dict[str, Any]] = {}
            self._injected: dict[str, list[_Injected]] = {}
            self._overrides = {}
            self._ids = itertools.count(1)
            self.not_member: set[str] = set()  # channels the bot was not invited to
            self.released = threading.Event()  # ends every hold()

    def next_ts(self) -> str:
        """A message timestamp from the clock, unique and increasing across the process
        (shared with the payload builders, so a reply sorts after its question)."""
        return payloads.next_ts()

    def _next_id(self, prefix: str) -> str:
        with self._cond:
            return f"{prefix}{next(self._ids):07d}"

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U111",
        ts: str | None = None,
        thread_ts: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Seed a message someone else wrote (a thread's question, a channel history)."""
        message: dict[str, Any] = {"type": "message", "user": user, "text": text}
        message["ts"] = ts or self.next_ts()
        if thread_ts:
            message["thread_ts"] = thread_ts
        message.update(extra)
        with self._cond:
            self._append(channel, message)
        return copy.deepcopy(message)

    def _append(self, channel: str, message: dict[str, Any]) -> None:
        """Store a message; a reply marks its parent as a thread, as Slack does."""
        history = self.messages.setdefault(channel, [])
        thread_ts = message.get("thread_ts")
        if thread_ts and thread_ts != message["ts"]:
            for parent in history:
                if parent["ts"] == thread_ts:
                    parent["thread_ts"] = thread_ts
                    parent["reply_count"] = parent.get("reply_count", 0) + 1
                    parent["latest_reply"] = message["ts"]
                    break
        history.append(message)

    def add_user(self, user_id: str, *, name: str | None = None, **profile: Any) -> None:
        """Seed what ``users.info`` returns for a user (otherwise a generated profile)."""
        with self._cond:
            self.users[user_id] = self._user_record(user_id, name=name, **profile)

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The current version of a message the fake holds, or None."""
        with self._cond:
            for message in self.messages.get(channel, []):
                if message["ts"] == ts:
                    return copy.deepcopy(message)
        return None

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The parent and replies of a thread, oldest first."""
        with self._cond:
            found = [
                m
                for m in self.messages.get(channel, [])
                if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts
            ]
            return copy.deepcopy(sorted(found, key=lambda m: _ts_key(m["ts"])))

    # ------------------------------------------------------------------ behaviour on demand

    def rate_limit(
        self, method: str, *, times: int = 1, retry_after: int = 1, channel: str | None = None
    ) -> None:
        """Answer the next ``times`` calls to ``method`` (to ``channel``, when given) with
        429 and ``Retry-After``."""
        self._inject(
            method,
            _Injected(
                429, "ratelimited", times, {"Retry-After": str(retry_after)}, channel=channel
            ),
        )

    def fail(
        self,
        method: str,
        *,
        error: str = "internal_error",
        status: int = 200,
        times: int | None = 1,
    ) -> None:
        """Make ``method`` fail: ``ok:false`` with ``error`` (status 200) or an HTTP 5xx.

        ``times=None`` keeps failing until :meth:`reset` or :meth:`clear_failures`.
        """
        self._inject(method, _Injected(status, error, times))

    def fail_after_posting(
        self, method: str, *, status: int = 500, error: str = "internal_error", times: int = 1
    ) -> None:
        """Do what ``method`` asks (the message is posted), then answer HTTP ``status``:
        Slack's worst case, where the client cannot tell that the call succeeded."""
        self._inject(method, _Injected(status, error, times, after=True))

    def answer_late(self, method: str, *, seconds: float, times: int = 1) -> None:
        """Do what ``method`` asks, then wait ``seconds`` before answering (past a client
        timeout, the caller sees a timeout although the message is out)."""
        self._inject(method, _Injected(200, "", times, after=True, delay=seconds))

    def hold(self, method: str, *, times: int = 1) -> None:
        """Do what ``method`` asks, then answer only once :attr:`released` is set (or
        after 60 s): a caller can be killed while its call is in flight."""
        self._inject(method, _Injected(200, "", times, after=True, delay=-1))

    def clear_failures(self) -> None:
        with self._cond:
            self._injected = {}

    def on(self, method: str, handler: Handler) -> None:
        """Answer ``method`` with ``handler(args) -> response dict`` (the call is still
        recorded). Raise :class:`ApiError` in the handler to answer ``ok: false``."""
        with self._cond:
            self._overrides[method] = handler

    def _inject(self, method: str, injected: _Injected) -> None:
        with self._cond:
            self._injected.setdefault(method, []).append(injected)

    def _take_injected(self, method: str, args: dict[str, Any]) -> _Injected | None:
        with self._cond:
            queue = self._injected.get(method) or []
            while queue:
                head = queue[0]
                if head.channel is not None and args.get("channel") != head.channel:
                    return None
                if head.remaining is None:
                    return head
                if head.remaining > 0:
                    head.remaining -= 1
                    if head.remaining == 0:
                        queue.pop(0)
                    return head
                queue.pop(0)
            return None

    # ------------------------------------------------------------------ inspection

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def last_call(self, method: str) -> Call:
        """The latest call to ``method`` (fails the test if there was none)."""
        calls = self.calls_to(method)
        if not calls:
            raise AssertionError(f"no call to {method}; calls seen: {self.methods_called()}")
        return calls[-1]

    def methods_called(self) -> list[str]:
        with self._cond:
            return [c.method for c in self.calls]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until at least ``count`` calls to ``method`` (matching ``predicate``)
        arrived; return them. Fails with the calls seen so far when ``timeout`` passes."""

        def matching() -> list[Call]:
            return [
                c for c in self.calls if c.method == method and (predicate is None or predicate(c))
            ]

        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = matching()
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = ", ".join(f"{c.method}({c.status})" for c in self.calls) or "none"
                    raise AssertionError(
                        f"expected {count} call(s) to {method}, got {len(found)} "
                        f"within {timeout:g} s; calls seen: {seen}"
                    )
                self._cond.wait(remaining)

    def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Block until ``condition()`` is true, re-checking whenever a call arrives."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"condition not met within {timeout:g} s")
                self._cond.wait(min(remaining, 0.1))

    def response_url(self, name: str | None = None) -> str:
        """A fresh ``response_url`` whose posts are recorded as ``"response_url"`` calls
        (with ``args["response_id"]`` = ``name``)."""
        return f"{self.url}/response/{name or self._next_id('R')}"

    def responses(self, response_url: str | None = None) -> list[dict[str, Any]]:
        """Bodies posted to response URLs (to one URL when given), oldest first."""
        wanted = response_url.rsplit("/", 1)[-1] if response_url else None
        return [
            {k: v for k, v in c.args.items() if k != "response_id"}
            for c in self.calls_to("response_url")
            if wanted is None or c.args.get("response_id") == wanted
        ]

    # ------------------------------------------------------------------ dispatch

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def handle_api(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """Answer one Web API call: (status, extra headers, JSON body). Records it."""
        injected = self._take_injected(method, args)
        if injected is not None and injected.after:
            with self._cond:  # re-entrant: the work and its record stay together
                status, headers, body = self._answer(method, args, token)
                recorded = len(self.calls) - 1
            if injected.delay < 0:
                self.released.wait(60)
            elif injected.delay:
                time.sleep(injected.delay)
            if injected.error:
                failed = {"ok": False, "error": injected.error}
                with self._cond:
                    self.calls[recorded] = Call(
                        method, args, token, injected.status, injected.error, failed
                    )
                return injected.status, dict(injected.headers), failed
            return status, headers, body
        if injected is not None:
            body = {"ok": False, "error": injected.error}
            self._record(Call(method, args, token, injected.status, injected.error, body))
            return injected.status, dict(injected.headers), body
        return self._answer(method, args, token)

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._cond:
            handler = self._overrides.get(method) or self._methods.get(method)
        if handler is None:
            result: dict[str, Any] = {"ok": False, "error": "unknown_method"}
        elif method not in ("api.test",) and not token:
            result = {"ok": False, "error": "not_authed"}
        else:
            try:
                result = handler(args)
                result.setdefault("ok", True)
            except ApiError as exc:
                result = {"ok": False, "error": exc.error}
        error = None if result.get("ok") else str(result.get("error"))
        self._record(Call(method, args, token, 200, error, copy.deepcopy(result)))
        return 200, {}, result

    def handle_response_url(self, response_id: str, body: dict[str, Any]) -> None:
        self._record(Call("response_url", {"response_id": response_id, **body}, None))

    def share_file(self, name: str, data: bytes, *, user: str = "U111") -> str:
        """A file someone shared with the bot: ``files.info`` describes it and its
        ``url_private`` serves ``data`` to a request with a bot token. Its id."""
        file_id = self._next_id("F")
        with self._cond:
            self.files[file_id] = {
                "id": file_id,
                "name": name,
                "title": name,
                "size": len(data),
                "user": user,
                "url_private": f"{self.url}/files/{file_id}/{name}",
                "url_private_download": f"{self.url}/files/{file_id}/download/{name}",
            }
            self.uploads[file_id] = data
        return file_id

    def handle_download(self, file_id: str, token: str | None) -> tuple[int, bytes]:
        """GET of a url_private: the bytes with a token, 403 without, 404 if unknown."""
        with self._cond:
            data = self.uploads.get(file_id)
        status = 404 if data is None else (200 if token else 403)
        self._record(Call("download", {"file_id": file_id}, token, status))
        return status, (data or b"") if status == 200 else b"not allowed"

    def handle_upload(self, file_id: str, data: bytes) -> bool:
        with self._cond:
            known = file_id in self.files
            if known:
                self.uploads[file_id] = data
        self._record(
            Call("upload", {"file_id": file_id, "length": len(data)}, None, 200 if known else 404)
        )
        return known

    # ------------------------------------------------------------------ methods

    def _assistant_thread(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel_id", error="channel_not_found")
        self._require(args, "thread_ts", error="invalid_arguments")
        return {"ok": True}

    def _api_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "args": args}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake-workspace.slack.com/",
            "team": TEAM_NAME,
            "user": "spinebot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "is_enterprise_install": False,
        }

    def _bot_message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        """A message as Slack stores one the bot posted (``bot_id`` set: the app's own
        listeners use it to ignore their messages)."""
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": args.get("text", ""),
            "ts": ts,
            "team": self.team_id,
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts", "files"):
            if args.get(key):
                message[key] = args[key]
        return message

    def _require(self, args: dict[str, Any], *names: str, error: str = "invalid_arguments") -> None:
        for name in names:
            if not args.get(name):
                raise ApiError(error)

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", error="channel_not_found")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            raise ApiError("no_text")
        channel = _channel_id(args["channel"])
        with self._cond:
            if channel in self.not_member:
                raise ApiError("not_in_channel")
        message = self._bot_message(args, self.next_ts())
        with self._cond:
            self._append(channel, message)
        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "message": copy.deepcopy(message),
        }

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", error="channel_not_found")
        self._require(args, "user", error="user_not_in_channel")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            raise ApiError("no_text")
        ts = self.next_ts()
        with self._cond:
            self.ephemeral.append(
                {
                    **self._bot_message(args, ts),
                    "for_user": args["user"],
                    "channel": args["channel"],
                }
            )
        return {"ok": True, "message_ts": ts}

    def _find(self, channel: str, ts: str) -> dict[str, Any]:
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                return message
        raise ApiError("message_not_found")

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", error="channel_not_found")
        self._require(args, "ts", error="message_not_found")
        channel = _channel_id(args["channel"])
        with self._cond:
            message = self._find(channel, args["ts"])
            for key in ("text", "blocks", "attachments", "metadata"):
                if key in args:
                    message[key] = args[key]
            message["edited"] = {"user": self.bot_user_id, "ts": self.next_ts()}
            snapshot = copy.deepcopy(message)
        return {
            "ok": True,
            "channel": channel,
            "ts": args["ts"],
            "text": snapshot.get("text", ""),
            "message": snapshot,
        }

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", error="channel_not_found")
        self._require(args, "ts", error="message_not_found")
        channel = _channel_id(args["channel"])
        with self._cond:
            message = self._find(channel, args["ts"])
            self.messages[channel].remove(message)
        return {"ok": True, "channel": channel, "ts": args["ts"]}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", error="channel_not_found")
        self._require(args, "message_ts", error="message_not_found")
        ts = str(args["message_ts"]).replace(".", "")
        return {
            "ok": True,
            "channel": args["channel"],
            "permalink": f"https://fake-workspace.slack.com/archives/{args['channel']}/p{ts}",
        }

    def _stored_view(self, view: Any, view_id: str | None = None) -> dict[str, Any]:
        if not isinstance(view, dict) or not view.get("type"):
            raise ApiError("invalid_arguments")
        stored = copy.deepcopy(view)
        stored.update(
            {
                "id": view_id or self._next_id("V"),
                "team_id": self.team_id,
                "app_id": APP_ID,
                "bot_id": BOT_ID,
                "state": {"values": {}},
                "hash": f"{time.time():.6f}.fake",
            }
        )
        stored.setdefault("private_metadata", "")
        stored.setdefault("callback_id", "")
        stored.setdefault("external_id", "")
        with self._cond:
            self.views[stored["id"]] = stored
        return stored

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "trigger_id", error="invalid_trigger_id")
        return {"ok": True, "view": copy.deepcopy(self._stored_view(args.get("view")))}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "user_id", error="user_not_found")
        view = args.get("view")
        if isinstance(view, dict) and view.get("type") != "home":
            raise ApiError("invalid_arguments")
        with self._cond:
            old = self.home_views.get(args["user_id"])
        stored = self._stored_view(view, old["id"] if old else None)
        with self._cond:
            self.home_views[args["user_id"]] = stored
        return {"ok": True, "view": copy.deepcopy(stored)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            view_id = args.get("view_id")
            if not view_id and args.get("external_id"):
                view_id = next(
                    (
                        v["id"]
                        for v in self.views.values()
                        if v.get("external_id") == args["external_id"]
                    ),
                    None,
                )
            if not view_id or view_id not in self.views:
                raise ApiError("not_found")
        return {"ok": True, "view": copy.deepcopy(self._stored_view(args.get("view"), view_id))}

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", error="channel_not_found")
        self._require(args, "timestamp", error="message_not_found")
        self._require(args, "name", error="invalid_name")
        key = (_channel_id(args["channel"]), args["timestamp"])
        with self._cond:
            current = self.reactions.setdefault(key, [])
            if (args["name"], self.bot_user_id) in current:
                raise ApiError("already_reacted")
            current.append((args["name"], self.bot_user_id))
        return {"ok": True}

    def _reactions_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "name", error="invalid_name")
        key = (_channel_id(str(args.get("channel", ""))), str(args.get("timestamp", "")))
        with self._cond:
            current = self.reactions.get(key, [])
            if (args["name"], self.bot_user_id) not in current:
                raise ApiError("no_reaction")
            current.remove((args["name"], self.bot_user_id))
        return {"ok": True}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", error="channel_not_found")
        self._require(args, "ts", error="thread_not_found")
        messages = self.thread(_channel_id(args["channel"]), args["ts"])
        if not messages:
            raise ApiError("thread_not_found")
        limit = int(args.get("limit") or 1000)
        return {
            "ok": True,
            "messages": messages[:limit],
            "has_more": len(messages) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", error="channel_not_found")
        with self._cond:
            top = [
                m
                for m in self.messages.get(_channel_id(args["channel"]), [])
                if m.get("thread_ts") in (None, m["ts"])
            ]
            newest_first = copy.deepcopy(sorted(top, key=lambda m: _ts_key(m["ts"]), reverse=True))
        if str(args.get("include_all_metadata", "")).lower() not in ("1", "true"):
            for message in newest_first:  # Slack sends metadata only when asked
                message.pop("metadata", None)
        oldest = args.get("oldest")
        if oldest:
            newest_first = [m for m in newest_first if _ts_key(m["ts"]) > _ts_key(str(oldest))]
        limit = int(args.get("limit") or 100)
        return {
            "ok": True,
            "messages": newest_first[:limit],
            "has_more": len(newest_first) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", error="channel_not_found")
        channel = _channel_id(args["channel"])
        with self._cond:
            member = channel not in self.not_member
        return {
            "ok": True,
            "channel": {"id": channel, "name": channel.lower(), "is_member": member},
        }

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = args.get("users")
        if isinstance(users, list):
            users = ",".join(users)
        if not users:
            raise ApiError("users_list_not_supplied")
        user = str(users).split(",")[0].strip()
        return {"ok": True, "channel": {"id": dm_channel(user), "is_im": True, "user": user}}

    def _user_record(self, user_id: str, *, name: str | None = None, **profile: Any) -> dict:
        name = name or f"user-{user_id.lower()}"
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": profile.get("real_name", name.replace("-", " ").title()),
            "tz": profile.get("tz", "UTC"),
            "is_bot": user_id == self.bot_user_id,
            "deleted": False,
            "profile": {
                "display_name": profile.get("display_name", name),
                "real_name": profile.get("real_name", name.replace("-", " ").title()),
                **{k: v for k, v in profile.items() if k not in ("tz",)},
            },
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "user", error="user_not_found")
        with self._cond:
            user = self.users.get(args["user"]) or self._user_record(args["user"])
        return {"ok": True, "user": copy.deepcopy(user)}

    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "filename", error="invalid_arguments")
        if not str(args.get("length", "")).isdigit():
            raise ApiError("invalid_arguments")
        file_id = self._next_id("F")
        with self._cond:
            self.files[file_id] = {
                "id": file_id,
                "name": args["filename"],
                "title": args["filename"],
                "size": int(args["length"]),
            }
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "file")
        with self._cond:
            record = self.files.get(str(args["file"]))
            if record is None:
                raise ApiError("file_not_found")
            return {"ok": True, "file": copy.deepcopy(record)}

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            raise ApiError("invalid_arguments")
        done = []
        with self._cond:
            for item in files:
                record = self.files.get(str(item.get("id")))
                if record is None or record["id"] not in self.uploads:
                    raise ApiError("file_not_found")
                record["title"] = item.get("title") or record["name"]
                done.append(copy.deepcopy(record))
        channel = args.get("channel_id") or (str(args.get("channels") or "").split(",")[0])
        if channel:
            self._chat_post_message(
                {
                    "channel": channel,
                    "text": args.get("initial_comment") or "",
                    "thread_ts": args.get("thread_ts"),
                    "files": done,
                    "blocks": [],
                    "attachments": [{"fallback": f["title"]} for f in done],
                }
            )
        return {"ok": True, "files": done}


# ---------------------------------------------------------------------- helpers


def dm_channel(user_id: str) -> str:
    """The direct-message channel id the fake uses for a user (stable, D-prefixed)."""
    return "D" + user_id


def _channel_id(channel: str) -> str:
    # Posting to a user id lands in the DM with that user, as on Slack.
    return dm_channel(channel) if channel[:1] in ("U", "W") else channel


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds or 0), int(micros or 0)


def _decode_json_fields(args: dict[str, Any]) -> dict[str, Any]:
    for key in JSON_FIELDS & args.keys():
        value = args[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                args[key] = json.loads(value)
    return args


def parse_args(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    """Merge query-string, form, multipart and JSON arguments the way Slack does."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    ctype = content_type.split(";")[0].strip().lower()
    if body:
        if ctype == "application/json":
            parsed = json.loads(body.decode("utf-8"))
            if isinstance(parsed, dict):
                args.update(parsed)
        elif ctype == "multipart/form-data":
            raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if not name:
                    continue
                payload = part.get_payload(decode=True) or b""
                if part.get_filename():
                    args[name] = payload
                else:
                    args[name] = payload.decode("utf-8")
        else:
            args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return _decode_json_fields(args)


def _make_handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeSlack/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            log.debug("fake slack: %s", format % args)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
            body = json.dumps(payload).encode("utf-8")
            self._send(status, body, "application/json; charset=utf-8", headers)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.do_POST()

        def do_POST(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            body = self._body()
            segments = [s for s in parts.path.split("/") if s]
            try:
                if len(segments) == 2 and segments[0] == "api":
                    args = parse_args(self.headers.get("Content-Type", ""), body, parts.query)
                    token = _bearer(self.headers.get("Authorization")) or args.get("token")
                    status, headers, payload = fake.handle_api(segments[1], args, token)
                    self._json(status, payload, headers)
                elif len(segments) == 2 and segments[0] == "response":
                    try:
                        payload = json.loads(body.decode("utf-8") or "{}")
                    except ValueError:
                        payload = {"_raw": body.decode("utf-8", "replace")}
                    fake.handle_response_url(segments[1], _decode_json_fields(payload))
                    self._send(200, b"ok", "text/html", {})
                elif len(segments) >= 2 and segments[0] == "files":
                    token = _bearer(self.headers.get("Authorization"))
                    status, data = fake.handle_download(segments[1], token)
                    self._send(status, data, "application/octet-stream", {})
                elif len(segments) == 2 and segments[0] == "upload":
                    found = fake.handle_upload(segments[1], body)
                    status = 200 if found else 404
                    self._send(status, b"OK - %d" % len(body), "text/plain", {})
                else:
                    self._send(404, b"not found", "text/plain", {})
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timed out, or was killed) before the answer
            except Exception:  # a bug in the fake must show up, not hang the client
                log.exception("fake slack failed on %s", parts.path)
                self._send(500, b"fake slack error", "text/plain", {})

    return Handler


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "TEAM_ID",
    "ApiError",
    "Call",
    "FakeSlack",
    "dm_channel",
    "parse_args",
]
