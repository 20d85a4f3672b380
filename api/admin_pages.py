"""The administration page (/admin, issue 12 §8): users, units with their memberships
(执法证 included), and the incident categories, for an admin inside their scope.

A public shell like the other pages (api/app.py PUBLIC_PATHS): no data and no database
behind it. Its modules (api/static/admin/) log in through the shared session.js and call
the admin API (api/users.py, api/units.py, grid/categories/router.py), which enforces the
permissions and the scope; a user without `users:manage` is told so and sees nothing.
The vocabulary the forms offer (roles, unit kinds, positions and which of them need an
执法证, the installed platforms) is the server's, given as the page's options: not copied
into JavaScript.
"""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.pages import API_BASE, base_page
from core import platforms
from core.units.enums import CREDENTIAL_POSITIONS, KIND_LABELS, POSITION_LABELS
from core.users.enums import Role

router = APIRouter(tags=["pages"])

ENTRY = "admin/admin.js"
ASSETS = ("session.css", "admin/admin.css")
BODY = """<header class="admin-header">
  <h1 data-i18n="admin.title">系统管理</h1>
  <nav class="admin-nav">
    <a href="/console" data-i18n="admin.console">受理台</a>
    <a href="/map" data-i18n="admin.map">地图</a>
    <a href="/kpis" data-i18n="admin.kpis">考核指标</a>
  </nav>
  <button type="button" class="admin-lang" data-i18n-switch>English</button>
  <div class="admin-account"></div>
</header>
<main class="admin-main">
  <div class="admin-tabs" role="tablist">
    <button type="button" role="tab" data-tab="users" data-i18n="admin.users">用户</button>
    <button type="button" role="tab" data-tab="units" data-i18n="admin.units">单位</button>
    <button type="button" role="tab" data-tab="categories"
            data-i18n="admin.categories">事件类别</button>
  </div>
  <p class="admin-status" role="status"></p>
  <section class="admin-panel" data-panel="users" hidden></section>
  <section class="admin-panel" data-panel="units" hidden></section>
  <section class="admin-panel" data-panel="categories" hidden></section>
</main>"""


def vocabulary() -> dict:
    """What the forms offer, as the server defines it."""
    return {
        "roles": [role.value for role in Role],
        "kinds": [[kind.value, label] for kind, label in KIND_LABELS.items()],
        "positions": [[position.value, label] for position, label in POSITION_LABELS.items()],
        "credentialPositions": sorted(position.value for position in CREDENTIAL_POSITIONS),
        "platforms": [[platform.name, platform.label] for platform in platforms.load()],
    }


@router.get("/admin", response_class=HTMLResponse)
def admin_page() -> HTMLResponse:
    """Users, units and memberships, categories (after login, for an admin)."""
    return HTMLResponse(base_page(title="系统管理", body=BODY, entry=ENTRY,
                                  options={"apiBase": API_BASE, **vocabulary()},
                                  assets=ASSETS))
