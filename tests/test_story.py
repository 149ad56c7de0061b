"""What changed and why (scoring/story.py): given two hand-made score rows and the facts
between two fixed dates, expect each kind of sentence, ranked, at most five."""

from __future__ import annotations

import datetime as dt

import polars as pl

from scoring.glossary import COMPONENTS
from scoring.story import STORY_MAX, StoryFacts, sentences_of, story_frame, unavailable

A = dt.date(2026, 6, 8)
B = dt.date(2026, 6, 15)


def row(account_id: str = "A1", **values) -> dict:
    base = dict.fromkeys(COMPONENTS, 60.0)
    base |= {"account_id": account_id, "health": 60.0, "band": "yellow", "scorecard": "default"}
    return base | values


def frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema_overrides=dict.fromkeys(COMPONENTS, pl.Float64))


def story(before, after, facts: StoryFacts | None = None, since=A, until=B):
    frame_ = story_frame(before, after, facts or StoryFacts(), since, until)
    return sentences_of(frame_, "A1")


def test_nothing_changed_is_said_only_with_both_sides():
    said = story(frame(row()), frame(row()))
    assert [(s.kind, s.text) for s in said] == [
        ("nothing", "Nothing in the data changed between 2026-06-08 and 2026-06-15.")
    ]


def test_a_missing_snapshot_makes_the_comparison_unavailable():
    said = story(frame(row("other")), frame(row()))
    assert [s.kind for s in said] == ["unavailable"]
    assert "not available" in said[0].text and "Nothing" not in said[0].text
    assert unavailable(A, B, "no snapshot on or before 2026-06-08")[0].text == (
        "The comparison between 2026-06-08 and 2026-06-15 is not available: "
        "no snapshot on or before 2026-06-08."
    )


def test_a_component_move_with_its_cause_and_a_band_change():
    features = {
        "active_users_last_30d": 12,
        "active_users_prior_30d": 30,
        "licensed_seats": 40,
    }
    before = frame(row(adoption=72.0, health=62.0))
    after = pl.DataFrame([row(adoption=30.0, health=38.0, band="red", **features)])
    said = story(before, after)
    assert [s.kind for s in said] == ["band", "component"]
    assert said[0].text == "Health fell from 62 to 38: the band went from yellow to red."
    assert said[0].magnitude == 24 + 25
    assert said[1].text == (
        "Adoption fell 42 points (72 → 30): seat utilisation 30% (12 of 40 seats active in "
        "30 days)."
    )


def test_a_rise_is_said_without_a_cause_and_small_moves_are_not_said():
    said = story(frame(row(support=40.0, billing=55.0)), frame(row(support=70.0, billing=60.0)))
    assert [(s.kind, s.text) for s in said] == [("component", "Support rose 30 points (40 → 70).")]


def test_an_unknown_component_says_nothing():
    said = story(frame(row(sentiment=None)), frame(row(sentiment=90.0)))
    assert [s.kind for s in said] == ["nothing"]


def test_a_scorecard_change_is_said_as_such_not_as_a_change_of_the_account():
    before = frame(row(adoption=80.0, health=75.0, band="green"))
    after = frame(row(adoption=40.0, health=45.0, band="yellow", scorecard="renewal-heavy"))
    said = story(before, after)
    assert [s.kind for s in said] == ["scorecard"]
    assert said[0].text.startswith("The scorecard changed from 'default' to 'renewal-heavy'")
    assert "not the account's" in said[0].text


def test_renewal_window_entered_and_owner_change():
    before = frame(row(csm_owner="Ann", am_owner="Bo"))
    after = frame(row(csm_owner="Cy", am_owner="Bo", renewal_date=dt.date(2026, 9, 10)))
    said = story(before, after)
    assert [(s.kind, s.text) for s in said] == [
        ("owner", "The CSM changed from Ann to Cy."),
        (
            "renewal",
            "It entered the 90-day renewal window: it renews on 2026-09-10, in 87 days.",
        ),
    ]
    # already inside the window at A: not entered between the dates
    inside = frame(row(renewal_date=dt.date(2026, 8, 1)))
    assert [s.kind for s in story(frame(row()), inside)] == ["nothing"]


