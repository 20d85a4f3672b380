/* The moves on an incident, written once for every page that offers them (the console's
 * detail, the map's card): which buttons, the form of each, sending it, and the outcome.
 *
 * Which moves: the lifecycle moves the API says the caller may make now
 * (`allowed_actions`), the hand-offs (escalate, assign, refer) for those who may hand off
 * an incident that is not final and has no hand-off pending, and 签收/退回 of a pending
 * hand-off addressed to a unit where the caller holds a desk. Nothing else is offered: a
 * hand-off awaiting the caller's own signature offers 签收 and 退回, not a new hand-off.
 *
 * Each move's form is drawn from the workflow's description (workflow.js): the fields the
 * move takes and whether a reason is required are the server's facts. The hand-off form
 * is handoff.js's, the unit pickers units.js's. Each move sends the version the page read;
 * a move made meanwhile by someone else is a 409, shown in words by its problem code.
 *
 *   render(ctx, incident, container, {onDone, onRefused})
 *   ctx: {session, me, workflow, receiving}  (receiving: see receivingHandoff)
 *
 * Another platform's subject (a console of core/consoles.py) brings `ctx.subject`:
 * {noun, allowed(subject) → move names, url(subject, move) → path, widget(field) → a
 * builder of the field's form controls or null, body(move, formData) → the fields}; its
 * moves are its own (no hand-offs of incidents) and go to its own endpoint.
 */
import * as i18n from "./i18n.js";
import {t} from "./i18n.js";
import {ApiError, LoginRequired, element} from "./session.js";
import * as H from "./handoff.js";
import * as U from "./units.js";
// The field tools' photo picker, shared (not copied) by every page that takes photos.
import {photoPicker} from "./field/photos.js";
import {input, labelled} from "./inputs.js";

const HANDOFFS = ["escalate", "assign", "refer"];

const WORDS = {
  "action.escalate": ["上报上级", "Escalate"], "action.assign": ["下派", "Assign down"],
  "action.refer": ["转办", "Refer"], "action.sign": ["签收流转", "Sign hand-off"],
  "action.return-handoff": ["退回流转", "Return hand-off"],
  "moves.none": ["当前没有您可办理的操作", "Nothing for you to do now"],
  "moves.confirm": ["确认{action}", "Confirm: {action}"], "moves.cancel": ["取消", "Cancel"],
  "moves.reason": ["理由/说明", "Reason / note"],
  "moves.reason-required": ["理由（必填）", "Reason (required)"],
  "moves.rating": ["评分（1–5）", "Rating (1–5)"], "moves.photos": ["照片", "Photos"],
  "moves.into": ["并入事件编号", "Merge into no."],
  "moves.done": ["已{action}：事件 #{id} 现为「{state}」（版本 {version}）",
                 "{action}: incident #{id} is now {state} (version {version})"],
  "moves.handoff": ["已{action}：事件 #{id}", "{action}: incident #{id}"],
  "moves.done-of": ["已{action}：{noun} #{id} 现为「{state}」（版本 {version}）",
                    "{action}: {noun} #{id} is now {state} (version {version})"],
  "moves.handoff-to": ["已{action}：事件 #{id} 至「{to}」，待签收",
                       "{action}: incident #{id} sent to {to}, awaiting signature"],
  "problem.409": ["冲突：事件已变化或此操作当前不可办理",
                  "Conflict: the incident changed or this move is not possible now"],
  "problem.409-stale": [
    "事件已被他人改动，现为「{state}」（版本 {version}），已刷新",
    "Someone else moved the incident: it is now {state} (version {version}); refreshed"],
  "problem.403": ["无权办理", "Not allowed"], "problem.404": ["不在您的辖区内", "Not in your territory"],
  "problem.422": ["输入有误", "Invalid input"], "problem.other": ["操作失败", "The move failed"],
  "problem.allowed": ["当前可办理：{list}", "Possible now: {list}"],
  "problem.nothing": ["无", "nothing"],
};
i18n.add(Object.fromEntries(Object.entries(WORDS).map(([key, [zh, en]]) => [key, {zh, en}])));

// --- which moves -------------------------------------------------------------------------

function pendingHandoff(incident) {
  return (incident.handoffs || []).find((handoff) => handoff.status === "pending") || null;
}

// The pending hand-off's id when it is addressed to a unit where the user holds a desk
// (the receiving unit's to sign or return), else null.
async function receivingHandoff(ctx, incident) {
  const pending = pendingHandoff(incident);
  return pending && await U.isReceiver(ctx, pending) ? pending.id : null;
}

