"""Matters, cases on the ordinary and simple procedures, parties, evidence, 文书, 两法衔接 —
one part of the enforcement platform (enforcement/platform.py composes the parts).

Define here what this part brings (core/platforms.py `compose`): MODELS, PUBLIC_PATHS,
TASK_MODULES, MAP_SCRIPTS, MAP_PLUGINS, routers(), setup(), beat(settings),
demo(session, **options), demo_remove(session, **options).
"""

MODELS: tuple[str, ...] = ("enforcement.cases.models",)


def routers() -> tuple:
    from enforcement.cases.router import router

    return (router,)


def setup() -> None:
    from core.workflow import case_types, events
    from enforcement.cases import documents
    from enforcement.cases.case_type import ENFORCEMENT_CASE
    from enforcement.cases.permissions import grant_all
    from enforcement.cases.referral import open_from_referral

    grant_all()
    case_types.register(ENFORCEMENT_CASE)
    events.subscribe(events.HANDOFF_SIGNED, open_from_referral)
    documents.register_templates()


def demo(session, **options) -> None:
    from enforcement.cases.demo import load_demo

    load_demo(session, **options)


def demo_remove(session, **options) -> None:
    from enforcement.cases.demo import remove_demo

    remove_demo(session, **options)
