/* Incident categories (admin.js's third panel): the tree of GET /api/v1/categories (the
 * inactive ones too), each 大类 followed by its 小类, searched by code or name on the page
 * (the tree is small and the same for every scope); POST to create a 大类 or a 小类, PATCH
 * with the version read to edit or to stop using one (active false). Codes never change:
 * incidents and Open311 clients refer to them. A 小类's time limits are JSON, checked by
 * the server (category_limits_invalid). */
import * as i18n from "../i18n.js";
import {actions, buildForm, button, changes, dataTable, problemText, statusText,
        toolbar} from "./parts.js";

const t = i18n.t;

function mount(app, panel) {
  const state = {q: "", tree: []};
  const editor = document.createElement("div");
  editor.className = "admin-editor";
  const list = document.createElement("div");
  list.className = "admin-list";
  panel.replaceChildren(toolbar({
    hint: "category.name",
    onSearch(q) {
      state.q = q;
      draw(app, panel, state);
    },
    onNew: () => edit(app, panel, state, null),
  }), editor, list);
  return load(app, panel, state);
}

async function load(app, panel, state) {
  try {
    state.tree = await app.session.getJSON("/categories?include_inactive=true");
    draw(app, panel, state);
    panel.dataset.loaded = String(Date.now());
  } catch (error) {
    app.fail(error);
  }
}

function draw(app, panel, state) {
  const q = state.q.toLowerCase();
  const matches = (c) => !q || c.code.toLowerCase().includes(q) || c.name.includes(state.q);
  const rows = [];
  for (const major of state.tree) {
    const minors = major.children.filter(matches);
    if (matches(major) || minors.length) rows.push(major);
    rows.push(...(matches(major) ? major.children : minors));
  }
  const table = dataTable(
    ["category.code", "category.name", "category.level", "category.standard", "category.sort",
     "admin.status", "admin.actions"],
    rows.map((c) => [c.code, c.level === "minor" ? `　${c.name}` : c.name,
                     t(`category.${c.level}`), c.standard, String(c.sort),
                     statusText(c.active), rowActions(app, panel, state, c)]),
    (index) => ({code: rows[index].code, level: rows[index].level}));
  panel.querySelector(".admin-list").replaceChildren(table);
}

function rowActions(app, panel, state, category) {
  return actions(
    button("admin.edit", () => edit(app, panel, state, category), "admin-edit"),
    button(category.active ? "admin.deactivate" : "admin.activate",
           () => setActive(app, panel, state, category, !category.active),
           category.active ? "admin-off" : "admin-on"));
}

function limitsField() {
  return {name: "time_limits", label: "category.limits", type: "textarea", rows: 4,
          format: (limits) => JSON.stringify(limits),
          parse(text) {
            if (!text) return null;
            try {
              return JSON.parse(text);
            } catch (error) {
              throw Object.assign(new Error(t("category.limitsJson")), {problem: {}});
            }
          }};
}

function fields(category) {
  const creating = !category;
  const list = [
    {name: "code", label: "category.code", required: true, readonly: !creating, maxlength: 5},
    {name: "name", label: "category.name", required: true, maxlength: 50},
  ];
  if (creating) list.push({name: "parent_code", label: "category.parent", maxlength: 3});
  list.push(
    {name: "standard", label: "category.standard", maxlength: 40},
    {name: "sort", label: "category.sort", type: "number"},
    {name: "filing_condition", label: "category.filing", type: "textarea",
     parse: (text) => text},
    {name: "closing_condition", label: "category.closing", type: "textarea",
     parse: (text) => text},
  );
  if (creating || category.level === "minor") list.push(limitsField());
  return list;
}

function edit(app, panel, state, category) {
  const editor = panel.querySelector(".admin-editor");
  const list = fields(category);
  const form = buildForm(list, category || {sort: 0}, {
    async onSubmit(data) {
      if (data.sort == null) delete data.sort;
      if (category) {
        await patch(app, category, changes(category, data));
      } else {
        for (const key of ["standard", "parent_code", "time_limits"]) {
          if (data[key] == null) delete data[key];
        }
        await app.session.postJSON("/categories", data);
      }
      editor.replaceChildren();
      app.say(t("admin.saved"));
      await load(app, panel, state);
    },
    onCancel: () => editor.replaceChildren(),
  });
  form.dataset.form = category ? "category-edit" : "category-new";
  editor.replaceChildren(form);
}

function patch(app, category, body) {
  return app.session.getJSON(`/categories/${category.code}`, {
    method: "PATCH", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({version: category.version, ...body})});
}

async function setActive(app, panel, state, category, active) {
  if (!active && !window.confirm(t("admin.confirmDeactivate", {name: category.name}))) return;
  try {
    await patch(app, category, {active});
    app.say(t("admin.saved"));
    await load(app, panel, state);
  } catch (error) {
    app.fail(error, problemText(error));
  }
}

export {mount};
