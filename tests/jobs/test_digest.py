"""The digest's content, its Block Kit, its chart, and posting it exactly once."""

from __future__ import annotations

import json
import threading

import pytest
from sqlmodel import select

from bot.blocks.digest import build_digest_blocks
from jobs.chart import render_chart
from jobs.delivery import DeliveryError
from jobs.digest import build_digest, latest_headline, post_digest, send_nudges
from jobs.models import DigestRun
from knowledge.models import QuestionLog
from spinebot.db import session_scope
from spinebot.settings import get_settings
from tests.jobs.conftest import WEEK, RecordingClient, add_use_case


def hours(h: float, llm: float = 0.0, cost: float = 0.0) -> dict[str, float]:
    return {"hours_saved": h, "llm_cost": llm, "cost_saved": cost}


@pytest.fixture
def portfolio(db):  # type: ignore[no-untyped-def]
    ids = {
        "new": add_use_case(db, "Fresh idea", age=1),
        "drop": add_use_case(db, "Money pit", weekly={i: hours(1, llm=500) for i in range(1, 6)}),
        "scale": add_use_case(
            db, "Claims triage", weekly={i: hours(10, cost=200) for i in range(1, 5)}, votes=3
        ),
        "grow": add_use_case(
            db,
            "Contract review",
            phase="platform",
            weekly={
                **{i: hours(0, cost=100) for i in range(5, 9)},
                **{i: hours(0, cost=150) for i in range(1, 5)},
            },
        ),
        "stall": add_use_case(
            db,
            "Forgotten bot",
            phase="production",
            owner="USTALL",
            units=2,
            weekly={i: hours(0, cost=50) for i in range(4, 8)},
        ),
        "dropped": add_use_case(db, "Old thing", status="dropped"),
    }
    return ids


def test_each_use_case_lands_in_its_section_with_its_rule(portfolio) -> None:  # type: ignore[no-untyped-def]
    digest = build_digest(week=WEEK)
    kinds = {key: [i.id for i in items] for key, items in digest.sections.items()}
    assert kinds["new"] == [portfolio["new"]]
    assert kinds["drop_candidate"] == [portfolio["drop"]]
    assert kinds["ready_to_scale"] == [portfolio["scale"]]
    assert kinds["growing"] == [portfolio["grow"]]
    assert kinds["stalling"] == [portfolio["stall"]]
    drop = digest.sections["drop_candidate"][0]
    assert "Net value ≤ 0" in drop.rule
    assert digest.active == 5  # the dropped one is not counted
    assert [i.id for i in digest.most_voted] == [portfolio["scale"]]


def test_headline_compares_the_reported_week_with_the_one_before(portfolio) -> None:  # type: ignore[no-untyped-def]
    digest = build_digest(week=WEEK)
    # W39: money pit 60−500, claims 600+200, contract 150 → 510; W38 the same.
    assert digest.net_this_week == pytest.approx(510.0)
    assert digest.headline.startswith("2026-W39: net value $510")
    assert "UTC" in json.dumps(build_digest_blocks(digest), ensure_ascii=False)


def test_a_quiet_week_says_so_in_one_line(db) -> None:  # type: ignore[no-untyped-def]
    add_use_case(db, "Steady", phase="platform", weekly={i: hours(0, cost=100) for i in range(9)})
    digest = build_digest(week=WEEK)
    assert digest.quiet
    text = json.dumps(build_digest_blocks(digest), ensure_ascii=False)
    assert "A quiet week" in text and "Drop candidates" not in text


def test_knowledge_gaps_are_last_weeks_unanswered_questions(db) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    with session_scope(db) as session:
        session.add(
            QuestionLog(
                question="Where do I park?",
                abstained=True,
                asked_at=datetime(2026, 9, 23, 10, tzinfo=UTC),
            )
        )  # in W39
        session.add(
            QuestionLog(
                question="Too old?", abstained=True, asked_at=datetime(2026, 9, 1, 10, tzinfo=UTC)
            )
        )
    assert build_digest(week=WEEK).knowledge_gaps == ["Where do I park?"]


