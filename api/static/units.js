/* Units as the targets of a move, shared by the console and the map (api/console.py
 * SCRIPTS, api/pages.py MAP_PARTS): the lists of units, a picker for one of them, the
 * dispatch's handling unit and member, and whether the user holds a desk in a unit.
 *
 * The lists are the server's, never typed or hard-coded: `GET /units?serving=<grid>` is
 * every unit whose jurisdiction contains the incident's grid (the check the dispatch and
 * the referral make), with `area=<holder>` those seated in the holder's area (assign);
 * `GET /units/{id}/members` a unit's members. Each answer is read once per page and user.
 * Names from the database are set as text. The hand-off form is handoff.js's.
 */
import * as i18n from "./i18n.js";
import {element, LoginRequired} from "./session.js";

const {t} = i18n;

const KINDS = {
  centre: ["网格化服务管理中心", "grid management centre"],
  service_station: ["便民服务站", "service station"],
  enforcement_team: ["综合行政执法队", "township enforcement team"],
  market_office: ["市场监管所", "market supervision office"],
  service_centre: ["便民服务中心", "service centre"],
  squadron: ["执法中队", "enforcement squadron"],
  brigade: ["执法大队", "enforcement brigade"],
  department: ["部门", "department"],
  service_hall: ["政务服务中心", "government service hall"],
};
const POSITIONS = {
  handler: ["承办人", "handler"], reviewer: ["审核人", "reviewer"], head: ["负责人", "head"],
  legal_reviewer: ["法制审核员", "legal reviewer"], dispatcher: ["派遣员", "dispatcher"],
  receiver: ["受理员", "receiver"], proxy_agent: ["代办员", "proxy agent"],
  inspector: ["检查员", "inspector"], grid_worker: ["网格员", "grid worker"],
};
const WORDS = {
  "units.handler": ["处置单位", "Handling unit"],
  "units.member": ["承办人（可选）", "Handler (optional)"],
  "units.member-any": ["不指定，由单位分派", "Not named: the unit assigns it"],
  "units.choose": ["— 请选择 —", "— choose —"],
  "units.no-match": ["没有匹配的单位", "No unit matches"],
  "units.filter": ["输入名称筛选单位", "Filter the units by name"],
  "units.loading": ["正在读取覆盖此处的单位…", "Reading the units that cover this place…"],
  "units.none": ["没有可选的单位", "No unit to choose"],
  "units.failed": ["无法读取单位：{message}", "Could not read the units: {message}"],
};
const table = {};
for (const [prefix, entries] of [["unitkind.", KINDS], ["position.", POSITIONS], ["", WORDS]]) {
  for (const [key, [zh, en]] of Object.entries(entries)) table[`${prefix}${key}`] = {zh, en};
}
i18n.add(table);

// Most local first: a village's or township's own units before the county's.
const KIND_ORDER = Object.keys(KINDS);
// Who works a unit's desk and so answers what is handed to it (core/units/enums.py).
const DESK_POSITIONS = new Set(["receiver", "dispatcher", "head", "handler", "reviewer"]);
const FILTER_AT = 10;  // a longer list gets a filter box
const LIMIT = 1000;

// --- reading, once per page and user ---------------------------------------------------

const cache = new WeakMap();  // session -> Map(user and path -> Promise of the answer)

function read(ctx, path) {
  let store = cache.get(ctx.session);
  if (!store) cache.set(ctx.session, (store = new Map()));
  const key = `${ctx.me.user.id} ${path}`;
  if (!store.has(key)) {
    store.set(key, ctx.session.getJSON(path).catch((error) => {
      store.delete(key);  // not kept: the next form asks again
      throw error;
    }));
  }
  return store.get(key);
}

// The units whose jurisdiction contains the incident's grid.
async function covering(ctx, incident) {
  const query = new URLSearchParams({serving: incident.grid.code, limit: LIMIT});
  return (await read(ctx, `/units?${query}`)).items;
}

// Those seated below the holder (the server's rule: a seat inside the holder's area, at a
// longer code than the holder's).
async function below(ctx, incident) {
  const owner = incident.owner.code;
  const query = new URLSearchParams({serving: incident.grid.code, area: owner, limit: LIMIT});
  return (await read(ctx, `/units?${query}`)).items
    .filter((unit) => unit.seat_code.length > owner.length);
}

function departments(ctx) {
  return read(ctx, "/departments");
}

function membersOf(ctx, unitId) {
  return read(ctx, `/units/${encodeURIComponent(unitId)}/members`);
}

async function isReceiver(ctx, handoff) {
  if (!handoff || !ctx.me.permissions.includes("hand-offs:receive")) return false;
  const mine = (list) => list.some((m) => m.unit_id === handoff.to_unit_id
                                   && DESK_POSITIONS.has(m.position));
  if (Array.isArray(ctx.me.memberships)) return mine(ctx.me.memberships);
  try {
    return mine((await membersOf(ctx, handoff.to_unit_id))
      .filter((m) => m.user_id === ctx.me.user.id));
  } catch (error) {
    if (error instanceof LoginRequired) throw error;
    return false;  // a unit the user may not read is none of theirs
  }
}

// --- small parts -------------------------------------------------------------------------

function option(value, text) {
  return Object.assign(element("option", text), {value});
}

function labelled(key, ...controls) {
  const label = document.createElement("label");
  label.append(element("span", t(key)), ...controls);
  return label;
}

