"""Demo data of the cases part (filled below)."""


def load_demo(session, **options) -> None:
    pass


def remove_demo(session, **options) -> None:
    pass
