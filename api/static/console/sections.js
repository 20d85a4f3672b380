/* The pieces of a detail that the grid console (detail.js, one incident) and the platform
 * consoles (subject.js, one subject of any platform) draw alike: the move's result line,
 * a titled section, the version and print buttons of the head, and the timeline. Written
 * once so that both consoles read the same and a fix reaches both.
 */
import {t} from "../i18n.js";
import {element} from "../session.js";
import {formatTime} from "./strings.js";

// The last move's outcome (page.result: {text(), error}), announced to screen readers.
function result(page) {
  const node = element("p", page.result ? page.result.text() : "");
  node.className = "console-result";
  node.setAttribute("role", "status");
  if (page.result && page.result.error) node.classList.add("console-error");
  return node;
}

// A titled section; its class is named after the title's key ("section.clocks" →
// console-clocks-section), which the styles and the tests find it by.
function section(titleKey, body) {
  const node = document.createElement("section");
  node.className = `console-${titleKey.split(".")[1]}-section`;
  const title = element("h3", t(titleKey));
  title.dataset.i18n = titleKey;
  node.append(title, body);
  return node;
}

// The head's version (what a move is checked against) and its print button.
function versionAndPrint(version) {
  const shown = element("span", t("detail.version", {v: version}));
  shown.className = "console-version";
  const print = element("button", t("detail.print"));
  print.type = "button";
  print.className = "console-print";
  print.addEventListener("click", () => window.print());
  return [shown, print];
}

// A timeline entry's name: a move of the workflow, else an event that is not a move.
function eventLabel(action) {
  for (const prefix of ["action.", "event."]) {
    if (t(`${prefix}${action}`) !== `${prefix}${action}`) return t(`${prefix}${action}`);
  }
  return action;
}

// An event that left the state as it was (photos added, a hand-off) names no move.
function stateMoved(event) {
  if (event.from_state && event.to_state && event.from_state !== event.to_state) {
    return `${t(`state.${event.from_state}`)} → ${t(`state.${event.to_state}`)}`;
  }
  return event.to_state ? `→ ${t(`state.${event.to_state}`)}` : "";
}

function timeline(events) {
  const list = document.createElement("ol");
  list.className = "console-timeline";
  for (const event of events) {
    const item = document.createElement("li");
    item.dataset.action = event.action;
    const when = element("time", formatTime(event.at));
    when.dateTime = event.at;
    item.append(when, element("strong", eventLabel(event.action)),
                element("span", event.actor_name || event.actor),
                element("span", stateMoved(event)));
    if (event.note) item.append(element("q", event.note));
    list.append(item);
  }
  return list;
}

export {result, section, versionAndPrint, timeline};