function movesOf(ctx, incident) {
  if (ctx.subject) return ctx.subject.allowed(incident);
  const moves = [...incident.allowed_actions];
  const pending = pendingHandoff(incident);
  const open = !ctx.workflow.isFinal(incident.state);
  if (ctx.me.permissions.includes("incidents:hand-off") && open && !pending) {
    moves.push(...H.kinds(incident));
  }
  if (pending && ctx.receiving === pending.id) moves.push("sign", "return-handoff");
  return moves;
}

// The buttons of the moves, and the slot where the chosen one's form opens.
function render(ctx, incident, container, callbacks) {
  const moves = movesOf(ctx, incident);
  const buttons = document.createElement("div");
  buttons.className = "gridgov-move-buttons console-action-buttons";
  const slot = document.createElement("div");
  slot.className = "gridgov-move-form console-action-form";
  if (!moves.length) buttons.append(element("p", t("moves.none")));
  for (const move of moves) {
    const button = element("button", t(`action.${move}`));
    button.type = "button";
    button.dataset.action = move;
    button.className = `gridgov-move gridgov-${move}`;
    button.addEventListener("click", () => {
      slot.replaceChildren(moveForm(ctx, incident, move, callbacks,
                                    () => slot.replaceChildren()));
      const first = slot.querySelector("input, select, textarea, button[type=submit]");
      if (first) first.focus();
    });
    buttons.append(button);
  }
  container.append(buttons, slot);
  return moves;
}

// --- one move's form ---------------------------------------------------------------------

function datalist(id, values) {
  const list = document.createElement("datalist");
  list.id = id;
  list.append(...values.map((value) => Object.assign(document.createElement("option"),
                                                     {value})));
  return list;
}

// The widgets of the form fields a move takes (the workflow's `fields`), by name.
const FIELD_WIDGETS = {
  handler_unit_id: (ctx, incident) => U.dispatchFields(ctx, incident),
  handler_user_id: () => [],  // dispatchFields draws the member with the unit
  rating: () => [labelled("moves.rating", U.selectOf("rating",
    [5, 4, 3, 2, 1].map((n) => [n, "★".repeat(n)])))],
  into: (ctx, incident) => {
    const into = input("into", {type: "number", min: 1, required: true});
    into.setAttribute("list", `gridgov-duplicates-${incident.id}`);
    return [labelled("moves.into", into),
            datalist(`gridgov-duplicates-${incident.id}`,
                     (incident.duplicate_candidates || []).map(String))];
  },
};

// A field of kind "photos" (the workflow's description): the field tools' picker, shrunk
// below the server's limit and sent as base64 (core/attachments); read back at submit.
const PICKERS = new WeakMap();  // the picker's box → the picker

function photosField(ctx, field) {
  const box = document.createElement("div");
  box.className = "gridgov-photos";
  box.dataset.field = field.name;
  const limits = ctx.limits || {};
  PICKERS.set(box, photoPicker(box, {maxBytes: limits.photoMaxBytes || 2 * 1024 * 1024,
                                     maxCount: limits.photoMaxCount || 9,
                                     name: `${field.name}-files`}));
  const label = document.createElement("div");
  label.className = "gridgov-photos-field";
  label.append(element("span", field.label || t("moves.photos")), box);
  return [label];
}

// The photos picked in a form's photo fields, by field name (none picked: left out).
function pickedPhotos(form) {
  const out = {};
  for (const box of form.querySelectorAll(".gridgov-photos")) {
    const photos = PICKERS.get(box)?.photos() || [];
    if (photos.length) out[box.dataset.field] = photos;
  }
  return out;
}

function moveFields(ctx, incident, move) {
  const fields = ctx.workflow.move(move)?.fields || [];
  return fields.flatMap((field) => (field.kind === "photos" ? () => photosField(ctx, field)
                                    : ctx.subject?.widget(field) || FIELD_WIDGETS[field.name]
                                    || (() => [
    labelled(`moves.field.${field.name}`, input(field.name)),
  ]))(ctx, incident));
}

function needsReason(ctx, move) {
  return move === "return-handoff" || ctx.workflow.needsReason(move);
}

