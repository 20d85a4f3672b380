/* The administration page (/admin, api/admin_pages.py): logs in (session.js), then, for a
 * user holding `users:manage` (an admin), shows three panels, each mounted when first
 * opened: users (admin/users.js), units and their members (units.js, members.js), and
 * the incident categories (categories.js). Anyone else is told the page is not theirs,
 * and no admin API is called. The tab shown is in the address (?tab=units).
 *
 * options (from the server): apiBase, roles, kinds and positions ([value, label]),
 * credentialPositions, platforms ([name, label]).
 *
 * A panel's module exports mount(app, panel) → a promise of its first load; `app` gives
 * it the session, the options, the user (me), departments() (read once), say(text) and
 * fail(error[, text]) for the status line.
 */
import * as i18n from "../i18n.js";
import "./strings.js";
import {LoginRequired, create as createSession, renderAccount} from "../session.js";
import {mount as mountCategories} from "./categories.js";
import {problemText} from "./parts.js";
import {mount as mountUnits} from "./units.js";
import {mount as mountUsers} from "./users.js";

const t = i18n.t;
const PANELS = {users: mountUsers, units: mountUnits, categories: mountCategories};

function start(options) {
  const status = document.querySelector(".admin-status");
  const app = {
    options, me: null, mounted: {}, departmentList: null,
    say(text) {
      status.textContent = text;
      status.classList.remove("admin-error");
    },
    fail(error, text) {
      if (error instanceof LoginRequired) return;
      status.textContent = text || problemText(error);
      status.classList.add("admin-error");
    },
    async departments() {
      app.departmentList ??= await app.session.getJSON("/departments");
      return app.departmentList;
    },
  };
  app.session = createSession({
    apiBase: options.apiBase, title: t("admin.title"),
    onLogin: () => open(app), onLogout: () => clear(app),
  });
  for (const tab of document.querySelectorAll(".admin-tabs [data-tab]")) {
    tab.addEventListener("click", () => {
      const address = new URLSearchParams(window.location.search);
      address.set("tab", tab.dataset.tab);
      window.history.replaceState(null, "", `?${address}`);
      show(app, tab.dataset.tab);
    });
  }
  // Another language: the panels draw their words when they load; load them again.
  i18n.onChange(() => {
    const shown = document.body.dataset.tab;
    app.mounted = {};
    if (app.me && shown) show(app, shown);
  });
  clear(app);
  app.session.start();
}

async function open(app) {
  try {
    app.me = await app.session.getJSON("/auth/me");
    renderAccount(document.querySelector(".admin-account"), app.me, app.session);
    document.body.classList.remove("gridgov-logged-out");
    if (!app.me.permissions.includes("users:manage")) {
      document.querySelector(".admin-tabs").hidden = true;
      app.fail({}, t("admin.forbidden"));
      document.body.dataset.adminReady = "forbidden";
      return;
    }
    document.querySelector(".admin-tabs").hidden = false;
    const asked = new URLSearchParams(window.location.search).get("tab");
    await show(app, PANELS[asked] ? asked : "users");
    document.body.dataset.adminReady = "true";
  } catch (error) {
    app.fail(error);
  }
}

function clear(app) {
  app.me = null;
  app.mounted = {};
  for (const panel of document.querySelectorAll(".admin-panel")) {
    panel.replaceChildren();
    panel.hidden = true;
    delete panel.dataset.loaded;
  }
  document.querySelector(".admin-account").replaceChildren();
  app.say("");
  delete document.body.dataset.adminReady;
  document.body.classList.add("gridgov-logged-out");
}

function show(app, name) {
  document.body.dataset.tab = name;
  for (const tab of document.querySelectorAll(".admin-tabs [data-tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  }
  for (const panel of document.querySelectorAll(".admin-panel")) {
    panel.hidden = panel.dataset.panel !== name;
  }
  app.say("");
  if (!app.mounted[name]) {
    app.mounted[name] = PANELS[name](app, document.querySelector(
      `.admin-panel[data-panel=${name}]`));
  }
  return app.mounted[name];
}

export {start};
