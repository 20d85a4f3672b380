/* Users (admin.js's first panel): GET /api/v1/users (search, paging), POST to create,
 * PATCH with the version read to edit, to deactivate (is_active false: every login of
 * the account ends at once) or to activate again. The API keeps an admin to accounts
 * whose scope lies inside his own; a stale version is 409 (user_stale). */
import * as i18n from "../i18n.js";
import {actions, buildForm, button, changes, dataTable, pager, problemText, statusText,
        toolbar} from "./parts.js";

const t = i18n.t;
const LIMIT = 20;

function mount(app, panel) {
  const state = {q: "", offset: 0, limit: LIMIT};
  const editor = document.createElement("div");
  editor.className = "admin-editor";
  const list = document.createElement("div");
  list.className = "admin-list";
  panel.replaceChildren(toolbar({
    hint: "user.searchHint",
    onSearch(q) {
      Object.assign(state, {q, offset: 0});
      load(app, panel, state);
    },
    onNew: () => edit(app, panel, state, null),
  }), editor, list);
  return load(app, panel, state);
}

async function load(app, panel, state) {
  const query = new URLSearchParams({limit: state.limit + 1, offset: state.offset});
  if (state.q) query.set("q", state.q);
  try {
    const users = await app.session.getJSON(`/users?${query}`);
    const shown = users.slice(0, state.limit);
    const table = dataTable(
      ["user.username", "user.fullName", "user.role", "user.scope", "user.phone",
       "admin.status", "admin.actions"],
      shown.map((user) => [user.username, user.full_name, t(`role.${user.role}`),
                           user.scope_code, user.phone, statusText(user.is_active),
                           rowActions(app, panel, state, user)]),
      (index) => ({id: shown[index].id, username: shown[index].username}));
    panel.querySelector(".admin-list").replaceChildren(
      table, pager(state, {more: users.length > state.limit}, (offset) => {
        state.offset = offset;
        load(app, panel, state);
      }));
    panel.dataset.loaded = String(Date.now());
  } catch (error) {
    app.fail(error);
  }
}

function rowActions(app, panel, state, user) {
  const toggle = user.is_active
    ? button("admin.deactivate", () => setActive(app, panel, state, user, false), "admin-off")
    : button("admin.activate", () => setActive(app, panel, state, user, true), "admin-on");
  return actions(button("admin.edit", () => edit(app, panel, state, user), "admin-edit"),
                 toggle);
}

function fields(app, user) {
  const roles = app.options.roles.map((role) => [role, t(`role.${role}`)]);
  const creating = !user;
  return [
    {name: "username", label: "user.username", required: true, readonly: !creating,
     maxlength: 64},
    {name: "password", label: creating ? "user.password" : "user.newPassword",
     type: "password", required: creating},
    {name: "full_name", label: "user.fullName", maxlength: 100, parse: (text) => text},
    {name: "role", label: "user.role", type: "select", options: roles},
    {name: "scope_code", label: "user.scope", required: true, maxlength: 15},
    {name: "phone", label: "user.phone", maxlength: 20},
    {name: "id_number", label: "user.idNumber", maxlength: 18},
  ];
}

function edit(app, panel, state, user) {
  const editor = panel.querySelector(".admin-editor");
  const list = fields(app, user);
  const values = user || {role: app.options.roles[0], scope_code: app.me.scope.code};
  const form = buildForm(list, values, {
    async onSubmit(data) {
      if (user) {
        // Masked personal data (138****0000) is what the API showed, not a new value.
        const body = changes(user, data);
        if (!body.password) delete body.password;
        await patch(app, user, body);
      } else {
        await app.session.postJSON("/users", data);
      }
      editor.replaceChildren();
      app.say(t("admin.saved"));
      await load(app, panel, state);
    },
    onCancel: () => editor.replaceChildren(),
  });
  form.dataset.form = user ? "user-edit" : "user-new";
  editor.replaceChildren(form);
  form.querySelector("input:not([disabled]), select")?.focus();
}

function patch(app, user, body) {
  return app.session.getJSON(`/users/${user.id}`, {
    method: "PATCH", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({version: user.version, ...body}),
  });
}

async function setActive(app, panel, state, user, active) {
  if (!active && !window.confirm(t("admin.confirmDeactivate", {name: user.username}))) return;
  try {
    await patch(app, user, {is_active: active});
    app.say(t("admin.saved"));
    await load(app, panel, state);
  } catch (error) {
    app.fail(error, problemText(error));
  }
}

export {mount};
