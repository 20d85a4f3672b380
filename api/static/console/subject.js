/* A platform console's detail (/console/{key}): one subject as its declaration shows it
 * (core/consoles.py `detail`), its clocks with their limits in the law's units and their
 * citations, the documents (文书, with their verification pages), the links, the timeline,
 * and the moves the caller may make now (moves.js, with the console's forms: forms.js).
 * A platform may add its own section through a small module (`extra_module`, exporting
 * `section(page, subject)` → a node or null).
 */
import {t} from "../i18n.js";
import {element} from "../session.js";
import * as moves from "../moves.js";
import * as F from "./forms.js";
import * as V from "./values.js";
import {formatTime} from "./strings.js";
import {result as resultLine, section, versionAndPrint, timeline} from "./sections.js";

async function open(page, id) {
  const ticket = ++page.detailTicket;
  page.selected = id;
  page.list.markSelected(page);
  page.nodes.detailEmpty.hidden = true;
  const url = new URL(window.location.href);
  url.searchParams.set("id", id);
  window.history.replaceState(null, "", url);
  try {
    const subject = await page.session.getJSON(page.config.detail_url.replace("{id}", id));
    if (ticket !== page.detailTicket) return null;
    await render(page, subject);
    return subject;
  } catch (error) {
    if (ticket === page.detailTicket) {
      page.subject = null;
      const message = element("p", "");
      page.nodes.subject.replaceChildren(message);
      page.nodes.subject.hidden = false;
      page.showError(message, error);
    }
    return null;
  }
}

function clear(page) {
  page.detailTicket++;
  page.subject = null;
  page.selected = null;
  page.nodes.subject.replaceChildren();
  page.nodes.subject.hidden = true;
  page.nodes.detailEmpty.hidden = false;
  delete document.body.dataset.subject;
}

async function render(page, subject) {
  page.subject = subject;
  const article = page.nodes.subject;
  const result = resultLine(page);
  const actions = document.createElement("section");
  actions.className = "console-actions";
  const parts = [head(page, subject), result, section("section.actions", actions),
                 section("pconsole.fields", fields(page, subject))];
  const extra = page.extra ? page.extra.section(page, subject) : null;
  if (extra) parts.push(extra);
  if (subject.clocks) {
    parts.push(section("section.clocks", clocks(subject.clocks, page.config.clocks)));
  }
  if (subject.documents) {
    parts.push(section("pconsole.documents", documents(subject.documents)));
  }
  if (subject.links) parts.push(section("section.links", links(subject.links)));
  if (subject.timeline) parts.push(section("section.timeline", timeline(subject.timeline)));
  article.replaceChildren(...parts);
  article.hidden = false;
  moves.render({session: page.session, me: page.me, workflow: page.workflow,
                subject: page.movesOf, limits: page.options}, subject, actions, {
    onDone: async (text) => {
      page.result = {text};
      await page.afterMove(subject.id);
    },
    onRefused: async (text) => {
      page.result = {text, error: true};
      await page.afterMove(subject.id);
    },
  });
  // For the tests and the screenshots: which subject, at which version, is shown.
  document.body.dataset.subject = `${subject.id}:${subject.version}:${subject.state}`;
}

function head(page, subject) {
  const node = document.createElement("header");
  node.className = "console-incident-head";
  const name = V.pick(subject, page.config.heading);
  const state = element("span", t(`state.${subject.state}`));
  state.className = "console-state";
  state.dataset.state = subject.state;
  node.append(element("h2", `${page.config.noun} #${subject.id}${name ? ` ${name}` : ""}`),
              state);
  // A closed subject's clocks have stopped: its colour says nothing any more.
  if (subject.deadline && !page.workflow.isFinal(subject.state)) {
    node.append(V.node("span", subject.deadline, "deadline"));
  }
  node.append(...versionAndPrint(subject.version));
  return node;
}

function fields(page, subject) {
  const list = document.createElement("dl");
  list.className = "console-fields";
  for (const field of page.config.detail) {
    const definition = V.node("dd", V.pick(subject, field.key), field.kind, field.choices);
    definition.dataset.field = field.key;
    list.append(element("dt", field.label), definition);
  }
  return list;
}

// "8h", "3d", "90cd", "6mo" (core/workflow/durations.py) in words.
function limitWords(limit) {
  const match = /^(\d+)(h|d|cd|mo)$/.exec(limit || "");
  return match ? t(`limit.${match[2]}`, {n: match[1]}) : limit || "—";
}

// The clock's words: the API's, the console's declaration's, the console's own, its name.
function clockName(clock, named) {
  const key = `clock.named.${clock.name}`;
  return clock.label || named.get(clock.name) || (t(key) === key ? clock.name : t(key));
}

// The platforms name a clock's due moment `due_at` (the kernel's) or `due` (enforcement's).
function clockState(clock) {
  if (clock.stopped_at) {
    return t(clock.late ? "clock.stopped-late" : "clock.stopped",
             {at: formatTime(clock.stopped_at)});
  }
  if (clock.paused_at || clock.paused === true) return t("clock.paused");
  return t(`deadline.${clock.colour}`);
}

// The clock's rule, and what stops it when the platform says (`stops`).
function citationWords(clock) {
  const rule = clock.citation || "—";
  return clock.stops ? `${rule}（${clock.stops}）` : rule;
}

function clocks(list, declared) {
  if (!list.length) return element("p", t("clocks.none"));
  const named = new Map(declared);
  const table = document.createElement("table");
  table.className = "console-clocks";
  const header = document.createElement("tr");
  header.append(...["clock.name", "clock.limit", "clock.due", "clock.state",
                    "clock.citation"].map((key) => element("th", t(key))));
  table.append(header);
  for (const clock of list) {
    const row = document.createElement("tr");
    row.dataset.clock = clock.name;
    row.dataset.colour = clock.colour;
    const limit = clock.extended_by
      ? `${limitWords(clock.limit)}（${t("clock.extended", {by: limitWords(clock.extended_by)})}）`
      : limitWords(clock.limit);
    row.append(...[clockName(clock, named), limit, formatTime(clock.due_at || clock.due),
                   clockState(clock), citationWords(clock)].map((text) => element("td", text)));
    table.append(row);
  }
  return table;
}

// 文书: number, title, and its verification page and PDF once numbered.
function documents(list) {
  if (!list.length) return element("p", "—");
  const items = document.createElement("ul");
  items.className = "console-documents";
  for (const doc of list) {
    const item = document.createElement("li");
    item.append(element("span", [doc.number, doc.title].filter(Boolean).join(" ")));
    const targets = [["pconsole.verify", doc.verify_url], ["pconsole.pdf", doc.pdf_url]];
    for (const [key, href] of targets) {
      if (!href) continue;
      const link = element("a", t(key));
      link.href = href;
      item.append(" ", link);
    }
    items.append(item);
  }
  return items;
}

function links(list) {
  if (!list.length) return element("p", "—");
  const items = document.createElement("ul");
  items.className = "console-links";
  for (const link of list) {
    const key = `subject.${link.type}`;
    const kind = `link.${link.kind}.${link.direction}`;
    const item = element("li", `${t(kind) === kind ? link.kind : t(kind)} ${
      t(key) === key ? link.type : t(key)} #${link.id}`);
    if (link.type === "incident") {
      const open = element("a", "→");
      open.href = `/console?incident=${link.id}`;
      item.append(" ", open);
    }
    items.append(item);
  }
  return items;
}

function movesFor(page) {
  return F.subjectOf(page.config, page.workflow, page.session);
}

export {open, clear, render, movesFor};
