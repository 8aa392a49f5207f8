"""The domain warm-up's progress, "day N of ~T" (domains/warmup_progress.py): pure."""

from datetime import date, timedelta

from domains.warmup_progress import plan_progress

TODAY = date(2026, 11, 29)
RAMP = 7  # 5, 8, 12, 18, 25, 35, 50


def progress(**kwargs):
    values = dict(
        state="warming",
        day=4,
        step=3,
        ramp_length=RAMP,
        hold_until=None,
        graduated_on=None,
        last_step_on=TODAY,
        today=TODAY,
        inbox_rate_needed=0.9,
    )
    values.update(kwargs)
    return plan_progress(**values)


def test_a_plan_on_schedule_finishes_the_morning_after_the_ramp():
    p = progress()

    # Day 4 at step 4 of 7: days 5, 6 and 7 finish the ramp, day 8 graduates.
    assert (p.label, p.expected_days, p.days_left) == ("day 4 of ~7", 7, 4)
    assert p.estimated_finish == TODAY + timedelta(days=4)
    assert p.percent == 57


def test_a_hold_pushes_the_finish_back():
    p = progress(hold_until=TODAY + timedelta(days=1))

    assert (p.label, p.days_left) == ("day 4 of ~8", 5)


def test_before_todays_step_it_counts_from_yesterday():
    p = progress(day=3, step=2, last_step_on=TODAY - timedelta(days=1))

    assert (p.label, p.estimated_finish) == ("day 3 of ~7", TODAY + timedelta(days=4))


def test_when_the_ramp_is_done_the_inbox_rate_decides():
    p = progress(day=9, step=6, ramp_done=True)

    assert p.label == "day 9 · warm once the inbox rate reaches 90%"
    assert (p.days_left, p.estimated_finish) == (None, None)


def test_warm_paused_attention_and_new_plans():
    warm = progress(state="warm", day=8, graduated_on=date(2026, 11, 26))
    assert (warm.label, warm.percent, warm.days_left) == ("warm since 26 Nov", 100, 0)
    paused = progress(state="paused")
    assert (paused.label, paused.estimated_finish) == ("paused at day 4 of ~7", None)
    warm_and_off = progress(state="paused", day=9, graduated_on=date(2026, 11, 26))
    assert (warm_and_off.label, warm_and_off.percent) == ("warm since 26 Nov", 100)
    attention = progress(state="needs_attention", day=22, step=6)
    assert attention.label == "day 22 · needs attention"
    new = progress(day=0, step=0, last_step_on=None)
    assert new.label == "starts with the next daily step (~7 days)"
