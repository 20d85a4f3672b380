/* The console's moves on an incident (/console): the lifecycle actions the API says the
 * caller may make now (`allowed_actions`), the hand-offs (escalate, assign, refer) for
 * those who may hand off, and signing or returning a hand-off addressed to one of the
 * caller's units. Each move sends the version the page read: if someone moved the incident
 * meanwhile, the API's 409 is shown and the incident is read again.
 *
 * The dispatch's unit picker (units.js) and the hand-off form (handoff.js) are shared with
 * the map's card: units picked from the API's lists, never typed.
 */
(function () {
  "use strict";

  const C = window.gridgovConsole;
  const {t} = window.gridgovI18n;
  const {element} = window.gridgovSession;
  const H = window.gridgovHandoff;
  const U = window.gridgovUnits;

  // The moves whose reason is required (grid/incidents/workflow.py needs_reason).
  const NEEDS_REASON = ["return", "rework", "suspend", "void", "return-handoff"];
  const HANDOFFS = ["escalate", "assign", "refer"];

  // --- which moves ---------------------------------------------------------------------

  function movesOf(page, incident) {
    const moves = [...incident.allowed_actions];
    const pending = C.detail.pendingHandoff(incident);
    const open = !C.FINAL.includes(incident.state);
    if (page.me.permissions.includes("incidents:hand-off") && open && !pending) {
      moves.push(...H.kinds(incident));
    }
    if (pending && C.detail.addressedToMe(page, pending)) moves.push("sign", "return-handoff");
    return moves;
  }

  function render(page, incident, container) {
    const moves = movesOf(page, incident);
    const buttons = document.createElement("div");
    buttons.className = "console-action-buttons";
    const formSlot = document.createElement("div");
    formSlot.className = "console-action-form";
    if (!moves.length) buttons.append(element("p", t("actions.none")));
    for (const move of moves) {
      const button = element("button", t(`action.${move}`));
      button.type = "button";
      button.dataset.action = move;
      button.addEventListener("click", () => {
        formSlot.replaceChildren(moveForm(page, incident, move, () => formSlot.replaceChildren()));
        const first = formSlot.querySelector("input, select, textarea, button[type=submit]");
        if (first) first.focus();
      });
      buttons.append(button);
    }
    container.append(buttons, formSlot);
  }

  // --- one move's form -----------------------------------------------------------------

  function labelled(key, control) {
    const label = document.createElement("label");
    const text = element("span", t(key));
    text.dataset.i18n = key;
    label.append(text, control);
    return label;
  }

  function input(name, attributes = {}) {
    const node = document.createElement(attributes.tag || "input");
    node.name = name;
    for (const [key, value] of Object.entries(attributes)) if (key !== "tag") node[key] = value;
    return node;
  }

  function select(name, entries) {
    const node = input(name, {tag: "select"});
    node.append(...entries.map(([value, label]) => Object.assign(element("option", label),
                                                                  {value})));
    return node;
  }

  function datalist(id, values) {
    const list = document.createElement("datalist");
    list.id = id;
    list.append(...values.map((value) => Object.assign(document.createElement("option"),
                                                       {value})));
    return list;
  }

  function context(page) {
    return {session: page.session, me: page.me};
  }

  function moveFields(page, incident, move) {
    if (move === "dispatch") return U.dispatchFields(context(page), incident);
    if (move === "evaluate") {
      const stars = [5, 4, 3, 2, 1].map((n) => [n, "★".repeat(n)]);
      return [labelled("input.rating", select("rating", stars))];
    }
    if (move === "merge") {
      return [labelled("input.into", input("into", {type: "number", min: 1, required: true})),
              datalist("console-duplicates", incident.duplicate_candidates.map(String))];
    }
    return [];
  }

  function moveForm(page, incident, move, close) {
    if (HANDOFFS.includes(move)) {
      const form = H.form(context(page), incident, move, {
        submitText: t("actions.confirm", {action: t(`action.${move}`)}), onCancel: close,
        onSubmit: (body) => send(page, incident, move, body, error)});
      const error = form.querySelector(".gridgov-form-error");
      error.classList.add("console-form-error", "console-error");
      return form;
    }
    const form = document.createElement("form");
    form.dataset.action = move;
    form.append(...moveFields(page, incident, move));
    const list = form.querySelector("datalist");
    if (list) form.querySelector("input").setAttribute("list", list.id);
    if (move !== "sign") {
      const required = NEEDS_REASON.includes(move);
      form.append(labelled(required ? "input.reason-required" : "input.reason",
                           input("reason", {tag: "textarea", rows: 2, maxLength: 2000, required})));
    }
    const error = element("p", "");
    error.className = "console-form-error console-error";
    const submit = element("button", t("actions.confirm", {action: t(`action.${move}`)}));
    submit.type = "submit";
    const cancel = element("button", t("actions.cancel"));
    cancel.type = "button";
    cancel.addEventListener("click", close);
    form.append(error, submit, cancel);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        await send(page, incident, move, request(incident, move, new FormData(form)), error);
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  // --- sending -------------------------------------------------------------------------

  // A lifecycle move or an answer to a hand-off: [path, body].
  function request(incident, move, data) {
    const reason = (data.get("reason") || "").trim();
    const base = `/incidents/${incident.id}`;
    const pending = C.detail.pendingHandoff(incident);
    if (move === "sign") return [`${base}/handoffs/${pending.id}/sign`, {}];
    if (move === "return-handoff") return [`${base}/handoffs/${pending.id}/return`, {reason}];
    const body = {version: incident.version};
    if (reason) body.reason = reason;
    if (move === "dispatch") Object.assign(body, U.dispatchBody(data));
    if (move === "evaluate") body.rating = Number(data.get("rating"));
    if (move === "merge") body.into = Number(data.get("into"));
    return [`${base}/actions/${move}`, body];
  }

  // `sent`: [path, body], or a hand-off's body (handoff.js's form).
  async function send(page, incident, move, sent, formError) {
    const [path, body] = Array.isArray(sent) ? sent : [`/incidents/${incident.id}/handoffs`, sent];
    formError.textContent = "";
    let answer;
    try {
      answer = await page.session.postJSON(path, body);
    } catch (error) {
      if (!(error instanceof gridgovSession.ApiError)) {
        page.showError(formError, error);
        return;
      }
      if (error.status === 422) {  // the input is to mend: the form stays
        formError.textContent = problemText(error.status, error.problem);
        return;
      }
      // The incident moved on, or the move is not the caller's: show why, read it again.
      page.result = {text: () => problemText(error.status, error.problem), error: true};
      await page.afterMove(incident.id);
      return;
    }
    // Words made when shown: a switch of language redraws them.
    const to = HANDOFFS.includes(move)
      ? await H.receiverName(context(page), incident, answer) : null;
    page.result = {text: () => (answer.state
      ? t("result.done", {action: t(`action.${move}`), id: incident.id,
                          state: t(`state.${answer.state}`), version: answer.version})
      : to ? t("result.handoff-to", {action: t(`action.${move}`), id: incident.id, to})
        : t("result.handoff", {action: t(`action.${move}`), id: incident.id}))};
    await page.afterMove(incident.id);
  }

  // The problem in words: a stale version says what the incident is now; a known code
  // says what to mend; else what the status means. Then the server's own words.
  function problemText(status, problem) {
    const lines = [];
    const known = gridgovI18n.problem({code: problem.code});
    if (status === 409 && problem.current_version) {
      lines.push(t("problem.409-stale", {state: t(`state.${problem.current_state}`),
                                         version: problem.current_version}));
    } else if (known) {
      lines.push(known);
    } else {
      const key = `problem.${status}`;
      lines.push(t(key) === key ? t("problem.other") : t(key));
    }
    lines.push(`${status} ${problem.title || ""}: ${problem.detail || ""}`);
    if (Array.isArray(problem.allowed)) {
      const allowed = problem.allowed.map((name) => t(`action.${name}`)).join("、");
      lines.push(t("problem.allowed", {list: allowed || t("problem.nothing")}));
    }
    return lines.join("\n");
  }

  C.actions = {render};
})();
