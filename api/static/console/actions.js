/* The console's moves on an incident (/console): the lifecycle actions the API says the
 * caller may make now (`allowed_actions`), the hand-offs (escalate, assign, refer) for
 * those who may hand off, and signing or returning a hand-off addressed to the caller's
 * unit. Each move sends the version the page read: if someone moved the incident
 * meanwhile, the API's 409 is shown and the incident is read again.
 */
(function () {
  "use strict";

  const C = window.gridgovConsole;
  const {t} = window.gridgovI18n;
  const {element} = window.gridgovSession;

  // The moves whose reason is required (grid/incidents/workflow.py needs_reason).
  const NEEDS_REASON = ["return", "rework", "suspend", "void", "return-handoff"];
  // Suggestions for the handling unit (free text in the API).
  const UNITS = ["综治中心", "环卫所", "城管执法中队", "市政设施维护所", "交通设施维护所",
                 "园林绿化所", "村（居）保洁队", "村（居）委会", "村（居）调委会", "司法所",
                 "安全生产办", "应急管理办", "消防工作站", "市场监管所", "网格员"];
  const PLATFORMS = ["grid", "enforcement", "market_supervision", "convenience"];
  const HANDOFFS = ["escalate", "assign", "refer"];

  // --- which moves ---------------------------------------------------------------------

  function assignTargets(incident) {
    const owner = incident.owner.code;
    return incident.chain.filter((area) => area.code.length > owner.length
      && area.code.length <= 12 && area.code.startsWith(owner));
  }

  function movesOf(page, incident) {
    const moves = [...incident.allowed_actions];
    const pending = C.detail.pendingHandoff(incident);
    const open = !C.FINAL.includes(incident.state);
    if (page.me.permissions.includes("incidents:hand-off") && open && !pending) {
      if (incident.owner.level !== "city") moves.push("escalate");
      if (assignTargets(incident).length) moves.push("assign");
      moves.push("refer");
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

  function moveFields(incident, move) {
    if (move === "dispatch") {
      const units = [...new Set([incident.handler_unit, ...UNITS].filter(Boolean))];
      return [labelled("input.unit", input("handler_unit", {required: true, maxLength: 100,
                                                             autocomplete: "off"})),
              datalist("console-units", units)];
    }
    if (move === "evaluate") {
      const stars = [5, 4, 3, 2, 1].map((n) => [n, "★".repeat(n)]);
      return [labelled("input.rating", select("rating", stars))];
    }
    if (move === "merge") {
      return [labelled("input.into", input("into", {type: "number", min: 1, required: true})),
              datalist("console-duplicates", incident.duplicate_candidates.map(String))];
    }
    if (move === "assign") {
      return [labelled("input.to_code", select("to_code", assignTargets(incident)
        .map((area) => [area.code, `${area.name}（${t(`level.${area.level}`)}）`])))];
    }
    if (move === "refer") {
      return [labelled("input.platform", select("to_platform", PLATFORMS.map((p) => [
        p, t(`platform.${p}`)]))),
              labelled("input.department", input("to_department", {maxLength: 100}))];
    }
    return [];
  }

  function moveForm(page, incident, move, close) {
    const form = document.createElement("form");
    form.dataset.action = move;
    form.append(...moveFields(incident, move));
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
        await send(page, incident, move, new FormData(form), error);
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  // --- sending -------------------------------------------------------------------------

  function request(incident, move, data) {
    const reason = (data.get("reason") || "").trim();
    const base = `/incidents/${incident.id}`;
    const pending = C.detail.pendingHandoff(incident);
    if (move === "sign") return [`${base}/handoffs/${pending.id}/sign`, {}];
    if (move === "return-handoff") return [`${base}/handoffs/${pending.id}/return`, {reason}];
    if (HANDOFFS.includes(move)) {
      const body = {kind: move, version: incident.version, reason};
      if (move === "assign") body.to_code = data.get("to_code");
      if (move === "refer") {
        body.to_platform = data.get("to_platform");
        if ((data.get("to_department") || "").trim()) {
          body.to_department = data.get("to_department").trim();
        }
      }
      return [`${base}/handoffs`, body];
    }
    const body = {version: incident.version};
    if (reason) body.reason = reason;
    if (move === "dispatch") body.handler_unit = data.get("handler_unit").trim();
    if (move === "evaluate") body.rating = Number(data.get("rating"));
    if (move === "merge") body.into = Number(data.get("into"));
    return [`${base}/actions/${move}`, body];
  }

  async function send(page, incident, move, data, formError) {
    const [path, body] = request(incident, move, data);
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
    page.result = {text: () => (answer.state
      ? t("result.done", {action: t(`action.${move}`), id: incident.id,
                          state: t(`state.${answer.state}`), version: answer.version})
      : t("result.handoff", {action: t(`action.${move}`), id: incident.id}))};
    await page.afterMove(incident.id);
  }

  function problemText(status, problem) {
    const lines = [];
    if (status === 409 && problem.current_version) {
      lines.push(t("problem.409-stale", {state: t(`state.${problem.current_state}`),
                                         version: problem.current_version}));
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
