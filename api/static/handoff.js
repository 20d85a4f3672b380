/* The hand-off form (流转), written once: the console (console/actions.js) and the map's
 * incident card (map-actions.js) both use it. Loaded after units.js, whose lists and
 * picker it uses (api/console.py SCRIPTS, api/pages.py MAP_PARTS).
 *
 * 上报 escalate goes to the centre one level up (nothing to choose); 下派 assign to a unit
 * seated below the holder whose territory contains the incident; 转办 refer to a platform
 * and/or a department (the server picks its most local unit that covers the incident) or
 * to one unit that covers it. The form sends what was chosen; what is missing or wrong
 * the server says, by a problem code the pages put in words (i18n.js).
 */
import * as i18n from "./i18n.js";
import {element} from "./session.js";
import * as U from "./units.js";

const {t} = i18n;
const {option, labelled, selectOf} = U;

const WORDS = {
  "handoff-form.escalate-to": ["上报至", "Escalate to"],
  "handoff-form.assign-to": ["下派给", "Assign to"],
  "handoff-form.refer-to": ["转办给", "Refer to"],
  "handoff-form.refer-by": ["转办到", "Refer to"],
  "handoff-form.by-platform": ["平台或部门（系统选定最近的单位）",
                               "A platform or department (its most local unit)"],
  "handoff-form.by-unit": ["指定单位", "A unit"],
  "handoff-form.platform": ["平台", "Platform"],
  "handoff-form.department": ["部门", "Department"],
  "handoff-form.any-platform": ["不限平台", "Any platform"],
  "handoff-form.any-department": ["不限部门", "Any department"],
  "handoff-form.reason": ["理由", "Reason"],
  "handoff-form.reason-required": ["理由（必填）", "Reason (required)"],
  "handoff-form.cancel": ["取消", "Cancel"],
};
i18n.add(Object.fromEntries(Object.entries(WORDS).map(([key, [zh, en]]) => [key, {zh, en}])));

const REFER_PLATFORMS = ["enforcement", "market_supervision", "convenience", "grid"];

// --- which hand-offs, and to whom --------------------------------------------------

function ownerIndex(incident) {
  return incident.chain.findIndex((area) => area.code === incident.owner.code);
}

// The area one level above the holder (its centre takes an escalation), or null.
function areaAbove(incident) {
  const at = ownerIndex(incident);
  return at > 0 ? incident.chain[at - 1] : null;
}

// Whether there are areas between the holder and the grid, where units to assign to sit.
function mayAssign(incident) {
  const at = ownerIndex(incident);
  return at >= 0 && incident.chain.slice(at + 1).some((area) => area.level !== "grid");
}

// Which hand-offs a user who may hand off has on an incident with none pending.
function kinds(incident) {
  return ["escalate", "assign", "refer"].filter((kind) => kind !== "escalate"
    || areaAbove(incident)).filter((kind) => kind !== "assign" || mayAssign(incident));
}

function escalateTarget(ctx, incident) {
  const up = areaAbove(incident);
  const name = element("strong", up ? `${up.name}（${t(`level.${up.level}`)}）` : "—");
  const field = document.createElement("p");
  field.className = "gridgov-handoff-target";
  field.append(element("span", t("handoff-form.escalate-to")), " ", name);
  if (up) {
    U.covering(ctx, incident).then((units) => {
      const centre = units.find((unit) => unit.kind === "centre" && unit.seat_code === up.code);
      if (centre) name.textContent = centre.name;
    }).catch(() => {});  // the area's name says enough
  }
  return field;
}

function radio(name, value, key, checked) {
  const input = Object.assign(document.createElement("input"),
                              {type: "radio", name, value, checked});
  const label = labelled(key, input);
  label.className = "gridgov-radio";
  label.prepend(input);
  return {label, input};
}

function part(className, ...children) {
  const box = document.createElement("fieldset");  // disabled: nothing of it is sent
  box.className = className;
  box.append(...children);
  return box;
}

