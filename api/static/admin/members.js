/* A unit's members (opened from admin/units.js): GET /api/v1/units/{id}/members (ended ones
 * too), POST to add a user in a position, PATCH /memberships/{id} with the version read to
 * edit, DELETE to end. A position that acts for the law (承办人, 检查员: the server's
 * `credentialPositions`) needs an 执法证 — number, issuer and expiry together, not
 * expired, one holder per number (行政处罚法第四十二条; core/units/memberships.py checks
 * it and answers with a code the form shows in words). */
import * as i18n from "../i18n.js";
import {element} from "../session.js";
import {actions, buildForm, button, changes, dataTable, problemText, statusText} from "./parts.js";

const t = i18n.t;

async function open(app, box, unit, onChange = () => {}) {
  box.dataset.unit = unit.id;
  box.onMembersChanged = onChange;  // the unit list's member count
  const heading = element("h2", t("member.title", {unit: unit.name}));
  const editor = document.createElement("div");
  editor.className = "admin-editor";
  const list = document.createElement("div");
  list.className = "admin-list";
  const bar = document.createElement("div");
  bar.className = "admin-toolbar";
  bar.append(button("member.add", () => edit(app, box, unit, null), "admin-new"),
             button("member.close", () => box.replaceChildren(), "admin-close"));
  box.replaceChildren(heading, bar, editor, list);
  await load(app, box, unit);
  box.scrollIntoView({block: "nearest"});
}

async function load(app, box, unit) {
  try {
    const members = await app.session.getJSON(`/units/${unit.id}/members?include_ended=true`);
    const table = dataTable(
      ["user.fullName", "user.username", "member.position", "member.credential",
       "member.issuer", "member.expires", "member.valid", "admin.status", "admin.actions"],
      members.map((m) => [
        m.full_name, m.username, m.position_label, m.credential_number,
        m.credential_issuer, m.credential_expires_on,
        m.credential_valid == null ? "—" : t(m.credential_valid ? "member.yes" : "member.no"),
        m.is_active ? statusText(true) : t("member.ended"),
        m.is_active ? actions(button("admin.edit", () => edit(app, box, unit, m), "admin-edit"),
                              button("member.end", () => end(app, box, unit, m), "admin-off"))
          : ""]),
      (index) => ({id: members[index].id, username: members[index].username}));
    box.querySelector(".admin-list").replaceChildren(table);
    box.dataset.loaded = String(Date.now());
  } catch (error) {
    app.fail(error);
  }
}

function credentialFields() {
  return [
    {name: "credential_number", label: "member.credential", maxlength: 40},
    {name: "credential_issuer", label: "member.issuer", maxlength: 100},
    {name: "credential_expires_on", label: "member.expires", type: "date"},
  ];
}

async function edit(app, box, unit, membership) {
  const editor = box.querySelector(".admin-editor");
  const fields = [
    {name: "position", label: "member.position", type: "select", options: app.options.positions},
    ...credentialFields(),
  ];
  let form;
  if (membership) {
    form = buildForm(fields, membership, {
      async onSubmit(data) {
        await app.session.getJSON(`/memberships/${membership.id}`, {
          method: "PATCH", headers: {"Content-Type": "application/json"},
          body: JSON.stringify({version: membership.version, ...changes(membership, data)})});
        done(app, box, unit);
      },
      onCancel: () => editor.replaceChildren(),
    });
  } else {
    const userField = {name: "user_id", label: "member.user", type: "select",
                       options: [["", t("member.chooseUser")]], parse: (v) => (v ? Number(v) : null)};
    form = buildForm([userField, ...fields], {}, {
      async onSubmit(data) {
        await app.session.postJSON(`/units/${unit.id}/members`, data);
        done(app, box, unit);
      },
      onCancel: () => editor.replaceChildren(),
    });
    form.prepend(userFinder(app, form.elements.user_id));
  }
  form.dataset.form = membership ? "member-edit" : "member-new";
  credentialHint(app, form);
  editor.replaceChildren(form);
}

// A search for the user to add, filling the user picker (GET /users?q=).
function userFinder(app, select) {
  const label = document.createElement("label");
  label.className = "admin-field";
  const input = document.createElement("input");
  input.type = "search";
  input.name = "find_user";
  input.maxLength = 100;
  label.append(element("span", t("member.findUser")), input);
  let asked = 0;
  const find = async () => {
    const ticket = ++asked;
    const query = new URLSearchParams({limit: 50});
    if (input.value.trim()) query.set("q", input.value.trim());
    const users = await app.session.getJSON(`/users?${query}`).catch(() => []);
    if (ticket !== asked) return;
    const options = users.filter((user) => user.is_active).map((user) => {
      const option = element("option", `${user.full_name || user.username}（${user.username}，`
                                        + `${t(`role.${user.role}`)}）`);
      option.value = user.id;
      return option;
    });
    const none = element("option", t("member.chooseUser"));
    none.value = "";
    select.replaceChildren(none, ...options);
    if (options.length === 1) select.value = options[0].value;
    select.dispatchEvent(new Event("change"));
  };
  input.addEventListener("input", () => find());
  find();
  return label;
}

// The 执法证 fields stand out, with the rule, when the position needs them.
function credentialHint(app, form) {
  const note = element("p", t("member.credentialNeeded"));
  note.className = "admin-hint admin-credential-note";
  form.insertBefore(note, form.querySelector(".admin-form-error"));
  const update = () => {
    const needed = app.options.credentialPositions.includes(form.elements.position.value);
    note.hidden = !needed;
    form.classList.toggle("admin-credential-needed", needed);
  };
  form.elements.position.addEventListener("change", update);
  update();
}

function done(app, box, unit) {
  box.querySelector(".admin-editor").replaceChildren();
  box.onMembersChanged();
  app.say(t("admin.saved"));
  return load(app, box, unit);
}

async function end(app, box, unit, membership) {
  const name = membership.full_name || membership.username;
  if (!window.confirm(t("admin.confirmDeactivate", {name}))) return;
  try {
    await app.session.getJSON(`/memberships/${membership.id}?version=${membership.version}`,
                              {method: "DELETE"});
    done(app, box, unit);
  } catch (error) {
    app.fail(error, problemText(error));
  }
}

export {open};