def test_gaps_closed_by_a_saved_thread_last_week_are_listed_as_closed_not_open(db) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from knowledge.models import KnowledgeNote

    permalink = "https://acme.slack.com/archives/C1/p1758618000000100"
    with session_scope(db) as session:
        for question in ("Where do I park?", "Who signs off a pilot?"):
            session.add(
                QuestionLog(
                    question=question, abstained=True, asked_at=datetime(2026, 9, 22, tzinfo=UTC)
                )
            )  # in W39
        session.add(
            KnowledgeNote(
                channel_id="C1",
                thread_ts="1758618000.000100",
                source="slack:C1/1758618000.000100",
                title="Where do I park?",
                permalink=permalink,
                added_by="UADMIN",
                added_at=datetime(2026, 9, 24, 15, tzinfo=UTC),  # W39
                replies=2,
                gap_question="where do I park",
            )
        )
        session.add(
            KnowledgeNote(
                channel_id="C1",
                thread_ts="1756000000.000100",
                source="slack:C1/1756000000.000100",
                title="Older",
                permalink=permalink,
                added_at=datetime(2026, 9, 1, tzinfo=UTC),  # a closed gap of an earlier week
                gap_question="Older",
            )
        )
    digest = build_digest(week=WEEK)
    assert [(g.question, g.permalink, g.added_by) for g in digest.gaps_closed] == [
        ("where do I park", permalink, "UADMIN")
    ]
    assert digest.knowledge_gaps == ["Who signs off a pilot?"]  # the closed one is not open
    assert digest.to_dict()["gaps_closed"][0]["added_at"].startswith("2026-09-24")
    text = json.dumps(build_digest_blocks(digest), ensure_ascii=False)
    assert "Gaps closed last week" in text and f"<{permalink}|" in text


def test_three_hundred_use_cases_stay_within_block_kit_limits(sqlite_db) -> None:  # type: ignore[no-untyped-def]
    for n in range(300):
        add_use_case(
            sqlite_db, f"Pit {n} <!channel>", weekly={i: hours(0, llm=10) for i in range(1, 5)}
        )
    blocks = build_digest_blocks(build_digest(week=WEEK))
    assert len(blocks) <= 50
    text = json.dumps(blocks, ensure_ascii=False)
    assert "295 more" in text and "<!channel>" not in text
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000


def test_admin_buttons_sit_under_drop_and_scale_items(portfolio) -> None:  # type: ignore[no-untyped-def]
    text = json.dumps(build_digest_blocks(build_digest(week=WEEK)))
    assert f'"value": "{portfolio["drop"]}"' in text and "digest_drop" in text
    assert f'"value": "{portfolio["scale"]}:production"' in text


def test_chart_is_a_png_of_the_top_movers(portfolio) -> None:  # type: ignore[no-untyped-def]
    png = render_chart(build_digest(week=WEEK))
    assert png is not None and png.startswith(b"\x89PNG")


def test_post_digest_posts_once_with_the_chart_and_records_it(portfolio) -> None:  # type: ignore[no-untyped-def]
    client = RecordingClient()
    assert post_digest(client=client, channel="CDIGEST", week=WEEK) == "posted"
    assert post_digest(client=client, channel="CDIGEST", week=WEEK) == "already_posted"
    assert len(client.posts()) == 1
    assert [m for m, _ in client.calls] == ["chat.postMessage", "files.upload"]
    assert latest_headline() == build_digest(week=WEEK).headline


def test_two_workers_posting_at_once_post_exactly_once(portfolio) -> None:  # type: ignore[no-untyped-def]
    client = RecordingClient()
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def worker() -> None:
        barrier.wait()
        outcomes.append(post_digest(client=client, channel="CDIGEST", week=WEEK))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("posted") == 1
    assert set(outcomes) <= {"posted", "already_posted", "in_progress"}
    assert len(client.posts()) == 1
    with session_scope() as session:
        run = session.exec(select(DigestRun)).one()
        assert run.status == "posted" and run.message_ts == "100.1"


def test_a_failed_post_is_recorded_and_can_be_retried(portfolio) -> None:  # type: ignore[no-untyped-def]
    client = RecordingClient(fail_posts=1)
    with pytest.raises(DeliveryError):
        post_digest(client=client, channel="CDIGEST", week=WEEK)
    with session_scope() as session:  # an unexplained error: it may be out
        assert session.exec(select(DigestRun.status)).one() == "unknown"
    assert post_digest(client=client, channel="CDIGEST", week=WEEK) == "posted"
    assert len(client.posts()) == 1
    assert [m for m, _ in client.calls][0] == "conversations.history"  # looked first


def test_owners_of_stalling_use_cases_are_nudged_once_a_week(portfolio) -> None:  # type: ignore[no-untyped-def]
    client = RecordingClient()
    assert send_nudges(client=client, week=WEEK) == 1
    assert send_nudges(client=client, week=WEEK) == 0
    (post,) = client.posts()
    assert post["channel"] == "USTALL" and "Forgotten bot" in json.dumps(post["blocks"])


