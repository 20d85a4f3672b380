/* A platform console's values (core/consoles.py): a row's or a subject's field by its
 * dotted path, shown by its declared kind (state, deadline, time, fen, bool, choice …), and
 * the words these consoles add to the console's own (strings.js). Labels of columns,
 * filters and fields are the declaration's (Chinese, from the server).
 */
import * as i18n from "../i18n.js";
import {t} from "../i18n.js";
import {element} from "../session.js";
import {formatTime} from "./strings.js";

const WORDS = {
  "pconsole.empty": ["从左侧队列选择一件{noun}", "Pick one ({noun}) from the queue"],
  "pconsole.none": ["没有符合条件的{noun}", "Nothing ({noun}) matches"],
  "pconsole.no-read": ["您不能查看此受理台", "You cannot read this console"],
  "pconsole.yes": ["是", "yes"], "pconsole.no": ["否", "no"],
  "pconsole.documents": ["文书", "Documents"], "pconsole.verify": ["核验", "verify"],
  "pconsole.pdf": ["下载", "PDF"], "pconsole.fields": ["基本信息", "Details"],
  "pconsole.consoles": ["受理台", "Consoles"],
  "pconsole.pager": ["第 {from}–{to} 件", "{from}–{to}"],
  "pconsole.filename": ["{title}", "{title}"],
};
i18n.add(Object.fromEntries(Object.entries(WORDS).map(([key, [zh, en]]) => [key, {zh, en}])));

// `handler_unit.name` of {handler_unit: {name: …}}; undefined when a link is missing.
function pick(row, path) {
  return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), row);
}

const yuan = new Intl.NumberFormat("zh-CN", {style: "currency", currency: "CNY"});

// A value as text, by its declared kind (`choices`: [[code, words], …]).
function text(value, kind, choices = []) {
  if (value == null || value === "") return "—";
  switch (kind) {
    case "state": return t(`state.${value}`);
    case "deadline": return t(`deadline.${value}`);
    case "time": return formatTime(value);
    case "fen": return yuan.format(Number(value) / 100);
    case "bool": return t(value ? "pconsole.yes" : "pconsole.no");
    case "id": return `#${value}`;
    case "people": return (Array.isArray(value) ? value : []).map((person) => [
      person.name, person.credential_number].filter(Boolean).join(" ")).join("、") || "—";
    case "choice": {
      const found = choices.find(([code]) => String(code) === String(value));
      return found ? found[1] : String(value);
    }
    default: return Array.isArray(value) ? value.join("、") : String(value);
  }
}

// A table cell or a definition: text, with the deadline's colour as a badge.
function node(tag, value, kind, choices) {
  const cell = document.createElement(tag);
  if (kind === "deadline" && value) {
    const badge = element("span", text(value, kind));
    badge.className = `console-deadline console-${value}`;
    cell.append(badge);
  } else {
    cell.textContent = text(value, kind, choices);
  }
  return cell;
}

export {pick, text, node};
