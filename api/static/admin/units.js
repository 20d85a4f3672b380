/* Units (admin.js's second panel): GET /api/v1/units (search in name or code, paging with
 * the total, inactive ones on request), POST to create, PATCH with the version read to
 * edit, DELETE to deactivate (a unit with active units under it is refused:
 * unit_has_children); the members of a unit open below it (admin/members.js). The API
 * keeps an admin to units seated in his scope, with jurisdictions inside it. */
import * as i18n from "../i18n.js";
import {element} from "../session.js";
import {open as openMembers} from "./members.js";
import {actions, buildForm, button, changes, dataTable, pager, problemText, statusText,
        toolbar} from "./parts.js";

const t = i18n.t;
const LIMIT = 20;

function mount(app, panel) {
  const state = {q: "", offset: 0, limit: LIMIT, inactive: false};
  const inactive = document.createElement("label");
  inactive.className = "admin-check";
  const box = document.createElement("input");
  box.type = "checkbox";
  box.name = "include_inactive";
  box.addEventListener("change", () => {
    Object.assign(state, {inactive: box.checked, offset: 0});
    load(app, panel, state);
  });
  inactive.append(box, element("span", t("admin.showInactive")));
  const editor = document.createElement("div");
  editor.className = "admin-editor";
  const list = document.createElement("div");
  list.className = "admin-list";
  const members = document.createElement("div");
  members.className = "admin-members";
  panel.replaceChildren(toolbar({
    hint: "unit.searchHint", extra: [inactive],
    onSearch(q) {
      Object.assign(state, {q, offset: 0});
      load(app, panel, state);
    },
    onNew: () => edit(app, panel, state, null),
  }), editor, list, members);
  return load(app, panel, state);
}

async function load(app, panel, state) {
  const query = new URLSearchParams({limit: state.limit, offset: state.offset});
  if (state.q) query.set("q", state.q);
  if (state.inactive) query.set("include_inactive", "true");
  try {
    const page = await app.session.getJSON(`/units?${query}`);
    const platform = Object.fromEntries(app.options.platforms);
    const table = dataTable(
      ["unit.code", "unit.name", "unit.kind", "unit.platform", "unit.department", "unit.seat",
       "unit.areasShort", "unit.members", "admin.status", "admin.actions"],
      page.items.map((unit) => [
        unit.code, unit.name, unit.kind_label, platform[unit.platform] || unit.platform,
        unit.department, `${unit.seat || ""} ${unit.seat_code}`, unit.area_codes.join(" "),
        String(unit.members), statusText(unit.is_active), rowActions(app, panel, state, unit)]),
      (index) => ({id: page.items[index].id, code: page.items[index].code}));
    panel.querySelector(".admin-list").replaceChildren(
      table, pager(state, {total: page.total}, (offset) => {
        state.offset = offset;
        load(app, panel, state);
      }));
    panel.dataset.loaded = String(Date.now());
  } catch (error) {
    app.fail(error);
  }
}

function rowActions(app, panel, state, unit) {
  const parts = [button("admin.edit", () => edit(app, panel, state, unit), "admin-edit"),
                 button("unit.members", () => openMembers(
                   app, panel.querySelector(".admin-members"), unit,
                   () => load(app, panel, state)), "admin-members-open")];
  if (unit.is_active) {
    parts.push(button("admin.deactivate", () => deactivate(app, panel, state, unit),
                      "admin-off"));
  }
  return actions(...parts);
}

async function fields(app, unit) {
  const departments = await app.departments();
  const codes = (text) => (text ? text.split(/[\s,，、]+/).filter(Boolean) : null);
  return [
    {name: "code", label: "unit.code", required: true, readonly: Boolean(unit), maxlength: 48},
    {name: "name", label: "unit.name", required: true, maxlength: 100},
    {name: "kind", label: "unit.kind", type: "select", options: app.options.kinds},
    {name: "platform", label: "unit.platform", type: "select", options: app.options.platforms},
    {name: "department_code", label: "unit.department", type: "select",
     options: [["", t("unit.noDepartment")], ...departments.map((d) => [d.code, d.name])]},
    {name: "parent_id", label: "unit.parent", type: "number"},
    {name: "seat_code", label: "unit.seat", required: true, maxlength: 15},
    {name: "area_codes", label: "unit.areas", required: true, parse: codes,
     format: (list) => list.join(" ")},
  ];
}

async function edit(app, panel, state, unit) {
  const editor = panel.querySelector(".admin-editor");
  const list = await fields(app, unit);
  const values = unit || {kind: app.options.kinds[0][0], platform: app.options.platforms[0][0],
                          seat_code: app.me.scope.code, area_codes: [app.me.scope.code]};
  const form = buildForm(list, {...values, department_code: values.department_code || ""}, {
    async onSubmit(data) {
      if (unit) {
        await app.session.getJSON(`/units/${unit.id}`, {
          method: "PATCH", headers: {"Content-Type": "application/json"},
          body: JSON.stringify({version: unit.version, ...changes(unit, data)})});
      } else {
        await app.session.postJSON("/units", data);
      }
      editor.replaceChildren();
      app.say(t("admin.saved"));
      await load(app, panel, state);
    },
    onCancel: () => editor.replaceChildren(),
  });
  form.dataset.form = unit ? "unit-edit" : "unit-new";
  editor.replaceChildren(form);
}

async function deactivate(app, panel, state, unit) {
  if (!window.confirm(t("admin.confirmDeactivate", {name: unit.name}))) return;
  try {
    await app.session.getJSON(`/units/${unit.id}?version=${unit.version}`, {method: "DELETE"});
    app.say(t("admin.saved"));
    await load(app, panel, state);
  } catch (error) {
    app.fail(error, problemText(error));
  }
}

export {mount};
