"""End-to-end harness for the Slack app: a fake Web API, signed requests, real payloads.

* ``fake_slack.FakeSlack`` is a small HTTP server standing in for ``slack.com/api``: the
  app's real ``WebClient`` talks to it over a socket and every call is recorded.
* ``signing`` signs requests the way Slack does and ``SlackRequester`` posts them to the
  app served over real HTTP.
* ``payloads`` builds slash commands, events, button presses and modal submissions with
  the same shape as the recorded payloads in ``tests/fixtures/``.
* Apps are served with ``bot.server.Server`` (waitress, as in production) on a free
  port in a background thread.

Pytest fixtures live in ``tests.harness.fixtures`` (loaded from ``tests/conftest.py``).
"""
