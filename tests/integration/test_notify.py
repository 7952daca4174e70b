"""Alerts reach a real SMTP server (aiosmtpd) and a real local webhook endpoint."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from shopsight.config import load_settings
from shopsight.errors import ConfigError
from shopsight.notify import (
    Alert,
    EmailNotifier,
    FanOutNotifier,
    WebhookNotifier,
    notifier_from_settings,
)
from tests.live import free_port, moto_server

pytestmark = pytest.mark.integration


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802, ARG002
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@pytest.fixture
def webhook_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()
        server.server_close()


ALERT = Alert(kind="missing_stores", severity="warning",
              subject="Daily analysis 2026-11-20 ran without store 0011",
              text="10 of 11 stores reported. Missing: 0011.",
              html="<p>10 of 11 stores reported. Missing: <b>0011</b>.</p>")


def test_email_alert_arrives_with_text_and_html(smtp_server: tuple[int, _Inbox]) -> None:
    port, inbox = smtp_server
    EmailNotifier("127.0.0.1", port, "shopsight@test", ["ops@shop.test"]).send(ALERT)
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["ops@shop.test"]
    assert message["Subject"] == "[shopsight] Daily analysis 2026-11-20 ran without store 0011"
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in message.walk()
             if not p.is_multipart()}
    assert "Missing: 0011" in parts["text/plain"]
    assert "<b>0011</b>" in parts["text/html"]


def test_webhook_alert_is_slack_compatible(
        webhook_server: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = webhook_server
    WebhookNotifier(url).send(ALERT)
    assert received[0]["text"].startswith("Daily analysis 2026-11-20 ran without store 0011")
    assert received[0]["blocks"][0]["text"]["type"] == "mrkdwn"


def test_a_broken_channel_does_not_stop_the_others(
        smtp_server: tuple[int, _Inbox]) -> None:
    port, inbox = smtp_server
    fan = FanOutNotifier([WebhookNotifier(f"http://127.0.0.1:{free_port()}/nothing"),
                          EmailNotifier("127.0.0.1", port, "s@test", ["ops@shop.test"])])
    fan.send(ALERT)
    assert len(inbox.messages) == 1
    assert len(fan.failures) == 1 and "WebhookNotifier" in fan.failures[0]


def test_channels_come_from_settings(monkeypatch: pytest.MonkeyPatch,
                                     smtp_server: tuple[int, _Inbox]) -> None:
    port, inbox = smtp_server
    monkeypatch.setenv("SHOPSIGHT_NOTIFIERS", "email")
    monkeypatch.setenv("ALERT_EMAIL", "a@shop.test, b@shop.test")
    monkeypatch.setenv("SHOPSIGHT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SHOPSIGHT_SMTP_PORT", str(port))
    notifier_from_settings(load_settings()).send(ALERT)
    assert inbox.messages[0][0] == ["a@shop.test", "b@shop.test"]
    monkeypatch.setenv("SHOPSIGHT_NOTIFIERS", "pigeon")
    with pytest.raises(ConfigError, match="unknown channel 'pigeon'"):
        notifier_from_settings(load_settings())


def test_an_sns_alert_reaches_a_subscribed_queue_with_its_attributes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SNS on moto's server: the alert arrives at an SQS subscription with its text, a
    subject SNS accepts (one line, under 100 characters) and kind/severity attributes."""
    import boto3

    with moto_server() as endpoint:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "eu-west-1",
                            "SHOPSIGHT_NOTIFIERS": "sns"}.items():
            monkeypatch.setenv(name, value)
        sns = boto3.client("sns", endpoint_url=endpoint, region_name="eu-west-1")
        sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="eu-west-1")
        topic = sns.create_topic(Name="shopsight-alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="ops")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        monkeypatch.setenv("SNS_TOPIC_ARN", topic)
        fan = notifier_from_settings(load_settings())
        subject = "3 high-severity sales anomalies on 2026-11-20\nstore 0004 " + "x" * 120
        fan.send(Alert(kind="anomaly", severity="critical", subject=subject,
                       text="Store 0004 revenue collapsed to 12 % of its usual level."))
        assert fan.failures == []
        messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"]
    body = json.loads(messages[0]["Body"])
    assert body["Message"] == "Store 0004 revenue collapsed to 12 % of its usual level."
    assert body["Subject"].startswith("3 high-severity sales anomalies on 2026-11-20 store 0004")
    assert "\n" not in body["Subject"] and len(body["Subject"]) < 100
    assert {k: v["Value"] for k, v in body["MessageAttributes"].items()} == {
        "kind": "anomaly", "severity": "critical"}
