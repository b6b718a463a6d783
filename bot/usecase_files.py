"""`/usecase import` and `/usecase export` on Slack: files in and out, spine admins only.

Import reads a file shared with the bot: ``files.info`` gives its private URL, which is
fetched with the bot token, then :func:`portfolio.transfer.import_file` checks and
stores it exactly as ``spinebot portfolio import`` does. Export builds the same files
as ``spinebot portfolio export`` and uploads them to the caller's DM.
"""

from __future__ import annotations

import logging
import urllib.request
from typing import Any

from bot.blocks.text import context, error_blocks, escape, section, truncate
from bot.deps import Deps
from bot.usecase_flow import Reply
from portfolio import commands as c
from portfolio.errors import PortfolioError
from portfolio.transfer import export_bytes, import_file

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
ADMINS_ONLY = "Only spine admins can {what} the portfolio."


def fetch_shared_file(client: Any, file_id: str) -> tuple[str, bytes]:
    """(name, bytes) of a file shared with the bot; PortfolioError when unreachable."""
    from slack_sdk.errors import SlackApiError

    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError as exc:
        raise PortfolioError(
            f"I cannot see file {file_id} ({exc.response.get('error')}): share it with me "
            "in a DM or a channel I am in, then try again.",
            usage=c.USAGE["import"],
        ) from None
    if int(info.get("size") or 0) > MAX_FILE_BYTES:
        raise PortfolioError(f"The file is larger than {MAX_FILE_BYTES // 2**20} MB.")
    url = info.get("url_private_download") or info.get("url_private")
    if not url:
        raise PortfolioError("Slack gave no download address for that file.")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - Slack URL
            data = response.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise PortfolioError(f"Downloading the file failed ({type(exc).__name__}).") from None
    if len(data) > MAX_FILE_BYTES:
        raise PortfolioError(f"The file is larger than {MAX_FILE_BYTES // 2**20} MB.")
    return str(info.get("name") or file_id), data


def run_import(deps: Deps, client: Any, cmd: c.ImportCmd, user: str) -> Reply:
    svc = deps.portfolio
    if not svc.is_admin(user):
        return _error(PortfolioError(ADMINS_ONLY.format(what="import into")))
    try:
        name, data = fetch_shared_file(client, cmd.file_id)
        plan = import_file(svc, data, name, actor=user, dry_run=cmd.dry_run)
    except PortfolioError as exc:
        return _error(exc)
    head = ":mag: Dry run, nothing stored. " if cmd.dry_run else ":inbox_tray: Imported. "
    lines = "\n".join(plan.lines(limit=15))
    blocks = [section(head + escape(plan.summary()))]
    if lines:
        blocks.append(section("```" + escape(truncate(lines, 2800)) + "```"))
    blocks.append(context(f"From {escape(name)}; `/usecase list` shows the portfolio."))
    return Reply(blocks)


def run_export(deps: Deps, client: Any, cmd: c.ExportCmd, user: str) -> Reply:
    svc = deps.portfolio
    if not svc.is_admin(user):
        return _error(PortfolioError(ADMINS_ONLY.format(what="export")))
    try:
        files = export_bytes(svc, cmd.format)
    except PortfolioError as exc:
        return _error(exc)
    channel = client.conversations_open(users=user)["channel"]["id"]
    uploads = [
        {"file": data, "filename": f"spinebot-portfolio{suffix}", "title": f"portfolio{suffix}"}
        for suffix, data in files.items()
    ]
    client.files_upload_v2(
        channel=channel,
        file_uploads=uploads,
        initial_comment="The portfolio export: use cases with weekly figures, votes and the "
        "audit trail.",
    )
    return Reply([section(f":outbox_tray: Sent the {cmd.format.upper()} export to your DM.")])


def _error(exc: PortfolioError) -> Reply:
    lines = exc.message.split("\n")
    blocks = error_blocks(lines[0], exc.usage)
    if len(lines) > 1:
        blocks.insert(1, section("```" + escape(truncate("\n".join(lines[1:]), 2800)) + "```"))
    return Reply(blocks, text=lines[0])
