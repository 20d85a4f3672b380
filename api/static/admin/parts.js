/* The parts every panel of the administration page shares (admin/users.js, units.js,
 * members.js, categories.js): a form drawn from a list of fields, read back into the
 * API's shape; a table with column headers; a pager; a problem in the user's words.
 *
 *   const fields = [{name: "username", label: "user.username", required: true},
 *                   {name: "role", label: "user.role", type: "select", options: [[v, text]]}];
 *   const form = buildForm(fields, values, {onSubmit: async (data) => …, onCancel});
 *   changes(before, data)   // the fields whose value differs (a PATCH body)
 *
 * A field's type: text (default), password, number, date, select, checkbox, textarea;
 * `readonly`, `required`, `hint` (a line under it), `parse` (text → the API's value).
 * An empty text is sent as null. onSubmit may throw an ApiError: the form shows it.
 */
import * as i18n from "../i18n.js";
import {element} from "../session.js";

const t = i18n.t;

function buildForm(fields, values, {onSubmit, onCancel, submitLabel = "admin.save"}) {
  const form = document.createElement("form");
  form.className = "admin-form";
  form.noValidate = true;  // the API's rules and words, not the browser's
  for (const field of fields) form.append(fieldNode(field, values[field.name]));
  const error = element("p", "");
  error.className = "admin-form-error";
  error.setAttribute("role", "alert");
  const save = element("button", t(submitLabel));
  save.type = "submit";
  const cancel = element("button", t("admin.cancel"));
  cancel.type = "button";
  cancel.addEventListener("click", () => onCancel && onCancel());
  const buttons = document.createElement("div");
  buttons.className = "admin-form-buttons";
  buttons.append(save, cancel);
  form.append(error, buttons);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    save.disabled = true;
    try {
      await onSubmit(readForm(form, fields));
    } catch (failure) {
      error.textContent = problemText(failure, fields);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

function fieldNode(field, value) {
  const label = document.createElement("label");
  label.className = `admin-field admin-field-${field.type || "text"}`;
  label.dataset.field = field.name;
  let input;
  if (field.type === "select") {
    input = document.createElement("select");
    for (const [optionValue, text] of field.options) {
      const option = element("option", text);
      option.value = optionValue;
      input.append(option);
    }
  } else if (field.type === "textarea") {
    input = document.createElement("textarea");
    input.rows = field.rows || 3;
  } else {
    input = document.createElement("input");
    input.type = field.type || "text";
  }
  input.name = field.name;
  if (field.type === "checkbox") input.checked = Boolean(value);
  else if (value != null) input.value = field.format ? field.format(value) : value;
  if (field.readonly) input.disabled = true;
  if (field.required) input.required = true;
  if (field.maxlength) input.maxLength = field.maxlength;
  label.append(element("span", t(field.label)), input);
  if (field.hint) {
    const hint = element("small", t(field.hint));
    hint.className = "admin-hint";
    label.append(hint);
  }
  return label;
}

function readForm(form, fields) {
  const data = {};
  for (const field of fields) {
    if (field.readonly) continue;
    const input = form.elements[field.name];
    if (field.type === "checkbox") {
      data[field.name] = input.checked;
      continue;
    }
    const text = input.value.trim();
    if (field.parse) data[field.name] = field.parse(text);
    else if (field.type === "number") data[field.name] = text === "" ? null : Number(text);
    else data[field.name] = text === "" ? null : text;
  }
  return data;
}

// What a PATCH sends: the fields changed since the object was read.
function changes(before, data) {
  const changed = {};
  for (const [name, value] of Object.entries(data)) {
    if (JSON.stringify(before[name] ?? null) !== JSON.stringify(value ?? null)) {
      changed[name] = value;
    }
  }
  return changed;
}

// An ApiError in the user's words: its code's text; a schema refusal names the fields.
function problemText(error, fields = []) {
  const problem = error.problem || {};
  if (problem.code === "validation_failed" && Array.isArray(problem.errors)) {
    const names = problem.errors.map((e) => {
      const name = [...e.loc].reverse().find((part) => typeof part === "string");
      const field = fields.find((f) => f.name === name);
      return field ? t(field.label) : name;
    });
    return t("admin.invalid", {fields: [...new Set(names)].join("、")});
  }
  return i18n.problem(problem, error.message || t("admin.failed"));
}

// A table with its column headers; each row an array of cells (text or nodes).
function dataTable(headers, rows, rowData = () => ({})) {
  const table = document.createElement("table");
  table.className = "admin-table";
  const head = document.createElement("tr");
  for (const key of headers) {
    const cell = element("th", t(key));
    cell.scope = "col";
    head.append(cell);
  }
  const thead = document.createElement("thead");
  thead.append(head);
  const tbody = document.createElement("tbody");
  rows.forEach((cells, index) => {
    const row = document.createElement("tr");
    Object.assign(row.dataset, rowData(index));
    for (const cell of cells) {
      const td = document.createElement("td");
      if (cell instanceof Node) td.append(cell);
      else td.textContent = cell ?? "";
      row.append(td);
    }
    tbody.append(row);
  });
  if (!rows.length) {
    const row = document.createElement("tr");
    const cell = element("td", t("admin.none"));
    cell.colSpan = headers.length;
    row.append(cell);
    tbody.append(row);
  }
  table.append(thead, tbody);
  return table;
}

function button(labelKey, onClick, className = "") {
  const node = element("button", t(labelKey));
  node.type = "button";
  if (className) node.className = className;
  node.addEventListener("click", onClick);
  return node;
}

function actions(...buttons) {
  const box = document.createElement("span");
  box.className = "admin-actions";
  box.append(...buttons);
  return box;
}

// Previous / next; `total` when the API gives one, else `more` says a next page exists.
function pager(state, {total = null, more = false}, onPage) {
  const box = document.createElement("div");
  box.className = "admin-pager";
  const page = Math.floor(state.offset / state.limit) + 1;
  const previous = button("admin.prev", () => onPage(Math.max(0, state.offset - state.limit)));
  previous.disabled = state.offset === 0;
  const next = button("admin.next", () => onPage(state.offset + state.limit));
  next.disabled = total == null ? !more : state.offset + state.limit >= total;
  const text = element("span", total == null ? t("admin.page", {page})
    : t("admin.pageOf", {page, total}));
  box.append(previous, text, next);
  return box;
}

// A search box with its button and a "new" button: the top of a panel.
function toolbar({hint, onSearch, onNew, extra = []}) {
  const form = document.createElement("form");
  form.className = "admin-toolbar";
  const input = document.createElement("input");
  input.type = "search";
  input.name = "q";
  input.maxLength = 100;
  input.placeholder = t(hint);
  input.setAttribute("aria-label", t("admin.search"));
  const search = element("button", t("admin.search"));
  search.type = "submit";
  form.append(input, search, ...extra);
  if (onNew) form.append(button("admin.new", onNew, "admin-new"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSearch(input.value.trim());
  });
  return form;
}

function statusText(active) {
  return t(active ? "admin.active" : "admin.deactivated");
}

export {buildForm, readForm, changes, problemText, dataTable, button, actions, pager, toolbar,
        statusText};