function moveForm(ctx, incident, move, callbacks, close) {
  const confirm = t("moves.confirm", {action: t(`action.${move}`)});
  if (!ctx.subject && HANDOFFS.includes(move)) {
    const form = H.form(ctx, incident, move, {
      submitText: confirm, onCancel: close,
      onSubmit: (body) => send(ctx, incident, move, body, error, callbacks)});
    const error = form.querySelector(".gridgov-form-error");
    error.classList.add("console-form-error", "console-error");
    return form;
  }
  const form = document.createElement("form");
  form.className = "gridgov-move-form-body";
  form.dataset.action = move;
  form.append(...moveFields(ctx, incident, move));
  if (move !== "sign") {
    const required = needsReason(ctx, move);
    form.append(labelled(required ? "moves.reason-required" : "moves.reason",
                         input("reason", {tag: "textarea", rows: 2, maxLength: 2000, required})));
  }
  const error = element("p", "");
  error.className = "gridgov-form-error console-form-error console-error";
  error.setAttribute("role", "alert");
  const submit = element("button", confirm);
  submit.type = "submit";
  const cancel = element("button", t("moves.cancel"));
  cancel.type = "button";
  cancel.addEventListener("click", close);
  form.append(error, submit, cancel);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const [path, body] = request(ctx, incident, move, new FormData(form));
      await send(ctx, incident, move, [path, {...body, ...pickedPhotos(form)}], error,
                 callbacks);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

// --- sending -----------------------------------------------------------------------------

// A lifecycle move or an answer to a hand-off: [path, body].
function request(ctx, incident, move, data) {
  if (ctx.subject) {
    const reason = (data.get("reason") || "").trim();
    return [ctx.subject.url(incident, move), {version: incident.version,
                                              ...(reason ? {reason} : {}),
                                              ...ctx.subject.body(move, data)}];
  }
  const reason = (data.get("reason") || "").trim();
  const base = `/incidents/${incident.id}`;
  const pending = pendingHandoff(incident);
  if (move === "sign") return [`${base}/handoffs/${pending.id}/sign`, {}];
  if (move === "return-handoff") return [`${base}/handoffs/${pending.id}/return`, {reason}];
  const body = {version: incident.version};
  if (reason) body.reason = reason;
  if (data.has("handler_unit_id")) Object.assign(body, U.dispatchBody(data));
  if (data.get("rating")) body.rating = Number(data.get("rating"));
  if (data.get("into")) body.into = Number(data.get("into"));
  return [`${base}/actions/${move}`, body];
}

// `sent`: [path, body], or a hand-off's body (handoff.js's form). A 422 stays in the form
// (the input is to mend); a 403, 404 or 409 goes to `onRefused` (the page reads the
// incident again); the outcome's words to `onDone`, made when shown, so that a switch of
// language redraws them.
async function send(ctx, incident, move, sent, formError, {onDone, onRefused}) {
  const [path, body] = Array.isArray(sent) ? sent : [`/incidents/${incident.id}/handoffs`, sent];
  formError.textContent = "";
  let answer;
  try {
    answer = await ctx.session.postJSON(path, body);
  } catch (error) {
    if (error instanceof LoginRequired) return;
    if (!(error instanceof ApiError)) {
      formError.textContent = `${t("problem.other")}: ${error.message}`;
      return;
    }
    if (error.status === 422) {
      formError.textContent = problemText(error.status, error.problem);
      return;
    }
    await onRefused(() => problemText(error.status, error.problem), error);
    return;
  }
  const handoff = !ctx.subject && HANDOFFS.includes(move);
  const to = handoff ? await H.receiverName(ctx, incident, answer) : null;
  await onDone(() => (answer.state
    ? t(ctx.subject ? "moves.done-of" : "moves.done", {
      action: t(`action.${move}`), id: incident.id, noun: ctx.subject?.noun,
      state: t(`state.${answer.state}`), version: answer.version})
    : to ? t("moves.handoff-to", {action: t(`action.${move}`), id: incident.id, to})
      : t("moves.handoff", {action: t(`action.${move}`), id: incident.id})), answer);
}

// The problem in words: a stale version says what the incident is now; a known code says
// what to mend; else what the status means. The server's own words only when no code is
// known (i18n.js's table is keyed by the stable `code` every problem carries).
function problemText(status, problem = {}) {
  const lines = [];
  const known = i18n.problem({code: problem.code});
  if (status === 409 && problem.current_version) {
    lines.push(t("problem.409-stale", {state: t(`state.${problem.current_state}`),
                                       version: problem.current_version}));
  } else if (known) {
    lines.push(known);
  } else {
    const key = `problem.${status}`;
    lines.push(t(key) === key ? t("problem.other") : t(key));
    if (problem.detail) lines.push(problem.detail);
  }
  if (Array.isArray(problem.allowed)) {
    const allowed = problem.allowed.map((name) => t(`action.${name}`)).join("、");
    lines.push(t("problem.allowed", {list: allowed || t("problem.nothing")}));
  }
  return lines.join("\n");
}

export {render, movesOf, pendingHandoff, receivingHandoff, problemText};