def test_hourly_rate_comes_from_the_settings(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOURLY_RATE", "100")
    get_settings.cache_clear()
    add_use_case(db, "Hours", weekly={1: hours(2)})
    assert build_digest(week=WEEK).net_this_week == 200


def test_posting_through_the_real_web_client_uploads_the_chart_in_the_thread(
    portfolio, slack_env
) -> None:  # type: ignore[no-untyped-def]
    from bot.slack_client import make_client

    client = make_client(get_settings())
    assert post_digest(client=client, channel="C111", week=WEEK) == "posted"
    post = slack_env.wait_for("chat.postMessage")[0]
    done = slack_env.wait_for("files.completeUploadExternal")[0]
    assert done.args.get("thread_ts") == post.response["ts"]  # type: ignore[index]
    (upload,) = slack_env.calls_to("upload")
    assert upload.ok and slack_env.uploads[upload.args["file_id"]].startswith(b"\x89PNG")


def test_a_failed_chart_upload_does_not_make_the_digest_post_again(portfolio) -> None:  # type: ignore[no-untyped-def]
    class NoUploads(RecordingClient):
        def files_upload_v2(self, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("files:write missing")

    client = NoUploads()
    assert post_digest(client=client, channel="CDIGEST", week=WEEK) == "posted"
    assert post_digest(client=client, channel="CDIGEST", week=WEEK) == "already_posted"
    assert len(client.posts()) == 1


WORKER = """
import sys, time
from pathlib import Path
from jobs.digest import post_digest

class FileClient:
    def chat_postMessage(self, **kwargs):
        with open(sys.argv[2], "a") as out:
            out.write(kwargs["channel"] + "\\n")
        return {"ok": True, "channel": kwargs["channel"], "ts": "1.1"}
    def files_upload_v2(self, **kwargs):
        return {"ok": True}

go = Path(sys.argv[1])
Path(sys.argv[1] + "." + str(time.perf_counter_ns())).touch()  # ready, imports done
while not go.exists():
    time.sleep(0.005)
print(post_digest(client=FileClient(), channel="CDIGEST", week=sys.argv[3]))
"""


def test_two_worker_processes_post_the_same_digest_once(portfolio, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys
    import time

    url = db.url.render_as_string(hide_password=False)
    go, posts = tmp_path / "go", tmp_path / "posts.txt"
    env = {**os.environ, "DATABASE_URL": url}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(go), str(posts), WEEK],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    while len(list(tmp_path.glob("go.*"))) < 2:
        assert all(p.poll() is None for p in procs), "a worker died before the start"
        time.sleep(0.01)
    go.touch()  # both are waiting, imports done: release them together
    outcomes = sorted(p.communicate(timeout=60)[0].strip().splitlines()[-1] for p in procs)
    assert outcomes in (["already_posted", "posted"], ["in_progress", "posted"])
    assert posts.read_text().splitlines() == ["CDIGEST"]


def _leave_run(status: str, minutes_ago: int) -> None:
    """A digest_run row as a worker that died mid-way would have left it."""
    from datetime import timedelta

    from spinebot.models import utcnow

    with session_scope() as session:
        session.add(
            DigestRun(
                channel_id="CDIGEST",
                week=WEEK,
                status=status,
                claimed_at=utcnow() - timedelta(minutes=minutes_ago),
            )
        )


def test_a_claim_abandoned_before_sending_is_taken_over_once_stale(portfolio) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    _leave_run("claimed", minutes_ago=1)
    client = RecordingClient()
    assert post_digest(client=client, channel="CDIGEST", week=WEEK) == "in_progress"
    with session_scope() as session:
        session.exec(select(DigestRun)).one().claimed_at -= timedelta(hours=1)
    assert post_digest(client=client, channel="CDIGEST", week=WEEK) == "posted"
    assert len(client.posts()) == 1


def test_a_run_still_sending_is_left_alone(portfolio) -> None:  # type: ignore[no-untyped-def]
    _leave_run("sending", minutes_ago=0)
    client = RecordingClient()
    assert post_digest(client=client, channel="CDIGEST", week=WEEK) == "in_progress"
    assert client.calls == []


def test_a_run_that_died_while_sending_before_slack_got_it_is_posted_once(portfolio) -> None:  # type: ignore[no-untyped-def]
    _leave_run("sending", minutes_ago=10)
    client = RecordingClient()
    assert post_digest(client=client, channel="CDIGEST", week=WEEK) == "posted"
    assert post_digest(client=client, channel="CDIGEST", week=WEEK) == "already_posted"
    assert len(client.posts()) == 1


def test_headline_arrow_and_percentage_follow_the_change(db) -> None:  # type: ignore[no-untyped-def]
    add_use_case(db, "Up", phase="platform", weekly={2: hours(0, cost=100), 1: hours(0, cost=150)})
    headline = build_digest(week=WEEK).headline
    assert "net value $150, ▲ 50% vs 2026-W38 ($100)" in headline
    add_use_case(db, "Down", phase="platform", weekly={2: hours(0, cost=200)})
    assert "net value $150, ▼ 50% vs 2026-W38 ($300)" in build_digest(week=WEEK).headline
