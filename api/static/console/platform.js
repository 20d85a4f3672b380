/* A platform's console (/console/{key}, api/console.py): the shared console configured by
 * the platform's declaration (core/consoles.py, the page's `options.console`). Logs in
 * (session.js), loads the case type's workflow (workflow.js: states, moves, their labels and
 * fields), then the queue (list.js), one subject (subject.js) and its moves (moves.js).
 * `?id=N` in the address opens that subject after login.
 */
import * as i18n from "../i18n.js";
import {LoginRequired, create as createSession, renderAccount} from "../session.js";
import {load as loadWorkflow} from "../workflow.js";
import * as list from "./list.js";
import * as nav from "./nav.js";
import "./strings.js";
import * as detail from "./subject.js";
import "./values.js";

const {t} = i18n;

function nodes() {
  const $ = (selector) => document.querySelector(selector);
  return {
    title: $(".console-title"), others: $(".console-others"), account: $(".console-account"),
    tabs: $(".console-tabs"), filters: $(".console-filters"),
    filterFields: $(".console-filter-fields"), refresh: $(".console-refresh"),
    exports: [...document.querySelectorAll(".console-export")],
    queueStatus: $(".console-queue-status"), facets: $(".console-facets"),
    head: $(".console-list thead tr"),
    list: $(".console-list tbody"), prev: $(".console-prev"), next: $(".console-next"),
    pageText: $(".console-page-text"), detailEmpty: $(".console-detail-empty"),
    subject: $(".console-subject"),
  };
}

function start(options) {
  const config = options.console;
  const page = {options, config, list, me: null, selected: null, subject: null,
                result: null, detailTicket: 0, nodes: nodes()};
  page.nodes.title.textContent = config.title;
  document.body.dataset.console = config.key;
  page.nodes.detailEmpty.textContent = t("pconsole.empty", {noun: config.noun});
  page.session = createSession({apiBase: options.apiBase, title: config.title,
                                onLogin: () => open(page), onLogout: () => clear(page)});
  page.showError = (node, error) => showError(node, error);
  page.openSubject = (id) => {
    page.result = null;
    return detail.open(page, id);
  };
  page.afterMove = async (id) => {
    await Promise.all([detail.open(page, id), list.refresh(page)]);
  };
  list.setUp(page);
  i18n.onChange(() => {
    list.relabel(page);
    if (page.subject) detail.render(page, page.subject);
  });
  page.session.start();
}

async function open(page) {
  try {
    [page.me, page.workflow] = await Promise.all([
      page.session.getJSON("/auth/me"), loadWorkflow(page.session, page.config.case_type)]);
    renderAccount(page.nodes.account, page.me, page.session);
    document.body.classList.remove("gridgov-logged-out");
    document.querySelector(".console-map-link").href = `/map/${page.me.scope.code}`;
    document.querySelector(".console-kpi-link").href = `/kpis?area=${page.me.scope.code}`;
    page.movesOf = detail.movesFor(page);
    if (page.config.extra_module) {
      page.extra = await import(`${page.options.staticBase || "/static"}/${
        page.config.extra_module}`);
    }
    await nav.render(page.session, page.nodes.others, page.config.key);
    if (!page.me.permissions.includes(page.config.permission)) {
      showError(page.nodes.queueStatus, {status: 403, message: t("pconsole.no-read")});
      return;
    }
    await list.open(page);
    const asked = Number(new URLSearchParams(window.location.search).get("id"));
    if (asked > 0) await page.openSubject(asked);
  } catch (error) {
    showError(page.nodes.queueStatus, error);
  }
}

function clear(page) {
  page.me = null;
  page.result = null;
  detail.clear(page);
  page.nodes.list.replaceChildren();
  page.nodes.account.replaceChildren();
  page.nodes.others.replaceChildren();
  document.body.classList.add("gridgov-logged-out");
}

// A problem in words: its stable code's Chinese text if known, else what its status means.
function showError(node, error) {
  if (error instanceof LoginRequired) return;
  const known = error.problem ? i18n.problem(error.problem) : "";
  const key = `problem.${error.status}`;
  node.textContent = known || `${t(key) === key ? t("problem.other") : t(key)}: ${
    error.message}`;
  node.classList.add("console-error");
}

export {start};