def test_champion_left_ticket_spike_payments_late_and_risk_flags():
    at = dt.datetime
    facts = StoryFacts(
        tickets=pl.DataFrame(
            {
                "account_id": ["A1"] * 5,
                "created_at": [
                    at(2026, 6, 1),
                    at(2026, 6, 9),
                    at(2026, 6, 10),
                    at(2026, 6, 12),
                    at(2026, 6, 14, 23),
                ],
                "priority": ["low", "urgent", "high", "normal", None],
            }
        ),
        invoices=pl.DataFrame(
            {
                "account_id": ["A1", "A1", "A1"],
                "due_on": [dt.date(2026, 6, 9), dt.date(2026, 6, 12), dt.date(2026, 6, 1)],
                "paid_on": [None, dt.date(2026, 6, 15), None],
                "amount": [12_000.0, 400.0, 99.0],
            }
        ),
        champions_left=pl.DataFrame(
            {
                "account_id": ["A1", "A1"],
                "name": ["Omar Silva", "Old Friend"],
                "left_on": [dt.date(2026, 6, 10), dt.date(2026, 5, 1)],
            }
        ),
        risks=pl.DataFrame(
            {
                "account_id": ["A1", "A1"],
                "created_at": [at(2026, 6, 11, 9), at(2026, 5, 2)],
                "state": ["plan", "saved"],
                "updated_at": [at(2026, 6, 12), at(2026, 6, 13)],
            }
        ),
    )
    said = story(frame(row()), frame(row(money_sign="€")), facts)
    assert [(s.kind, s.text) for s in said] == [
        ("champion", "The champion left: Omar Silva (on 2026-06-10)."),
        ("risk", "A risk was flagged on 2026-06-11 (now plan)."),
        ("risk", "The risk flagged on 2026-05-02 was closed as saved on 2026-06-13."),
        (
            "payments",
            "Payments went late: 2 invoices fell due and are unpaid (€12,400), "
            "the first due 2026-06-09.",
        ),
        (
            "tickets",
            "A ticket spike: 4 tickets opened (2 high/urgent), against 1 in the 7 days before.",
        ),
    ]
    assert len(said) == STORY_MAX


def test_at_most_five_sentences_ranked_and_no_spike_from_a_steady_rate():
    moves = {c: 10.0 + 10 * i for i, c in enumerate(COMPONENTS)}
    before = frame(row(**dict.fromkeys(COMPONENTS, 90.0), health=90.0, band="green"))
    after = frame(row(**moves, health=30.0, band="red", renewal_date=dt.date(2026, 9, 10)))
    steady = StoryFacts(
        tickets=pl.DataFrame(
            {
                "account_id": ["A1"] * 6,
                "created_at": [dt.datetime(2026, 6, d) for d in (2, 3, 4, 9, 10, 11)],
                "priority": ["normal"] * 6,
            }
        )
    )
    said = story(before, after, steady)
    kinds = [s.kind for s in said]
    assert kinds == ["band", "component", "component", "component", "renewal"]
    assert [s.magnitude for s in said] == sorted((s.magnitude for s in said), reverse=True)
    assert said[1].text.startswith("Adoption fell 80 points")


def test_a_fall_without_the_features_to_read_its_cause_is_said_without_one():
    said = story(frame(row(support=70.0)), frame(row(support=40.0)))
    assert [(s.kind, s.text) for s in said] == [("component", "Support fell 30 points (70 → 40).")]


def test_a_champion_gone_from_the_crm_between_the_dates_is_said_with_its_bounds():
    # given: from scoring.people.champion_left: Bo gone by a load of 12 June (listed 2 June),
    # Cy gone by one of 1 June, before the span
    left = pl.DataFrame(
        {
            "account_id": ["A1", "A1"],
            "name": ["Bo", "Cy"],
            "left_on": [None, None],
            "how": ["gone from the CRM"] * 2,
            "listed_on": [dt.date(2026, 6, 2), dt.date(2026, 5, 1)],
            "gone_by": [dt.date(2026, 6, 12), dt.date(2026, 6, 1)],
        },
        schema_overrides={"left_on": pl.Date},
    )
    said = story(frame(row()), frame(row()), StoryFacts(champions_left=left))
    # expect: Bo only, by the upper bound, never as a known day of leaving
    assert [(s.kind, s.text) for s in said] == [
        (
            "champion",
            "The champion left: Bo (gone from the CRM by 2026-06-12, last listed 2026-06-02).",
        )
    ]
