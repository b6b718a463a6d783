"""👍 / 👎 under an answer: stored per person, pressing again changes it."""

from __future__ import annotations

from collections.abc import Callable

from bot.deps import Deps


def make(deps: Deps, *, helpful: bool) -> Callable[..., None]:
    def handle_feedback(ack, action, body, respond) -> None:  # type: ignore[no-untyped-def]
        ack()
        user = body["user"]["id"]
        try:
            question_id = int(action.get("value", ""))
        except ValueError:
            respond(text="That answer can no longer take feedback.", replace_original=False)
            return

        def work() -> None:
            from knowledge.qa_log import record_feedback

            record_feedback(question_id=question_id, user_id=user, helpful=helpful)
            thanks = (
                "Thanks! Glad it helped."
                if helpful
                else "Thanks, noted: we'll improve the sources."
            )
            respond(text=thanks, response_type="ephemeral", replace_original=False)

        deps.run(
            work,
            what="feedback",
            on_error=lambda ref: respond(
                text=f"Sorry, your feedback was not saved (reference `{ref}`).",
                replace_original=False,
            ),
        )

    return handle_feedback