function referFields(ctx, incident) {
  const byPlatform = radio("refer_by", "platform", "handoff-form.by-platform", true);
  const byUnit = radio("refer_by", "unit", "handoff-form.by-unit", false);
  const platform = selectOf("to_platform", [["", t("handoff-form.any-platform")],
    ...REFER_PLATFORMS.map((name) => [name, t(`platform.${name}`)])]);
  platform.value = "enforcement";
  const department = selectOf("to_department", [["", t("handoff-form.any-department")]]);
  U.departments(ctx).then((list) => department.append(
    ...list.map((one) => option(one.code, one.name)))).catch(() => {});
  const platformPart = part("gridgov-refer-platform",
                            labelled("handoff-form.platform", platform),
                            labelled("handoff-form.department", department));
  const unitPart = part("gridgov-refer-unit", U.unitPicker({
    name: "to_unit_id", labelKey: "handoff-form.refer-to", units: U.covering(ctx, incident),
    exclude: (unit) => unit.id === incident.owner.unit_id}));
  const choice = part("gridgov-refer-by", element("legend", t("handoff-form.refer-by")),
                      byPlatform.label, byUnit.label);
  const sync = () => {
    const toUnit = byUnit.input.checked;
    platformPart.disabled = platformPart.hidden = toUnit;
    unitPart.disabled = unitPart.hidden = !toUnit;
  };
  byPlatform.input.addEventListener("change", sync);
  byUnit.input.addEventListener("change", sync);
  sync();
  return [choice, platformPart, unitPart];
}

function targetFields(ctx, incident, kind) {
  if (kind === "escalate") return [escalateTarget(ctx, incident)];
  if (kind === "assign") {
    return [U.unitPicker({name: "to_unit_id", labelKey: "handoff-form.assign-to",
                          units: U.below(ctx, incident)})];
  }
  return referFields(ctx, incident);
}

// --- the form ----------------------------------------------------------------------

function body(incident, kind, data) {
  const answer = {kind, version: incident.version, reason: (data.get("reason") || "").trim()};
  const byUnit = kind === "assign" || (kind === "refer" && data.get("refer_by") === "unit");
  if (byUnit && data.get("to_unit_id")) answer.to_unit_id = Number(data.get("to_unit_id"));
  if (kind === "refer" && !byUnit) {
    for (const name of ["to_platform", "to_department"]) {
      if (data.get(name)) answer[name] = data.get(name);
    }
  }
  return answer;  // nothing named: the server says what is missing
}

// The hand-off form: its target, a reason, send and cancel. `onSubmit(body, form)` sends;
// the form's `.gridgov-form-error` is there for what it has to say.
function form(ctx, incident, kind, {submitText, onSubmit, onCancel}) {
  const box = document.createElement("form");
  box.className = `gridgov-handoff gridgov-handoff-${kind}`;
  box.dataset.action = kind;
  // Required where the case type says so (上报: the server refuses it without, 422).
  const required = Boolean(ctx.workflow?.handoffNeedsReason?.(kind));
  const reason = Object.assign(document.createElement("textarea"),
                               {name: "reason", rows: 2, maxLength: 2000, required});
  const error = element("p", "");
  error.className = "gridgov-form-error";
  error.setAttribute("role", "alert");
  const send = element("button", submitText);
  send.type = "submit";
  send.className = "gridgov-send";
  const cancel = element("button", t("handoff-form.cancel"));
  cancel.type = "button";
  cancel.className = "gridgov-cancel";
  cancel.addEventListener("click", onCancel);
  box.append(...targetFields(ctx, incident, kind),
             labelled(required ? "handoff-form.reason-required" : "handoff-form.reason", reason),
             error, send, cancel);
  box.addEventListener("submit", async (event) => {
    event.preventDefault();
    send.disabled = true;
    error.textContent = "";
    try {
      await onSubmit(body(incident, kind, new FormData(box)), box);
    } finally {
      send.disabled = false;
    }
  });
  return box;
}

// Who received a hand-off, in words: its unit's name.
async function receiverName(ctx, incident, handoff) {
  if (handoff.to_unit_name) return handoff.to_unit_name;
  const units = await U.covering(ctx, incident).catch(() => []);
  const unit = units.find((one) => one.id === handoff.to_unit_id);
  return unit ? unit.name : t(`platform.${handoff.to_platform}`);
}

export {kinds, form, body, receiverName};
