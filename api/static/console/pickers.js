/* Pickers for a console's move fields that name units or people (core/consoles.py
 * `move_fields` of kind unit, member, members): the units inside the caller's scope that
 * the move may target (GET /units?platform=…, the server's scope), then a unit's members
 * (GET /units/{id}/members) by name, position and 执法证. The values sent are the ids the
 * move takes: a unit id, a user id, or a list of user ids. Nothing is typed by hand.
 *
 *   picker(session, field, platform) → [nodes]; a unit picker is a <select name=key>, a
 *   member picker a <select name=key>, a members picker checkboxes named key.
 */
import * as i18n from "../i18n.js";
import {t} from "../i18n.js";
import {element} from "../session.js";

i18n.add({
  "pickers.unit": {zh: "单位", en: "Unit"},
  "pickers.choose": {zh: "— 请选择 —", en: "— choose —"},
  "pickers.loading": {zh: "正在读取…", en: "Reading…"},
  "pickers.none": {zh: "没有可选的人员", en: "Nobody to choose"},
  "pickers.failed": {zh: "无法读取：{message}", en: "Could not read: {message}"},
  "pickers.invalid": {zh: "执法证无效", en: "credential not valid"},
});

function labelled(words, control) {
  const label = document.createElement("label");
  label.append(element("span", words), control);
  return label;
}

function select(name, entries) {
  const node = document.createElement("select");
  node.name = name;
  for (const [value, words] of [["", t("pickers.choose")], ...entries]) {
    const option = element("option", words);
    option.value = value;
    node.append(option);
  }
  return node;
}

// The units of the platform the caller may see (the server applies his scope).
function units(session, platform) {
  const query = new URLSearchParams({platform, limit: "1000"});
  return session.getJSON(`/units?${query}`).then((page) => page.items);
}

function personWords(member) {
  const invalid = member.credential_valid === false ? `，${t("pickers.invalid")}` : "";
  return `${member.full_name}（${member.position_label}${invalid}）`;
}

// One unit's active members, a person once (his first position), by name.
async function members(session, unitId) {
  const rows = await session.getJSON(`/units/${unitId}/members`);
  const seen = new Map();
  for (const row of rows) if (row.is_active && !seen.has(row.user_id)) seen.set(row.user_id, row);
  return [...seen.values()];
}

function unitPicker(session, field, platform) {
  const node = select(field.key, []);
  node.dataset.picker = "unit";
  units(session, platform).then((list) => node.append(...list.map((unit) => {
    const option = element("option", unit.name);
    option.value = unit.id;
    return option;
  }))).catch((error) => node.after(element("span", t("pickers.failed", {message: error.message}))));
  return [labelled(field.label, node)];
}

// A unit to choose from, then its members: one (`member`) or several (`members`).
function peoplePicker(session, field, platform, several) {
  const unit = select(`${field.key}__unit`, []);
  unit.dataset.picker = "people-unit";
  const box = document.createElement("span");
  box.className = "console-choices console-people";
  box.dataset.picker = several ? "members" : "member";
  box.dataset.field = field.key;
  units(session, platform).then((list) => {
    unit.append(...list.map((row) => {
      const option = element("option", row.name);
      option.value = row.id;
      return option;
    }));
    if (list.length === 1) {
      unit.value = String(list[0].id);
      unit.dispatchEvent(new Event("change"));
    }
  }).catch((error) => box.replaceChildren(element("span", t("pickers.failed", {
    message: error.message}))));
  unit.addEventListener("change", async () => {
    box.replaceChildren(element("span", t("pickers.loading")));
    if (!unit.value) { box.replaceChildren(); return; }
    try {
      const people = await members(session, unit.value);
      if (!people.length) { box.replaceChildren(element("span", t("pickers.none"))); return; }
      if (!several) {
        box.replaceChildren(select(field.key, people.map((m) => [m.user_id, personWords(m)])));
        return;
      }
      box.replaceChildren(...people.map((member) => {
        const check = document.createElement("input");
        Object.assign(check, {type: "checkbox", name: field.key, value: member.user_id});
        return labelled(personWords(member), check);
      }));
    } catch (error) {
      box.replaceChildren(element("span", t("pickers.failed", {message: error.message})));
    }
  });
  const group = document.createElement("div");
  group.className = "console-picker";
  group.append(element("span", field.label), labelled(t("pickers.unit"), unit), box);
  return [group];
}

const KINDS = new Set(["unit", "member", "members"]);

function picker(session, field, consolePlatform) {
  const platform = field.platform || consolePlatform;
  if (field.kind === "unit") return unitPicker(session, field, platform);
  return peoplePicker(session, field, platform, field.kind === "members");
}

export {picker, KINDS};
