"""Messages of the CLIs name what the user typed: options as typed, dates as dates."""

from __future__ import annotations

from datetime import date

import pytest

from shopsight.errors import InvalidParameter


def test_a_request_out_of_range_names_the_option_typed() -> None:
    from shopsight.systems.demand_insights.cli import _request
    from shopsight.systems.demand_insights.models import ForecastRequest, SegmentsRequest

    with pytest.raises(InvalidParameter) as days:
        _request(ForecastRequest, forecast_days=0)
    assert str(days.value) == "--days=0 is not valid: expected greater than or equal to 1"
    with pytest.raises(InvalidParameter, match=r"^--n-clusters=50 is not valid: expected less"):
        _request(SegmentsRequest, n_clusters=50)


def test_a_date_parameter_is_shown_as_a_date() -> None:
    message = str(InvalidParameter("end", date(2026, 11, 18), "on or after 2026-11-20"))
    assert message == "end=2026-11-18 is not valid: expected on or after 2026-11-20"
