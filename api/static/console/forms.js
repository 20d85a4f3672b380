/* A platform console's move forms: moves.js draws the form of each move from the
 * workflow's description; the controls of the fields a move takes, and how their values go
 * into the body, are the console's declaration (core/consoles.py `move_fields`: text, int,
 * fen entered in 元 and sent in 分, bool, ids, choice, choices, datetime). A field the
 * declaration does not name is a text box labelled with the server's words. Units and
 * people are chosen from lists (pickers.js: kinds unit, member, members), not typed.
 */
import {element} from "../session.js";
import * as P from "./pickers.js";

function labelled(words, control) {
  const label = document.createElement("label");
  label.append(element("span", words), control);
  return label;
}

function select(name, entries) {
  const node = document.createElement("select");
  node.name = name;
  for (const [value, words] of [["", "—"], ...entries]) {
    const option = element("option", words);
    option.value = value;
    node.append(option);
  }
  return node;
}

function control(field) {
  const {key, kind, choices} = field;
  if (kind === "bool") {
    return select(key, choices.length ? choices : [["true", "是"], ["false", "否"]]);
  }
  if (kind === "choice") return select(key, choices);
  if (kind === "choices") {
    const box = document.createElement("span");
    box.className = "console-choices";
    for (const [value, words] of choices) {
      const check = document.createElement("input");
      Object.assign(check, {type: "checkbox", name: key, value});
      box.append(labelled(words, check));
    }
    return box;
  }
  const input = document.createElement("input");
  input.name = key;
  if (kind === "int") Object.assign(input, {type: "number", min: 1, step: 1});
  else if (kind === "fen") Object.assign(input, {type: "number", min: 0, step: 0.01});
  else if (kind === "datetime") input.type = "datetime-local";
  else if (kind === "instalments") {
    const area = document.createElement("textarea");
    Object.assign(area, {name: key, rows: 3, maxLength: 2000,
                         placeholder: "2027-01-15 500\n2027-02-15 500"});
    return area;
  }
  else input.maxLength = 2000;
  return input;
}

// The builder moves.js asks for a workflow field ({name, label}): the declared one, or text.
function widget(declared, field, session, platform) {
  const known = declared.get(field.name) || {key: field.name, label: field.label,
                                              kind: "text", choices: []};
  if (P.KINDS.has(known.kind)) return () => P.picker(session, known, platform);
  return () => [labelled(known.label, control(known))];
}

// A wall-clock time in the form, as a moment in Asia/Shanghai.
function shanghai(local) {
  return new Date(`${local}:00+08:00`).toISOString();
}

// 暂缓/分期缴纳: one line per instalment, "date amount-in-元" → [{due_on, amount_fen}]; a
// line that does not read so is sent as it is, for the server to refuse in words (422).
function instalments(raw) {
  return raw.split(/\n+/).map((line) => line.trim()).filter(Boolean).map((line) => {
    const [due, amount] = line.split(/[\s,，]+/);
    return {due_on: due, amount_fen: Math.round(Number(amount) * 100)};
  });
}

function value(kind, data, key) {
  if (kind === "choices" || kind === "members") return data.getAll(key).map(
    (got) => (kind === "members" ? Number(got) : got));
  const raw = String(data.get(key) ?? "").trim();
  if (!raw) return undefined;
  switch (kind) {
    case "int": case "unit": case "member": return Number(raw);
    case "fen": return Math.round(Number(raw) * 100);
    case "bool": return raw === "true";
    case "ids": return raw.split(/[,，\s]+/).filter(Boolean).map(Number);
    case "datetime": return shanghai(raw);
    case "instalments": return instalments(raw);
    default: return raw;
  }
}

// The body's fields of a move: those it takes (the workflow), as declared; empty left out.
function body(declared, workflow, move, data) {
  const out = {};
  for (const field of workflow.move(move)?.fields || []) {
    const kind = declared.get(field.name)?.kind || "text";
    const got = value(kind, data, field.name);
    if (got !== undefined && !(Array.isArray(got) && !got.length)) out[field.name] = got;
  }
  return out;
}

// moves.js's `ctx.subject` for a console: its moves, their URL, fields and bodies.
function subjectOf(console_, workflow, session) {
  const declared = new Map(console_.move_fields.map((field) => [field.key, field]));
  const fieldOnly = new Set(console_.options.fieldOnly || []);
  const names = (subject) => (subject[console_.actions_key] || [])
    .map((move) => (typeof move === "string" ? move : move.name))
    .filter((name) => !fieldOnly.has(name));
  return {
    noun: console_.noun,
    allowed: names,
    url: (subject, move) => console_.move_url.replace("{id}", subject.id)
      .replace("{move}", encodeURIComponent(move)),
    widget: (field) => widget(declared, field, session, console_.platform),
    body: (move, data) => body(declared, workflow, move, data),
  };
}

export {subjectOf};
