/* The centres' console (/console, api/console.py): logs in (session.js), then shows the
 * unit's queue (queue.js), one incident (detail.js) and the moves on it (actions.js).
 *
 * The page holds no data of its own: everything comes from the authenticated API inside
 * the user's scope. `?incident=ID` in the address opens that incident after login.
 */
import * as i18n from "../i18n.js";
import {LoginRequired, create as createSession, renderAccount} from "../session.js";
import {load as loadWorkflow} from "../workflow.js";
import * as nav from "./nav.js";
import * as C from "./parts.js";

const {t} = i18n;

function start(options) {
  const $ = (selector) => document.querySelector(selector);
  const page = {
    options,
    me: null,
    selected: null,      // the open incident's id
    incident: null,      // and what the API said of it
    result: null,        // the last move's outcome, shown above the incident
    detailTicket: 0,     // the latest detail load; older answers are dropped
    photoUrls: new Map(),  // photo URL -> Promise of its object URL
    map: null,
    nodes: {
      account: $(".console-account"),
      tabs: [...document.querySelectorAll(".console-tabs [data-queue]")],
      filters: $(".console-filters"),
      refresh: $(".console-refresh"),
      counts: $(".console-counts"),
      queueStatus: $(".console-queue-status"),
      list: $(".console-list tbody"),
      prev: $(".console-prev"),
      next: $(".console-next"),
      pageText: $(".console-page-text"),
      detailEmpty: $(".console-detail-empty"),
      incident: $(".console-incident"),
      lightbox: $(".console-lightbox"),
    },
  };
  page.session = createSession({
    apiBase: options.apiBase, title: t("console.title"),
    onLogin: () => open(page), onLogout: () => clear(page),
  });
  page.showError = (node, error) => showError(page, node, error);
  page.openIncident = (id) => {
    page.result = null;
    return C.detail.open(page, id);
  };
  page.afterMove = (id) => afterMove(page, id);
  C.queue.setUp(page);
  setUpLightbox(page);
  i18n.onChange(() => relabel(page));
  page.session.start();
}

async function open(page) {
  try {
    [page.me, page.workflow] = await Promise.all([
      page.session.getJSON("/auth/me"),
      loadWorkflow(page.session, page.options.caseType || "incident")]);
    renderAccount(page.nodes.account, page.me, page.session);
    document.body.classList.remove("gridgov-logged-out");
    linkToScope(page);
    nav.render(page.session, document.querySelector(".console-others"), "incident");
    if (!page.me.permissions.includes("incidents:read")) {
      showError(page, page.nodes.queueStatus, {status: 403, message: t("queue.no-read")});
      return;
    }
    await C.queue.open(page);
    const asked = Number(new URLSearchParams(window.location.search).get("incident"));
    if (asked > 0) await page.openIncident(asked);
  } catch (error) {
    showError(page, page.nodes.queueStatus, error);
  }
}

function clear(page) {
  page.me = null;
  page.result = null;
  C.queue.clear(page);
  C.detail.clear(page);
  page.nodes.account.replaceChildren();
  document.body.classList.add("gridgov-logged-out");
}

// The map and the KPIs of the user's own area.
function linkToScope(page) {
  document.querySelector(".console-map-link").href = `/map/${page.me.scope.code}`;
  document.querySelector(".console-kpi-link").href = `/kpis?area=${page.me.scope.code}`;
}

// After a move (done or refused): the incident and the queue read again.
async function afterMove(page, id) {
  await Promise.all([C.detail.open(page, id), C.queue.load(page, {counts: true})]);
}

function showError(page, node, error) {
  if (error instanceof LoginRequired) return;  // the login form is showing
  const status = error.status;
  const key = `problem.${status}`;
  const known = status && t(key) !== key;
  node.textContent = `${known ? t(key) : t("problem.other")}: ${error.message}`;
  node.classList.add("console-error");
}

function setUpLightbox(page) {
  const box = page.nodes.lightbox;
  box.addEventListener("click", (event) => {
    if (event.target === box || event.target.tagName === "BUTTON") box.hidden = true;
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") box.hidden = true;
  });
}

// The static labels follow by data-i18n; what the scripts drew is drawn again.
function relabel(page) {
  C.queue.relabel(page);
  if (page.incident) C.detail.render(page, page.incident);
}

export {start};
