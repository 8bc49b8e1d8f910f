"""The rota as the bot uses it, in three parts that change for different reasons.

* :mod:`.duty`: who is on duty now and on the next shift, and what /oncall shows;
* :mod:`.covers`: a coordinator's one-off changes from chat (/cover);
* :mod:`.rota_file` and :mod:`.importing`: the CSV an admin imports
  (``referral-bot rota import``), read, then checked against the people and written.

The names the handlers, the other services and the command line use are handed on here,
so ``from bot.services import rota`` then ``rota.on_duty(...)`` reads as before.
"""

from bot.services.rota.covers import Cover, CoverRefused, Period, Refusal, cover, period_span
from bot.services.rota.duty import (
    Board,
    Duty,
    back_from_away,
    boards,
    coordinators_on_duty,
    covered_teams,
    find_person,
    may_cover,
    next_shift,
    on_duty,
    roster,
    rota_team,
    station_board,
)
from bot.services.rota.importing import Imported, ImportedCovers, import_file
from bot.services.rota.rota_file import CSV_HELP, RotaFileError

__all__ = [
    "CSV_HELP",
    "Board",
    "Cover",
    "CoverRefused",
    "Duty",
    "Imported",
    "ImportedCovers",
    "Period",
    "Refusal",
    "RotaFileError",
    "back_from_away",
    "boards",
    "coordinators_on_duty",
    "cover",
    "covered_teams",
    "find_person",
    "import_file",
    "may_cover",
    "next_shift",
    "on_duty",
    "period_span",
    "roster",
    "rota_team",
    "station_board",
]
