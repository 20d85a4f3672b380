/* One incident as a card, with its hand-offs (流转) for those who may hand off: escalate
 * one level up, assign down to a unit below the holder, refer across to a platform, a
 * department or a unit (the form is handoff.js's, shared with the console; its unit lists
 * are units.js's). Used by the marker popups (map-incidents.js) and the side panel
 * (map-panel.js).
 *
 * The hand-off is POST /incidents/{id}/handoffs with the version the card was drawn from:
 * a move made meanwhile by someone else is a 409, shown from the problem's detail like a
 * 403 or a 422. After a hand-off every part hears "changed" and reloads what it shows.
 */
(function () {
  "use strict";

  const {element} = gridgovSession;
  const {t} = gridgovI18n;
  const {label, term, levelLabel} = gridgovMapInfo;

  const FINAL = new Set(["closed", "evaluated", "void", "merged"]);

  function detail(page, id) {
    return page.session.getJSON(`/incidents/${encodeURIComponent(id)}`);
  }

  function deadlineBadge(deadline) {
    const badge = label("span", `deadline.${deadline}`);
    badge.className = `gridgov-badge gridgov-deadline-${deadline}`;
    return badge;
  }

  // The card: what the incident is, where it stands, and the hand-off buttons.
  function card(page, incident, {onFocus} = {}) {
    const box = document.createElement("article");
    box.className = "gridgov-incident-card";
    box.dataset.incident = incident.id;
    const title = element("h3", t("incident.title", {id: incident.id}));
    const facts = document.createElement("dl");
    const owner = incident.owner;
    facts.append(
      term("incident.category"), element("dd", incident.category.name),
      term("incident.state"), element("dd", incident.state_label),
      term("incident.deadline"), wrap("dd", deadlineBadge(incident.deadline)),
      term("incident.owner"), element("dd", owner.unit_name
        ? `${owner.unit_name} · ${owner.name || owner.code} (${levelLabel(owner.level)})`
        : `${owner.name || owner.code} (${levelLabel(owner.level)})`),
      ...(incident.handler_unit ? [term("incident.handler"),
                                   element("dd", incident.handler_unit.name)] : []),
      term("incident.reported"), element("dd", new Date(incident.reported_at).toLocaleString("zh-CN")),
    );
    const text = element("p", incident.description);
    text.className = "gridgov-incident-text";
    const status = element("p", "");
    status.className = "gridgov-action-status";
    status.setAttribute("role", "status");
    box.append(title, facts, text);
    if (onFocus) box.append(button("incident.focus", "gridgov-focus", onFocus));
    if (mayHandOff(page, incident)) box.append(actions(page, incident, box, status));
    box.append(status);
    return box;
  }

  function mayHandOff(page, incident) {
    return page.view?.me?.permissions.includes("incidents:hand-off") && !FINAL.has(incident.state);
  }

  function wrap(tag, child) {
    const node = document.createElement(tag);
    node.append(child);
    return node;
  }

  function button(key, className, onClick) {
    const node = label("button", key);
    node.type = "button";
    node.className = className;
    node.addEventListener("click", onClick);
    return node;
  }

  function actions(page, incident, box, status) {
    const bar = document.createElement("div");
    bar.className = "gridgov-actions";
    for (const kind of gridgovHandoff.kinds(incident)) {
      bar.append(button(`handoff.${kind}`, `gridgov-${kind}`, () => {
        box.querySelector(".gridgov-handoff")?.remove();
        box.insertBefore(form(page, incident, kind, status), status);
      }));
    }
    return bar;
  }

  function context(page) {
    return {session: page.session, me: page.view.me};
  }

  // The shared hand-off form (handoff.js); what it did shows in the card's status line.
  function form(page, incident, kind, status) {
    const box = gridgovHandoff.form(context(page), incident, kind, {
      submitText: t("handoff.send"), onCancel: () => box.remove(),
      onSubmit: (body) => handOff(page, incident, kind, body, status)});
    return box;
  }

  async function handOff(page, incident, kind, body, status) {
    status.classList.remove("gridgov-error");
    delete status.dataset.code;
    try {
      const answer = await page.session.postJSON(`/incidents/${incident.id}/handoffs`, body);
      const to = await gridgovHandoff.receiverName(context(page), incident, answer);
      status.textContent = t("handoff.done", {kind: t(`handoff.${kind}`), to});
      status.closest(".gridgov-incident-card")?.querySelector(".gridgov-handoff")?.remove();
      gridgovMap.emit("changed", page, page.view, {incident: incident.id, handoff: answer});
    } catch (error) {
      if (error instanceof gridgovSession.LoginRequired) return;
      status.classList.add("gridgov-error");
      if (error.problem?.code) status.dataset.code = error.problem.code;
      status.textContent = t("handoff.failed", {
        message: gridgovI18n.problem(error.problem, error.message)});
    }
  }

  window.gridgovMapActions = {card, detail, deadlineBadge};
})();
