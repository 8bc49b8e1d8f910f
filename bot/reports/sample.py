"""A small hand-made report, so the exports can be tried (and tested) without a database:
three tables of the kinds the figures produce (counts by a label with a bar chart, counts
by hour with a line chart, minutes that are not counts) and a suppressed cell."""

from __future__ import annotations

from datetime import date

from bot.domain.report import Report, Table
from bot.i18n import N_


def sample_report() -> Report:
    return Report(
        start=date(2026, 11, 1),
        end=date(2026, 11, 30),
        stations=("east", "west"),
        tables=(
            Table(
                key="sample_by_category",
                title=N_("Sample: referrals by category"),
                columns=(N_("Category"), N_("Referrals"), N_("At night")),
                rows=(
                    ("family_dispute", 12, 5),
                    ("neighbour_dispute", 7, "<3"),
                    ("elderly", 4, 0),
                ),
                chart="bar",
            ),
            Table(
                key="sample_by_hour",
                title=N_("Sample: referrals by hour"),
                columns=(N_("Hour"), N_("Referrals")),
                rows=tuple((f"{hour:02d}", (hour * 7) % 5 + 3) for hour in range(24)),
                chart="line",
            ),
            Table(
                key="sample_time_to_accept",
                title=N_("Sample: minutes to first acceptance"),
                columns=(N_("Urgency"), N_("Median"), N_("90th percentile")),
                rows=(("urgent", 4.5, 12.0), ("routine", 35.0, None)),
                counts=False,
            ),
        ),
        headline=(
            (N_("Referrals filed"), 23),
            (N_("Share at night"), "22%"),
        ),
    )