function selectOf(name, entries) {
  const select = document.createElement("select");
  select.name = name;
  select.append(...entries.map(([value, text]) => option(value, text)));
  return select;
}

function kindLabel(unit) {
  const key = `unitkind.${unit.kind}`;
  return t(key) === key ? unit.kind_label : t(key);
}

function positionLabel(member) {
  const key = `position.${member.position}`;
  return t(key) === key ? member.position_label : t(key);
}

function byLocality(a, b) {
  return (KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind))
    || (b.seat_code.length - a.seat_code.length) || a.name.localeCompare(b.name, "zh-CN");
}

function searchText(unit) {
  return [unit.name, unit.code, unit.department, unit.seat, unit.kind_label, kindLabel(unit)]
    .filter(Boolean).join(" ").toLowerCase();
}

// --- the unit picker ---------------------------------------------------------------------

// A <select name=`name`> of the units `units` (a Promise) holds, grouped by kind, the most
// local first, with a filter box when the list is long. `onChange(unitId)` follows it.
function unitPicker({name, labelKey, units, exclude = null, onChange = null}) {
  const box = document.createElement("div");
  box.className = "gridgov-unit-picker";
  const select = selectOf(name, [["", t("units.loading")]]);
  select.required = true;
  select.disabled = true;
  const filter = document.createElement("input");
  Object.assign(filter, {type: "search", className: "gridgov-unit-filter", hidden: true,
                         placeholder: t("units.filter")});
  filter.setAttribute("aria-label", t("units.filter"));
  const note = element("small", "");
  note.className = "gridgov-unit-note";
  box.append(labelled(labelKey, filter, select), note);
  const changed = () => onChange && onChange(select.value);
  box.ready = units.then((list) => {
    const shown = list.filter((unit) => !exclude || !exclude(unit)).sort(byLocality);
    note.textContent = shown.length ? "" : t("units.none");
    filter.hidden = shown.length <= FILTER_AT;
    fill(select, shown, "");
    select.disabled = false;
    filter.addEventListener("input", () => {
      fill(select, shown, filter.value.trim().toLowerCase());
      changed();
    });
    select.addEventListener("change", changed);
    box.dataset.units = String(shown.length);  // loaded (for the tests)
    return shown;
  }).catch((error) => {
    if (error instanceof LoginRequired) return [];
    select.replaceChildren(option("", "—"));
    note.textContent = t("units.failed", {message: i18n.problem(error.problem, error.message)});
    note.classList.add("gridgov-error");
    return [];
  });
  return box;
}

function fill(select, units, wanted) {
  const before = select.value;
  const matches = units.filter((unit) => !wanted || searchText(unit).includes(wanted));
  const groups = new Map();
  for (const unit of matches) {
    if (!groups.has(unit.kind)) groups.set(unit.kind, []);
    groups.get(unit.kind).push(unit);
  }
  const nodes = [option("", t(matches.length ? "units.choose" : "units.no-match"))];
  for (const list of groups.values()) {
    const group = document.createElement("optgroup");
    group.label = kindLabel(list[0]);
    group.append(...list.map((unit) => {
      const item = option(String(unit.id), unit.name);
      item.title = [kindLabel(unit), unit.department, unit.seat].filter(Boolean).join(" · ");
      return item;
    }));
    nodes.push(group);
  }
  select.replaceChildren(...nodes);
  if (matches.some((unit) => String(unit.id) === before)) select.value = before;
  else if (wanted && matches.length === 1) select.value = String(matches[0].id);
}

// --- dispatch ------------------------------------------------------------------------------

// The handling unit and, optionally, one of its members.
function dispatchFields(ctx, incident) {
  const member = selectOf("handler_user_id", [["", t("units.member-any")]]);
  member.disabled = true;
  const showMembers = (unitId) => {
    member.replaceChildren(option("", t("units.member-any")));
    member.disabled = true;
    member.dataset.unit = unitId;
    if (!unitId) return;
    membersOf(ctx, unitId).then((list) => {
      if (member.dataset.unit !== unitId) return;  // another unit chosen meanwhile
      const seen = new Set();
      for (const one of list) {
        if (seen.has(one.user_id)) continue;
        seen.add(one.user_id);
        member.append(option(String(one.user_id),
                             `${one.full_name || one.username}（${positionLabel(one)}）`));
      }
      member.disabled = false;
    }).catch(() => {});  // no list: the unit assigns it
  };
  const unit = unitPicker({name: "handler_unit_id", labelKey: "units.handler",
                           units: covering(ctx, incident), onChange: showMembers});
  const memberField = labelled("units.member", member);
  memberField.className = "gridgov-member-picker";
  return [unit, memberField];
}

function dispatchBody(data) {
  const body = {};
  if (data.get("handler_unit_id")) body.handler_unit_id = Number(data.get("handler_unit_id"));
  if (data.get("handler_user_id")) body.handler_user_id = Number(data.get("handler_user_id"));
  return body;  // no unit: the server says what is missing (handler_unit_required)
}

// A member's name, when the unit's list says it (the handler named at dispatch).
async function memberName(ctx, unitId, userId) {
  const list = await membersOf(ctx, unitId).catch(() => []);
  const one = list.find((member) => member.user_id === userId);
  return one ? one.full_name || one.username : null;
}

export {covering, below, departments, isReceiver, memberName, unitPicker,
                       dispatchFields, dispatchBody, option, labelled, selectOf};
