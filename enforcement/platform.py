"""综合执法 plugs in here (core/platforms.py): its parts, each owned on its own."""

from core.platforms import compose

PLATFORM = compose("enforcement", "综合执法",
                   ("enforcement.cases.part", "enforcement.teams.part"))
