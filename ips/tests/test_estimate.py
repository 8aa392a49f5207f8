"""The IP warm-up estimate, "stage X of Y · ~N days left" (ips/warmup_rule/estimate.py): pure."""

from datetime import date, timedelta

from ips.warmup_rule.estimate import RecentDay, warmup_estimate

TODAY = date(2026, 11, 29)
CAPS = [1000, 1600, 2560, 4096, 6554, 10000]  # six stages to 10,000
STAGE_DAYS = [3, 3, 2, 2, 2, 2]


def estimate(**kwargs):
    values = dict(
        state="warming",
        stage=1,
        daily_cap=1000,
        caps=CAPS,
        stage_days=STAGE_DAYS,
        stage_days_done=0,
        target_days=0,
        warm_after_days=3,
        percent=0,
        recent=[],
        started_on=TODAY,
        today=TODAY,
    )
    values.update(kwargs)
    return warmup_estimate(**values)


def week(caps: list[int | None], routed: list[int]) -> list[RecentDay]:
    """Day rows for the seven days before TODAY, oldest first."""
    return [
        RecentDay(TODAY - timedelta(days=7 - n), cap, sent)
        for n, (cap, sent) in enumerate(zip(caps, routed, strict=True))
    ]


def test_it_uses_the_stage_table_without_a_pace():
    e = estimate()

    # All of the table's 14 sending days, then 3 clean days at the target.
    assert (e.basis, e.days_left, e.stage, e.stages) == ("profile", 17, 1, 6)
    assert e.label == "stage 1 of 6 · ~17 days left"
    assert e.estimated_finish == TODAY + timedelta(days=17)


def test_it_counts_what_is_left_of_the_current_stage():
    e = estimate(stage=3, daily_cap=2560, stage_days_done=1)

    assert e.days_left == (2 - 1) + 2 + 2 + 2 + 3


def test_it_follows_the_controllers_pace_when_the_cap_grew():
    # 1,000 → 4,096 over four sending days: ×1.42 a day; 10,000 is 3 more days away.
    recent = week([None, None, None, 1000, 1420, 2016, 2863], [0, 0, 0, 1000, 1420, 2016, 2863])

    e = estimate(stage=4, daily_cap=4096, recent=recent, started_on=TODAY - timedelta(days=4))

    assert e.basis == "pace"
    assert round(e.growth, 2) == 1.42
    assert e.days_left == 3 + 3  # to the target at that pace, then the clean days there


def test_a_week_without_growth_falls_back_to_the_table():
    recent = week([2560] * 7, [2560] * 7)

    e = estimate(stage=3, daily_cap=2560, recent=recent, started_on=TODAY - timedelta(days=20))

    assert (e.basis, e.growth) == ("profile", None)


def test_it_spreads_sending_days_over_the_days_the_sender_sends():
    # Three sending days in the last week: each sending day takes 7/3 calendar days.
    recent = week([1000, None, 1600, None, None, 2560, None], [1000, 0, 1600, 0, 0, 2560, 0])

    e = estimate(stage=3, daily_cap=4096, recent=recent, started_on=TODAY - timedelta(days=30))

    sending = 2 + 3  # ×1.6 a sending day: two more to 10,000, then three clean days
    assert e.days_left == -(-sending * 7 // 3)


def test_at_the_target_only_the_clean_days_are_left():
    e = estimate(stage=6, daily_cap=10000, target_days=1)

    assert e.days_left == 2


def test_warm_paused_and_pending_have_no_days_left():
    assert estimate(state="warm", stage=6, daily_cap=10000).label == "warm"
    paused = estimate(state="paused", stage=2, daily_cap=1600, percent=20)
    assert (paused.label, paused.days_left, paused.percent) == ("paused at stage 2 of 6", None, 20)
    assert estimate(state="pending", stage=0).label == "not started"
    assert estimate(state="cooling", stage=6).as_json()["basis"] == "warm"
