"""便民服务 plugs in here (core/platforms.py): its parts, each owned on its own."""

from core.platforms import compose

PLATFORM = compose("convenience", "便民服务",
                   ("convenience.services.part", "convenience.open311.part"))
