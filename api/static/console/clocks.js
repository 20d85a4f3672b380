/* An incident's clocks and links in the console's detail (detail.js draws them).
 *
 * Clocks: each named clock the case kernel runs (the step's, a statutory total …) with its
 * limit in the law's units (working hours or days, natural days, months), when it is due,
 * its colour or whether it stopped or paused, and the rule it follows (its citation).
 * Links: the subjects linked to the incident from either end (a merged duplicate, the case
 * a referral opened on another platform); another incident opens in the console.
 */
import {t} from "../i18n.js";
import {element} from "../session.js";
import * as C from "./parts.js";


function cell(content) {
  const node = document.createElement("td");
  node.append(content);
  return node;
}

function headRow(keys) {
  const row = document.createElement("tr");
  row.append(...keys.map((key) => element("th", t(key))));
  return row;
}

// Each named clock: its limit in the law's units, when it is due, its colour, its basis.
function clocks(incident) {
  if (!incident.clocks.length) return element("p", t("clocks.none"));
  const table = document.createElement("table");
  table.className = "console-clocks";
  table.append(headRow(["clock.name", "clock.limit", "clock.due", "clock.state",
                        "clock.citation"]));
  for (const clock of incident.clocks) {
    const row = document.createElement("tr");
    row.dataset.clock = clock.name;
    row.dataset.colour = clock.colour;
    row.append(cell(clockName(clock.name)), cell(limitText(clock)),
               cell(C.formatTime(clock.due_at)), cell(clockState(clock)),
               cell(clock.citation || "—"));
    table.append(row);
  }
  return table;
}

function clockName(name) {
  const key = `clock.named.${name}`;
  return t(key) === key ? name : t(key);
}

// "8h", "3d", "90cd", "6mo" (core/workflow/durations.py) in words, with any extension.
function limitText(clock) {
  const words = (limit) => {
    const match = /^(\d+)(h|d|cd|mo)$/.exec(limit || "");
    return match ? t(`limit.${match[2]}`, {n: match[1]}) : limit;
  };
  return clock.extended_by
    ? `${words(clock.limit)}（${t("clock.extended", {by: words(clock.extended_by)})}）`
    : words(clock.limit);
}

function clockState(clock) {
  if (clock.stopped_at) {
    const key = clock.late ? "clock.stopped-late" : "clock.stopped";
    return element("span", t(key, {at: C.formatTime(clock.stopped_at)}));
  }
  if (clock.paused_at) return element("span", t("clock.paused"));
  const badge = element("span", t(`deadline.${clock.colour}`));
  badge.className = `console-deadline console-${clock.colour}`;
  return badge;
}

// The subjects linked to this one (a merged duplicate, the case a referral opened), from
// either end; an incident opens here.
function links(page, incident) {
  if (!incident.links.length) return element("p", "—");
  const list = document.createElement("ul");
  list.className = "console-links";
  for (const link of incident.links) {
    const item = document.createElement("li");
    item.dataset.type = link.type;
    item.dataset.id = link.id;
    const name = `${subjectName(link.type)} #${link.id}`;
    let target = element("strong", name);
    if (link.type === "incident") {
      target = element("a", name);
      target.href = `?incident=${link.id}`;
      target.addEventListener("click", (event) => {
        event.preventDefault();
        page.openIncident(link.id);
      });
    }
    item.append(element("span", linkKind(link)), " ", target, " ",
                element("small", `${link.created_by} ${C.formatTime(link.created_at)}`));
    list.append(item);
  }
  return list;
}

function subjectName(type) {
  const key = `subject.${type}`;
  return t(key) === key ? type : t(key);
}

function linkKind(link) {
  const key = `link.${link.kind}.${link.direction}`;
  return t(key) === key ? `${link.kind} ${link.direction === "to" ? "→" : "←"}` : t(key);
}

export {clocks, links};
