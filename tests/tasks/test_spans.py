"""The spans the dashboard counts are the events restated in quarters, on either database."""

from datetime import date

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from app.core.quarters import ordinal_of
from app.tasks import spans


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dates(date(1900, 1, 1), date(9999, 12, 31)), min_size=1, max_size=20))
def test_the_databases_quarter_ordinal_is_pythons(engine: Engine, days: list[date]) -> None:
    day = sa.bindparam("day", type_=sa.Date)
    statement = sa.select(spans.ordinal(day))
    with engine.connect() as connection:
        got = [connection.execute(statement, {"day": d}).scalar_one() for d in days]
    assert got == [ordinal_of(d) for d in days]
