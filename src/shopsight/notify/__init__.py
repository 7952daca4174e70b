"""Alerts to people: email over SMTP, a Slack-compatible webhook, or SNS on AWS.

A system hands an :class:`Alert` to a :class:`Notifier`; which channels are used is a
setting (``SHOPSIGHT_NOTIFIERS``). A failing channel is logged and does not stop the
others, so one broken webhook cannot hide a failure email.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from shopsight.config import Settings
from shopsight.errors import ConfigError
from shopsight.logs import fields, get_logger

log = get_logger("notify")

AlertKind = Literal["failure", "missing_stores", "anomaly", "daily_report"]
Severity = Literal["info", "warning", "critical"]


class Alert(BaseModel):
    """A message for people; ``text`` is complete on its own, ``html`` optional."""

    kind: AlertKind
    severity: Severity = "info"
    subject: str
    text: str
    html: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class Notifier(Protocol):
    """Anything that can deliver an alert."""

    def send(self, alert: Alert) -> None: ...


class LogNotifier:
    """Writes alerts to the log only (the default when no channel is configured)."""

    def send(self, alert: Alert) -> None:
        log.warning(f"[{alert.severity}] {alert.subject}", extra=fields(kind=alert.kind))


class EmailNotifier:
    """Sends alerts as email (plain text, with the HTML as an alternative part)."""

    def __init__(self, host: str, port: int, sender: str, recipients: Sequence[str],
                 user: str = "", password: str = "", starttls: bool = False,
                 timeout: float = 20.0) -> None:
        if not recipients:
            raise ConfigError("ALERT_EMAIL", "email alerts need at least one recipient")
        self.host, self.port, self.sender = host, port, sender
        self.recipients = list(recipients)
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    def send(self, alert: Alert) -> None:
        message = EmailMessage()
        message["Subject"] = f"[shopsight] {alert.subject}"
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content(alert.text)
        if alert.html:
            message.add_alternative(alert.html, subtype="html")
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


class WebhookNotifier:
    """Posts Slack-compatible JSON (``text`` plus a section block) to a webhook URL."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url, self.timeout = url, timeout

    @staticmethod
    def payload(alert: Alert) -> dict[str, Any]:
        icon = {"info": ":bar_chart:", "warning": ":warning:", "critical": ":rotating_light:"}
        headline = f"{icon[alert.severity]} *{alert.subject}*"
        return {
            "text": f"{alert.subject}\n{alert.text}",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
                {"type": "section", "text": {"type": "mrkdwn", "text": alert.text[:2900]}},
            ],
        }

    def send(self, alert: Alert) -> None:
        import httpx

        response = httpx.post(self.url, json=self.payload(alert), timeout=self.timeout)
        response.raise_for_status()


class SnsNotifier:
    """Publishes alerts to an SNS topic (AWS deployments), with the alert's kind and
    severity as message attributes so subscriptions can filter on them."""

    def __init__(self, topic_arn: str, region: str, endpoint_url: str | None = None) -> None:
        self.topic_arn, self.region, self.endpoint_url = topic_arn, region, endpoint_url

    def send(self, alert: Alert) -> None:
        import boto3

        client = boto3.client("sns", region_name=self.region, endpoint_url=self.endpoint_url)
        client.publish(
            TopicArn=self.topic_arn, Subject=_sns_subject(alert.subject), Message=alert.text,
            MessageAttributes={name: {"DataType": "String", "StringValue": value}
                               for name, value in (("kind", alert.kind),
                                                   ("severity", alert.severity))})


def _sns_subject(subject: str) -> str:
    """An SNS subject: one line of printable ASCII, under 100 characters (SNS refuses
    the whole message otherwise)."""
    line = "".join(c if " " <= c <= "~" else "?" for c in " ".join(subject.split()))
    return (line[:96] + "...") if len(line) > 99 else line or "shopsight alert"


class FanOutNotifier:
    """Sends to every channel; a failing channel is logged and the others still run."""

    def __init__(self, channels: Sequence[Notifier]) -> None:
        self.channels = list(channels)
        self.failures: list[str] = []

    def send(self, alert: Alert) -> None:
        for channel in self.channels:
            try:
                channel.send(alert)
            except Exception as exc:  # noqa: BLE001 - one channel must not stop the others
                reason = f"{type(channel).__name__}: {type(exc).__name__}: {exc}"
                self.failures.append(reason)
                log.error(f"alert not delivered: {reason}", extra=fields(kind=alert.kind))


def notifier_from_settings(settings: Settings) -> FanOutNotifier:
    """The channels named in ``SHOPSIGHT_NOTIFIERS`` (always including the log)."""
    channels: list[Notifier] = [LogNotifier()]
    for name in (n.strip() for n in settings.notifiers.split(",") if n.strip()):
        if name == "email":
            channels.append(EmailNotifier(
                settings.smtp_host, settings.smtp_port, settings.smtp_sender,
                [a.strip() for a in settings.alert_email.split(",") if a.strip()],
                settings.smtp_user, settings.smtp_password.get_secret_value(),
                settings.smtp_starttls))
        elif name == "webhook":
            url = settings.webhook_url.get_secret_value()
            if not url:
                raise ConfigError("SHOPSIGHT_WEBHOOK_URL", "set it to use webhook alerts")
            channels.append(WebhookNotifier(url))
        elif name == "sns":
            if not settings.sns_topic_arn:
                raise ConfigError("SNS_TOPIC_ARN", "set it to use SNS alerts")
            channels.append(SnsNotifier(settings.sns_topic_arn, settings.aws_region,
                                        settings.aws_endpoint_url or None))
        else:
            raise ConfigError("SHOPSIGHT_NOTIFIERS", f"unknown channel {name!r}; use email, "
                              "webhook or sns")
    return FanOutNotifier(channels)
