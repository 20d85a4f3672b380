/* One incident as a card, with its hand-offs (流转) for those who may hand off: escalate
 * one level up, assign down to a township or village that contains it, refer across to
 * another platform or a department. Used by the marker popups (map-incidents.js) and the
 * side panel (map-panel.js).
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
  const PLATFORMS = ["enforcement", "market_supervision", "convenience"];

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
      term("incident.owner"), element("dd", `${owner.name || owner.code} (${levelLabel(owner.level)})`),
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
    for (const kind of ["escalate", "assign", "refer"]) {
      if (kind === "assign" && !assignTargets(incident).length) continue;
      if (kind === "escalate" && !escalateTarget(incident)) continue;
      bar.append(button(`handoff.${kind}`, `gridgov-${kind}`, () => {
        box.querySelector(".gridgov-handoff")?.remove();
        box.insertBefore(form(page, incident, kind, status), status);
      }));
    }
    return bar;
  }

  // One level up: the owner's parent in the incident's area chain (none above a city).
  function escalateTarget(incident) {
    const chain = incident.chain;
    const at = chain.findIndex((area) => area.code === incident.owner.code);
    return at > 0 ? chain[at - 1] : null;
  }

  // Down: the townships and villages of the chain below the owner.
  function assignTargets(incident) {
    const owner = incident.owner.code;
    return incident.chain.filter((area) => area.code.length > owner.length
                                 && area.code.length <= 12 && area.code.startsWith(owner));
  }

  function form(page, incident, kind, status) {
    const box = document.createElement("form");
    box.className = `gridgov-handoff gridgov-handoff-${kind}`;
    const target = targetField(incident, kind);
    const reason = document.createElement("textarea");
    Object.assign(reason, {name: "reason", rows: 2, maxLength: 2000});
    const reasonLabel = wrap("label", label("span", "handoff.reason"));
    reasonLabel.append(reason);
    const send = label("button", "handoff.send");
    send.type = "submit";
    send.className = "gridgov-send";
    const cancel = button("handoff.cancel", "gridgov-cancel", () => box.remove());
    box.append(target, reasonLabel, send, cancel);
    box.addEventListener("submit", async (event) => {
      event.preventDefault();
      send.disabled = true;
      await handOff(page, incident, kind, new FormData(box), status);
      send.disabled = false;
    });
    return box;
  }

  function targetField(incident, kind) {
    const field = wrap("label", label("span", "handoff.target"));
    if (kind === "escalate") {
      field.append(element("strong", escalateTarget(incident).name));
      return field;
    }
    const select = document.createElement("select");
    select.name = kind === "assign" ? "to_code" : "to_platform";
    const options = kind === "assign"
      ? assignTargets(incident).map((area) => [area.code, `${area.name} (${levelLabel(area.level)})`])
      : PLATFORMS.map((platform) => [platform, t(`platform.${platform}`)]);
    for (const [value, text] of options) select.append(Object.assign(element("option", text), {value}));
    field.append(select);
    return field;
  }

  function bodyOf(incident, kind, data) {
    const body = {kind, version: incident.version, reason: (data.get("reason") || "").trim()};
    if (kind === "assign") body.to_code = data.get("to_code");
    if (kind === "refer") body.to_platform = data.get("to_platform");
    return body;
  }

  async function handOff(page, incident, kind, data, status) {
    status.classList.remove("gridgov-error");
    try {
      const answer = await page.session.postJSON(`/incidents/${incident.id}/handoffs`,
                                                 bodyOf(incident, kind, data));
      status.textContent = t("handoff.done", {kind: t(`handoff.${kind}`),
                                              to: targetName(incident, answer)});
      status.closest(".gridgov-incident-card")?.querySelector(".gridgov-handoff")?.remove();
      gridgovMap.emit("changed", page, page.view, {incident: incident.id, handoff: answer});
    } catch (error) {
      if (error instanceof gridgovSession.LoginRequired) return;
      status.classList.add("gridgov-error");
      status.textContent = t("handoff.failed", {message: error.message});
    }
  }

  function targetName(incident, handoff) {
    if (handoff.to_platform && handoff.to_platform !== "grid") return t(`platform.${handoff.to_platform}`);
    return incident.chain.find((area) => area.code === handoff.to_code)?.name || handoff.to_code;
  }

  window.gridgovMapActions = {card, detail, deadlineBadge};
})();
