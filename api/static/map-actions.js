/* One incident as a card on the map (the marker popups of map-incidents.js, the side panel
 * of map-panel.js): what it is, where, by when, its photos, a link to the console, and
 * exactly the moves the user may make now, from moves.js (shared with the console): the
 * lifecycle moves the API allows, the hand-offs when none is pending, 签收/退回 of a
 * hand-off addressed to the user's unit. The forms open inside the card, on the map.
 *
 * A move's outcome stays on the card until dismissed; the card is then drawn again from
 * the incident's new version, and every part hears "changed" and reloads what it shows.
 */
import {t} from "./i18n.js";
import * as mapPage from "./map.js";
import {label, term, levelLabel} from "./map-info.js";
import * as moves from "./moves.js";
import {LoginRequired, element} from "./session.js";
import {load as loadWorkflow} from "./workflow.js";

const TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hour12: false,
});
const PHOTOS_SHOWN = 3;

function formatTime(iso) {
  return iso ? TIME.format(new Date(iso)).replace(/\//g, "-") : "—";
}

function detail(page, id) {
  return page.session.getJSON(`/incidents/${encodeURIComponent(id)}`);
}

function deadlineBadge(deadline) {
  const badge = label("span", `deadline.${deadline}`);
  badge.className = `gridgov-badge gridgov-deadline-${deadline}`;
  return badge;
}

// The card: what the incident is, where it stands, its photos and the moves.
// `result`: a move's outcome to show (text() made when shown, error or not).
function card(page, incident, {onFocus, result} = {}) {
  const box = document.createElement("article");
  box.className = "gridgov-incident-card";
  box.dataset.incident = incident.id;
  box.dataset.state = incident.state;
  const title = element("h3", t("incident.title", {id: incident.id}));
  const facts = document.createElement("dl");
  const owner = incident.owner;
  const where = `${owner.name || owner.code}（${levelLabel(owner.level)}）`;
  facts.append(
    // The code tells apart two 大类 or 小类 of the same name (B03 and S01 市容环境).
    term("incident.category"), element("dd", `${incident.category.name}（${incident.category.code}）`),
    term("incident.state"), element("dd", incident.state_label),
    term("incident.deadline"), wrap("dd", deadlineBadge(incident.deadline),
                                    ` ${formatTime(incident.step_due_at)}`),
    term("incident.owner"), element("dd", owner.unit_name ? `${owner.unit_name} · ${where}` : where),
    ...(incident.handler_unit ? [term("incident.handler"),
                                 element("dd", incident.handler_unit.name)] : []),
    term("incident.address"), element("dd", incident.address || incident.grid?.name || "—"),
    term("incident.reported"), element("dd", formatTime(incident.reported_at)),
  );
  const text = element("p", incident.description);
  text.className = "gridgov-incident-text";
  const status = statusLine(result);
  const links = document.createElement("p");
  links.className = "gridgov-card-links";
  const toConsole = label("a", "incident.console");
  toConsole.href = `/console?incident=${incident.id}`;
  links.append(toConsole);
  if (onFocus) links.append(" ", button("incident.focus", "gridgov-focus", onFocus));
  const actions = document.createElement("div");
  actions.className = "gridgov-actions";
  box.append(title, facts, text, photos(page, incident), links, status, actions);
  renderMoves(page, incident, box, actions, {onFocus});
  return box;
}

function statusLine(result) {
  const status = document.createElement("p");
  status.className = "gridgov-action-status";
  status.setAttribute("role", "status");
  if (!result) return status;
  if (result.error) status.classList.add("gridgov-error");
  if (result.code) status.dataset.code = result.code;
  const dismiss = label("button", "action.dismiss");
  dismiss.type = "button";
  dismiss.className = "gridgov-dismiss";
  dismiss.addEventListener("click", () => status.replaceChildren());
  status.append(element("span", result.text()), dismiss);
  return status;
}

// The moves, once the workflow and whether a hand-off awaits the user's unit are known.
async function renderMoves(page, incident, box, container, options) {
  const me = page.view?.me;
  if (!me) return;
  try {
    const workflow = await loadWorkflow(page.session, "incident");
    const base = {session: page.session, me, workflow};
    const ctx = {...base, receiving: await moves.receivingHandoff(base, incident)};
    moves.render(ctx, incident, container, {
      onDone: (text) => redraw(page, incident, box, {...options, result: {text}}),
      onRefused: (text, error) => redraw(page, incident, box, {
        ...options, result: {text, error: true, code: error.problem?.code}}),
    });
  } catch (error) {
    if (!(error instanceof LoginRequired)) {
      container.append(element("p", t("error.failed", {message: error.message})));
    }
  }
}

// After a move, done or refused: the card from the incident as it is now, the outcome on
// it; then the other parts (markers, queue, counts) hear of the change.
async function redraw(page, incident, box, options) {
  const fresh = await detail(page, incident.id).catch(() => incident);
  if (box.isConnected) box.replaceWith(card(page, fresh, options));
  mapPage.emit("changed", page, page.view, {incident: incident.id, result: options.result});
}

// The first photos as thumbnails (fetched with the token: an <img> cannot send it).
function photos(page, incident) {
  const strip = document.createElement("div");
  strip.className = "gridgov-card-photos";
  for (const photo of (incident.photos || []).slice(0, PHOTOS_SHOWN)) {
    const img = document.createElement("img");
    img.alt = t("incident.photo");
    img.loading = "lazy";
    const url = photo.thumbnail_url || photo.url;
    if (url) page.session.objectURL(url).then((src) => { img.src = src; }).catch(() => {});
    strip.append(img);
  }
  return strip;
}

function wrap(tag, ...children) {
  const node = document.createElement(tag);
  node.append(...children);
  return node;
}

function button(key, className, onClick) {
  const node = label("button", key);
  node.type = "button";
  node.className = className;
  node.addEventListener("click", onClick);
  return node;
}

export {card, detail, deadlineBadge};
