"""`spinebot console`: the Slack app in a terminal, with no workspace and no network.

What you type becomes the payload Slack would send (a DM message event, a `/ask` or
`/usecase` slash command, a button press, a modal submission) and is dispatched to the
very same Bolt app and listeners. After ``/channel`` you are in a channel: a line
starting with ``@spinebot`` is a mention, and the lines after it are follow-ups in the
thread it started (``/dm`` goes back to the direct message). Event ids are random, so a
second run's questions are never taken for repeats of the first run's. The app's Web
API client is :class:`ConsoleSlack`, an in-process stand-in that renders what the bot
posts instead of sending it, and ``respond()`` prints instead of calling a response_url.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from rich.console import Console
from rich.markup import escape as rich_escape
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

USER_ID = "UCONSOLE1"
USER_NAME = "you"
CHANNEL_ID = "CCONSOLE1"
DM_CHANNEL_ID = "DCONSOLE1"
BOT_USER_ID = "USPINEBOT"
TEAM_ID = "TCONSOLE1"

CONNECT_HINT = (
    "Not connected to Slack. To use a real workspace, set SLACK_BOT_TOKEN and "
    "SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode): see README.md."
)


# --------------------------------------------------------------------------- rendering


@dataclass
class ButtonRef:
    action_id: str
    value: str
    label: str
    message_ts: str | None
    channel: str | None
    ephemeral: bool
    response_url: str | None = None


@dataclass
class Screen:
    """Renders Block Kit in the terminal and numbers every button it shows."""

    console: Console
    buttons: list[ButtonRef] = field(default_factory=list)

    def mrkdwn(self, text: str) -> str:
        text = re.sub(r"<@([A-Z0-9]+)(?:\|[^>]*)?>", lambda m: "@" + m.group(1), text)
        text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2 (\1)", text)
        text = rich_escape(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
        text = re.sub(r"```(.+?)```", r"[cyan]\1[/cyan]", text, flags=re.S)
        text = re.sub(r"`([^`\n]+)`", r"[cyan]\1[/cyan]", text)
        text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"[bold]\1[/bold]", text)
        text = re.sub(r"(?<![\w_])_([^_\n]+)_(?![\w_])", r"[italic]\1[/italic]", text)
        return text

    def _text(self, obj: dict | None) -> str:
        if not obj:
            return ""
        raw = str(obj.get("text", ""))
        return self.mrkdwn(raw) if obj.get("type") == "mrkdwn" else rich_escape(raw)

    def add_button(self, element: dict, origin: dict) -> str:
        label = element.get("text", {}).get("text", "?")
        self.buttons.append(
            ButtonRef(
                action_id=element.get("action_id", ""),
                value=element.get("value", ""),
                label=label,
                message_ts=origin.get("ts"),
                channel=origin.get("channel"),
                ephemeral=origin.get("ephemeral", False),
                response_url=origin.get("response_url"),
            )
        )
        return f"[reverse] {len(self.buttons)} [/reverse] {rich_escape(label)}"

    def blocks(self, blocks: list[dict], origin: dict, indent: str = "  ") -> None:
        for block in blocks:
            kind = block.get("type")
            if kind == "header":
                self.console.print(indent + f"[bold underline]{self._text(block.get('text'))}[/]")
            elif kind == "section":
                if block.get("text"):
                    self.console.print(
                        indent + self._text(block["text"]).replace("\n", "\n" + indent)
                    )
                fields = block.get("fields") or []
                if fields:
                    cells = [self._text(f).replace("\n", ": ", 1) for f in fields]
                    self.console.print(indent + "   ".join(cells))
                accessory = block.get("accessory")
                if accessory and accessory.get("type") == "button":
                    self.console.print(indent + "  " + self.add_button(accessory, origin))
            elif kind == "context":
                parts = [self._text(e) for e in block.get("elements", []) if e.get("text")]
                self.console.print(
                    indent + "[dim]" + "  ".join(parts).replace("\n", "\n" + indent) + "[/dim]"
                )
            elif kind == "actions":
                labels = [
                    self.add_button(e, origin)
                    for e in block.get("elements", [])
                    if e.get("type") == "button"
                ]
                self.console.print(indent + "   ".join(labels))
            elif kind == "divider":
                self.console.print(indent + "[dim]" + "─" * 40 + "[/dim]")
            elif kind == "image":
                self.console.print(
                    indent + f"[dim](image: {rich_escape(block.get('alt_text', ''))})[/dim]"
                )

    def message(self, who: str, payload: dict, origin: dict, note: str = "") -> None:
        tag = f"[bold magenta]{who}[/]" + (f" [dim]{note}[/dim]" if note else "")
        self.console.print(tag)
        blocks = payload.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if blocks:
            self.blocks(blocks, origin)
        elif payload.get("text"):
            self.console.print("  " + self.mrkdwn(str(payload["text"])))


# --------------------------------------------------------------------------- fake Web API


class ConsoleSlack(WebClient):
    """A Web API client that renders calls instead of sending them."""

    def __init__(self, screen: Screen) -> None:
        super().__init__(token=None, base_url="http://console.invalid/api/")
        self.screen = screen
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self.messages: dict[str, list[dict]] = {}  # channel → messages
        self.views: list[dict] = []  # modals opened, newest last
        self.home: dict | None = None

    def next_ts(self) -> str:
        with self._lock:
            return f"{int(time.time())}.{next(self._ts):06d}"

    def api_call(  # type: ignore[override]
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict | None = None,
        data: dict | None = None,
        params: dict | None = None,
        json: dict | None = None,  # noqa: A002 - the SDK's own parameter name
        headers: dict | None = None,
        auth: dict | None = None,
    ) -> SlackResponse:
        args: dict[str, Any] = {**(params or {}), **(data or {}), **(json or {})}
        for key in ("blocks", "view", "prompts"):
            if isinstance(args.get(key), str):
                with contextlib.suppress(ValueError):
                    args[key] = _json_loads(args[key])
        body = self.handle(api_method, args)
        return SlackResponse(
            client=self,
            http_verb=http_verb,
            api_url=api_method,
            req_args={},
            data=body,
            headers={},
            status_code=200,
        ).validate()

    def handle(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER_ID, "bot_id": "BSPINEBOT", "team_id": TEAM_ID}
        if method == "chat.postMessage":
            channel = args.get("channel", "")
            if channel.startswith("U"):
                channel = DM_CHANNEL_ID
            ts = self.next_ts()
            message = {
                "ts": ts,
                "bot_id": "BSPINEBOT",
                "text": args.get("text", ""),
                "thread_ts": args.get("thread_ts"),
            }
            self.messages.setdefault(channel, []).append(message)
            where = "" if channel in (DM_CHANNEL_ID, CHANNEL_ID) else f"in {channel}"
            self.screen.message("spinebot", args, {"ts": ts, "channel": channel}, where)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            self.screen.message(
                "spinebot", args, {"ts": args.get("ts"), "channel": args.get("channel")}
            )
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "chat.postEphemeral":
            self.screen.message(
                "spinebot",
                args,
                {"channel": args.get("channel"), "ephemeral": True},
                "(only visible to you)",
            )
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "conversations.replies":
            thread = args.get("ts")
            found = [
                m
                for m in self.messages.get(args.get("channel", ""), [])
                if m["ts"] == thread or m.get("thread_ts") == thread
            ]
            return {"ok": True, "messages": found, "has_more": False}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": DM_CHANNEL_ID}}
        if method in ("views.open", "views.push", "views.update"):
            view = dict(args.get("view") or {})
            view.setdefault("id", f"V{next(self._ts)}")
            self.views.append(view)
            return {"ok": True, "view": view}
        if method == "views.publish":
            self.home = args.get("view")
            self.screen.console.print("[bold magenta]spinebot[/] [dim](App Home)[/dim]")
            self.screen.blocks((self.home or {}).get("blocks", []), {"channel": "home"})
            return {"ok": True, "view": self.home}
        if method == "users.info":
            return {"ok": True, "user": {"id": args.get("user"), "name": USER_NAME}}
        return {"ok": True}

    def record_user_message(self, channel: str, ts: str, text: str, thread_ts: str | None) -> None:
        self.messages.setdefault(channel, []).append(
            {"ts": ts, "user": USER_ID, "text": text, "thread_ts": thread_ts}
        )


def _json_loads(value: str) -> Any:
    return json.loads(value)


class ConsoleRespond:
    """``respond()`` for the console: prints the reply instead of POSTing response_url."""

    def __init__(self, screen: Screen, response_url: str) -> None:
        self.screen = screen
        self.response_url = response_url

    def __call__(
        self,
        text: str = "",
        blocks: list | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        **_: Any,
    ) -> None:
        if delete_original and not (text or blocks):
            return
        note = "" if response_type == "in_channel" else "(only visible to you)"
        if replace_original:
            note = (note + " (updated)").strip()
        self.screen.message(
            "spinebot",
            {"text": text, "blocks": blocks},
            {"ephemeral": response_type != "in_channel", "response_url": self.response_url},
            note,
        )


# --------------------------------------------------------------------------- payloads


def slash_command_body(command: str, text: str, trigger_id: str, response_url: str) -> str:
    return urlencode(
        {
            "token": "console",
            "team_id": TEAM_ID,
            "team_domain": "console",
            "channel_id": CHANNEL_ID,
            "channel_name": "console",
            "user_id": USER_ID,
            "user_name": USER_NAME,
            "command": command,
            "text": text,
            "api_app_id": "ACONSOLE",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def event_body(event: dict, event_id: str) -> str:
    return json.dumps(
        {
            "token": "console",
            "team_id": TEAM_ID,
            "api_app_id": "ACONSOLE",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
    )


def interaction_body(payload: dict) -> str:
    return urlencode({"payload": json.dumps(payload)})


# --------------------------------------------------------------------------- the session


class ConsoleSession:
    """One person talking to the bot. ``handle_line`` is the whole interaction model."""

    def __init__(
        self,
        app_factory: Callable[[WebClient], App],
        console: Console | None = None,
        ask: Callable[[str], str] | None = None,
    ) -> None:
        self.console = console or Console()
        self.screen = Screen(self.console)
        self.client = ConsoleSlack(self.screen)
        self.app = app_factory(self.client)
        self.ask = ask or (lambda prompt: self.console.input(prompt))
        self._ids = itertools.count(1)
        self.thread_ts: str | None = None
        self.in_channel = False  # /channel: mentions and thread follow-ups; /dm: DMs
        from bot.app import app_deps

        app_deps(self.app).respond_factory = lambda url: ConsoleRespond(self.screen, url)

        @self.app.middleware
        def console_respond(context, body, next):  # type: ignore[no-untyped-def]  # noqa: A002
            url = body.get("response_url") or ""
            context["respond"] = ConsoleRespond(self.screen, url)
            return next()

    def dispatch(self, body: str, content_type: str) -> dict | None:
        request = BoltRequest(body=body, headers={"content-type": [content_type]})
        response = self.app.dispatch(request)
        if response.status >= 400:
            self.console.print(f"[red]The app answered {response.status}.[/red]")
            return None
        if response.body:
            try:
                return json.loads(response.body)
            except ValueError:
                return {"text": response.body}
        return None

    def handle_line(self, line: str) -> bool:
        """Process one input line; False means the person wants to leave."""
        line = line.strip()
        if not line:
            return True
        if line in ("/quit", "/exit", "quit", "exit"):
            return False
        if line == "/help":
            self.console.print(HELP)
            return True
        if line in ("/channel", "/dm"):
            self.in_channel = line == "/channel"
            self.thread_ts = None
            self.console.print(CHANNEL_HINT if self.in_channel else DM_HINT)
            return True
        if line == "/home":
            self.event(
                {
                    "type": "app_home_opened",
                    "user": USER_ID,
                    "channel": DM_CHANNEL_ID,
                    "tab": "home",
                }
            )
            self.after()
            return True
        if line.isdigit():
            self.press(int(line))
        elif line.startswith("/"):
            command, _, text = line.partition(" ")
            if command not in ("/ask", "/usecase"):
                self.console.print(f"[yellow]Unknown command {rich_escape(command)}.[/] {HELP}")
                return True
            self.command(command, text)
        elif self.in_channel:
            self.channel_line(line)
        else:
            self.message(line)
        self.after()
        return True

    def channel_line(self, line: str) -> None:
        """``@spinebot …`` mentions the bot (a new thread); other lines follow up in it."""
        mention = re.match(r"@spinebot\b[:,]?\s*", line, flags=re.I)
        ts = self.client.next_ts()
        if mention:
            text = f"<@{BOT_USER_ID}> {line[mention.end() :]}".rstrip()
            self.client.record_user_message(CHANNEL_ID, ts, text, None)
            self.thread_ts = ts
            self.event(
                {
                    "type": "app_mention",
                    "channel": CHANNEL_ID,
                    "user": USER_ID,
                    "text": text,
                    "ts": ts,
                    "event_ts": ts,
                }
            )
            return
        if self.thread_ts is None:
            self.console.print(
                "[dim]In a channel the bot answers mentions: start with @spinebot.[/dim]"
            )
            return
        self.client.record_user_message(CHANNEL_ID, ts, line, self.thread_ts)
        self.event(
            {
                "type": "message",
                "channel_type": "channel",
                "channel": CHANNEL_ID,
                "user": USER_ID,
                "text": line,
                "ts": ts,
                "thread_ts": self.thread_ts,
                "event_ts": ts,
            }
        )

    def command(self, command: str, text: str) -> None:
        response_url = f"console://response/{uuid.uuid4().hex[:12]}"
        body = slash_command_body(command, text, f"trigger-{next(self._ids)}", response_url)
        acked = self.dispatch(body, "application/x-www-form-urlencoded")
        if acked and (acked.get("text") or acked.get("blocks")):
            self.screen.message(
                "spinebot",
                acked,
                {"ephemeral": True, "response_url": response_url},
                "(only visible to you)",
            )

    def message(self, text: str) -> None:
        ts = self.client.next_ts()
        self.client.record_user_message(DM_CHANNEL_ID, ts, text, None)
        self.event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": DM_CHANNEL_ID,
                "user": USER_ID,
                "text": text,
                "ts": ts,
                "event_ts": ts,
            }
        )

    def event(self, event: dict) -> None:
        self.dispatch(event_body(event, new_event_id()), "application/json")

    def press(self, number: int) -> None:
        if not 1 <= number <= len(self.screen.buttons):
            self.console.print("[yellow]No button with that number.[/yellow]")
            return
        ref = self.screen.buttons[number - 1]
        container: dict[str, Any] = {
            "type": "message",
            "is_ephemeral": ref.ephemeral,
            "message_ts": ref.message_ts,
            "channel_id": ref.channel,
        }
        payload = {
            "type": "block_actions",
            "user": {"id": USER_ID, "username": USER_NAME, "team_id": TEAM_ID},
            "api_app_id": "ACONSOLE",
            "team": {"id": TEAM_ID},
            "trigger_id": f"trigger-{next(self._ids)}",
            "container": container,
            "channel": {"id": ref.channel or DM_CHANNEL_ID},
            "response_url": ref.response_url or f"console://response/{next(self._ids)}",
            "actions": [
                {
                    "type": "button",
                    "action_id": ref.action_id,
                    "block_id": "b",
                    "value": ref.value,
                    "text": {"type": "plain_text", "text": ref.label},
                    "action_ts": str(time.time()),
                }
            ],
        }
        if ref.channel == "home":
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload.pop("channel")
            payload.pop("response_url")
        self.dispatch(interaction_body(payload), "application/x-www-form-urlencoded")

    def after(self) -> None:
        """Fill in any modal the app opened, as the person would in Slack."""
        while self.client.views:
            view = self.client.views.pop()
            self.fill_modal(view)

    def fill_modal(self, view: dict) -> None:
        title = view.get("title", {}).get("text", "Form")
        self.console.print(
            f"[bold]┌ {rich_escape(title)}[/bold] [dim](empty line on a required "
            "field, or 'cancel', closes it)[/dim]"
        )
        values: dict[str, dict] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                self.screen.blocks([block], {"channel": "modal"}, indent="│ ")
                continue
            element = block.get("element", {})
            label = block.get("label", {}).get("text", block.get("block_id"))
            optional = block.get("optional", False)
            if element.get("type") == "static_select":
                options = element.get("options", [])
                names = ", ".join(f"{i}={o['text']['text']}" for i, o in enumerate(options, 1))
                first = (
                    str(options.index(element["initial_option"]) + 1)
                    if element.get("initial_option") in options
                    else "1"
                )
                answer = self.ask(f"│ {label} ({names}) [{first}]: ").strip() or first
                if answer.lower() == "cancel":
                    self.console.print("└ closed")
                    return
                index = (
                    int(answer) - 1 if answer.isdigit() and 0 < int(answer) <= len(options) else 0
                )
                values[block["block_id"]] = {
                    element.get("action_id", "value"): {
                        "type": "static_select",
                        "selected_option": options[index],
                    }
                }
                continue
            initial = element.get("initial_value", "") or element.get("initial_user", "")
            hint = f" [{initial}]" if initial else (" (optional)" if optional else "")
            answer = self.ask(f"│ {label}{hint}: ").strip()
            if answer.lower() == "cancel" or (not answer and not initial and not optional):
                self.console.print("└ closed")
                return
            if element.get("type") == "users_select":
                values[block["block_id"]] = {
                    element.get("action_id", "value"): {
                        "type": "users_select",
                        "selected_user": answer or initial,
                    }
                }
                continue
            values[block["block_id"]] = {
                element.get("action_id", "value"): {
                    "type": "plain_text_input",
                    "value": answer or initial,
                }
            }
        payload = {
            "type": "view_submission",
            "user": {"id": USER_ID, "username": USER_NAME, "team_id": TEAM_ID},
            "team": {"id": TEAM_ID},
            "api_app_id": "ACONSOLE",
            "trigger_id": "trigger-modal",
            "view": {**view, "state": {"values": values}},
        }
        acked = self.dispatch(interaction_body(payload), "application/x-www-form-urlencoded")
        if acked and acked.get("response_action") == "errors":
            for name, problem in acked.get("errors", {}).items():
                self.console.print(f"│ [red]{rich_escape(name)}: {rich_escape(problem)}[/red]")
            self.console.print("└ not submitted; try again.")
            return
        if acked and acked.get("response_action") == "update":
            self.fill_modal(acked["view"])
            return
        self.console.print("└ submitted")

    def loop(self) -> None:
        self.console.print(f"[bold]Spinebot console[/bold] — {CONNECT_HINT}")
        self.console.print(HELP)
        while True:
            try:
                where = " in #console" if self.in_channel else ""
                line = self.ask(f"[bold green]you{where}>[/] ")
            except (EOFError, KeyboardInterrupt):
                self.console.print()
                return
            if not self.handle_line(line):
                return


HELP = (
    "[dim]Type a question, or [cyan]/ask …[/cyan], [cyan]/usecase help[/cyan], "
    "[cyan]/home[/cyan] (the App Home tab), [cyan]/channel[/cyan] (mentions and "
    "threads; [cyan]/dm[/cyan] to come back), a button's number to press it, "
    "[cyan]/quit[/cyan].[/dim]"
)
CHANNEL_HINT = (
    "[dim]Now in #console: [cyan]@spinebot …[/cyan] mentions the bot and starts a thread; "
    "the next lines are follow-ups in it. [cyan]/dm[/cyan] goes back.[/dim]"
)
DM_HINT = "[dim]Back in your direct message with the bot.[/dim]"


def new_event_id() -> str:
    """Unique across runs (Slack's look like ``Ev0123ABCD``)."""
    return "Ev" + uuid.uuid4().hex[:16].upper()
