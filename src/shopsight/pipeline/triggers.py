"""What starts the daily analysis: the last expected store's upload, or the fallback
schedule (default 23:00 America/New_York, as in the seed) with the stores that did report.

Whatever fires, the analysis for a business date runs once (the runner claims the date);
the fallback also alerts about the stores that are missing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from shopsight.errors import ConfigError
from shopsight.logs import fields, get_logger
from shopsight.notify import Alert, Notifier
from shopsight.pipeline.uploads import StoreUploads, UploadResult
from shopsight.pipeline.workflow import RunResult
from shopsight.state.store import utc_now

log = get_logger("triggers")

RunDaily = Callable[[date, str, list[str]], RunResult]


class FallbackSchedule:
    """A cron expression in a time zone; computes the next firing time."""

    def __init__(self, cron: str, timezone: str) -> None:
        from apscheduler.triggers.cron import CronTrigger

        try:
            self.zone = ZoneInfo(timezone)
            self.trigger = CronTrigger.from_crontab(cron, timezone=self.zone)
        except Exception as exc:  # noqa: BLE001 - both mean a bad setting
            raise ConfigError("DAILY_ANALYSIS_SCHEDULE/DAILY_ANALYSIS_TIMEZONE",
                              f"{cron!r} in {timezone!r} is not usable: {exc}") from None

    def next_fire(self, after: datetime) -> datetime:
        fire: datetime = self.trigger.get_next_fire_time(None, after.astimezone(self.zone))
        return fire

    def business_date(self, moment: datetime) -> date:
        """'Today' in the schedule's time zone."""
        return moment.astimezone(self.zone).date()


class DailyTriggers:
    """Starts the daily analysis from uploads and from the fallback schedule."""

    def __init__(self, uploads: StoreUploads, run_daily: RunDaily, notifier: Notifier,
                 schedule: FallbackSchedule) -> None:
        self.uploads, self.run_daily = uploads, run_daily
        self.notifier, self.schedule = notifier, schedule

    def after_upload(self, result: UploadResult) -> RunResult | None:
        """Start the analysis when this upload completes the set of expected stores."""
        if result.status != "processed":
            return None
        check = self.uploads.check_all_stores(result.business_date)
        if not check.complete:
            return None
        log.info(f"all {len(check.expected)} stores reported for {result.business_date}",
                 extra=fields(step="check-all-stores"))
        return self.run_daily(result.business_date, "all_stores", [])

    def fallback(self, now: datetime | None = None,
                 business_date: date | None = None) -> RunResult:
        """The scheduled run: analyse with whoever reported, flag and alert the missing."""
        day = business_date or self.schedule.business_date(now or utc_now())
        check = self.uploads.check_all_stores(day)
        result = self.run_daily(day, "schedule", check.missing)
        if check.missing and result.status != "skipped":
            self.notifier.send(Alert(
                kind="missing_stores", severity="warning",
                subject=f"Daily analysis {day} ran without {len(check.missing)} store(s)",
                text=(f"{len(check.reported)} of {len(check.expected)} stores reported for "
                      f"{day}. Missing: {', '.join(check.missing)}. Their figures are not in "
                      "today's report; uploads that arrive later can be analysed with an "
                      "explicit re-run."),
                data={"business_date": str(day), "missing": check.missing}))
        return result

    def run_scheduler(self, stop: threading.Event) -> None:
        """Fire :meth:`fallback` at every scheduled time until ``stop`` is set."""
        while not stop.is_set():
            now = utc_now()
            fire = self.schedule.next_fire(now)
            if stop.wait(max(0.0, (fire - now).total_seconds())):
                return
            try:
                self.fallback(fire)
            except Exception:  # noqa: BLE001 - the scheduler must keep running
                log.exception("scheduled daily analysis failed to start")
