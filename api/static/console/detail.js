/* The console's incident detail (/console): fields, area chain, deadline, a small map,
 * its clocks and linked subjects (clocks.js), photos, possible duplicates, the timeline and
 * the hand-offs; the moves are moves.js's (console/actions.js). Units are shown by name: the holder, the
 * handling unit (and the member named), the hand-offs' senders and receivers.
 *
 * Photos need the bearer token, which an <img> cannot send: each is fetched as a blob and
 * shown through an object URL, kept while the same incident is open and revoked after.
 */
import {t} from "../i18n.js";
import {element} from "../session.js";
import {localise} from "../leaflet-words.js";
import * as moves from "../moves.js";
import * as U from "../units.js";
import * as C from "./parts.js";
import {result as resultLine, section, versionAndPrint, timeline} from "./sections.js";


// --- opening one ---------------------------------------------------------------------

async function open(page, id) {
  const ticket = ++page.detailTicket;
  if (id !== page.selected) forgetPhotos(page);
  page.selected = id;
  C.queue.markSelected(page);
  page.nodes.detailEmpty.hidden = true;
  const url = new URL(window.location.href);
  url.searchParams.set("incident", id);
  window.history.replaceState(null, "", url);
  try {
    const incident = await page.session.getJSON(`/incidents/${id}`);
    const receiving = await moves.receivingHandoff({session: page.session, me: page.me},
                                                   incident);
    if (ticket !== page.detailTicket) return null;
    page.receiving = receiving;
    render(page, incident);
    return incident;
  } catch (error) {
    if (ticket === page.detailTicket) {
      page.incident = null;
      dropMap(page);
      const message = element("p", "");
      page.nodes.incident.replaceChildren(message);
      page.nodes.incident.hidden = false;
      page.showError(message, error);
    }
    return null;
  }
}

function clear(page) {
  page.detailTicket++;
  page.incident = null;
  page.selected = null;
  forgetPhotos(page);
  dropMap(page);
  page.nodes.incident.replaceChildren();
  page.nodes.incident.hidden = true;
  page.nodes.detailEmpty.hidden = false;
  delete document.body.dataset.incident;
}

// --- drawing -------------------------------------------------------------------------

function render(page, incident) {
  page.incident = incident;
  const article = page.nodes.incident;
  const result = resultLine(page);
  const actions = document.createElement("section");
  actions.className = "console-actions";
  const mapNode = mapNodeFor(page, incident);
  const columns = document.createElement("div");
  columns.className = "console-columns";
  columns.append(fields(page, incident), mapNode);
  article.replaceChildren(
    head(incident), ...handoffNote(page, incident), result,
    section("section.actions", actions), columns,
    section("section.clocks", C.clocks.clocks(incident)),
    section("section.links", C.clocks.links(page, incident)),
    section("section.photos", photos(page, incident)),
    section("section.duplicates", duplicates(page, incident)),
    section("section.timeline", timeline(incident.timeline)),
    section("section.handoffs", handoffTable(incident)));
  article.hidden = false;
  C.actions.render(page, incident, actions);
  if (page.map) page.map.invalidateSize();
  else drawMap(page, incident, mapNode);
  // For the tests and the screenshots: which incident, at which version, is shown.
  document.body.dataset.incident = `${incident.id}:${incident.version}:${incident.state}`;
}

function head(incident) {
  const node = document.createElement("header");
  node.className = "console-incident-head";
  const state = element("span", t(`state.${incident.state}`));
  state.className = "console-state";
  state.dataset.state = incident.state;
  const deadline = element("span", t(`deadline.${incident.deadline}`));
  deadline.className = `console-deadline console-${incident.deadline}`;
  const onMap = element("a", t("detail.map-link"));
  onMap.className = "console-on-map";
  // The map opens at its grid with its card (map-panel.js: ?incident=).
  onMap.href = `/map/${incident.grid.code}?incident=${incident.id}`;
  node.append(element("h2", `#${incident.id} ${incident.category.name}（${incident.category.code}）`),
              state, deadline, ...versionAndPrint(incident.version), onMap);
  return node;
}

function addressedToMe(page, handoff) {
  return Boolean(handoff) && page.receiving === handoff.id;
}

function handoffNote(page, incident) {
  const pending = moves.pendingHandoff(incident);
  if (!pending) return [];
  const mine = addressedToMe(page, pending);
  const note = element("p", mine ? t("handoff.pending-mine")
    : t("handoff.pending-other", {to: unitName(incident, pending.to_unit_name,
                                               pending.to_code)}));
  note.className = "console-handoff-note";
  return [note];
}

function areaName(incident, code) {
  const link = incident.chain.find((area) => area.code === code);
  return link ? `${link.name}（${code}）` : code;
}

// A unit by its name; the area it sits at when it has none (a row from before units).
function unitName(incident, name, code) {
  return name || areaName(incident, code);
}

function fields(page, incident) {
  const list = document.createElement("dl");
  list.className = "console-fields";
  const owner = incident.owner;
  const rows = [
    ["field.category", `${incident.category.code} ${incident.category.name}`],
    ["field.urgency", t(`urgency.${incident.urgency}`)],
    ["field.source", t(`source.${incident.source}`)],
    ["field.description", incident.description],
    ["field.address", incident.address || "—"],
    ["field.chain", incident.chain.map((area) => area.name).join(" › ")],
    ["field.reported_at", C.formatTime(incident.reported_at)],
    ["field.filed_at", C.formatTime(incident.filed_at)],
    ["field.step", incident.step ? t(`step.${incident.step}`) : "—"],
    ["field.due", C.formatTime(incident.step_due_at)],
    ["field.left", timeLeft(incident)],
    ["field.owner", [unitName(incident, owner.unit_name, owner.code),
                     `${owner.name || owner.code}（${t(`level.${owner.level}`)}）`,
                     t(`platform.${owner.platform}`)].join(" · ")],
    ["field.handler", incident.handler_unit ? incident.handler_unit.name : "—"],
    ["field.rework", String(incident.rework_count)],
    ["field.escalations", String(incident.escalation_count)],
  ];
  if (incident.closed_at) rows.push(["field.closed_at", C.formatTime(incident.closed_at)]);
  if (incident.rating) rows.push(["field.rating", "★".repeat(incident.rating)]);
  if (incident.warnings.length) rows.push(["field.warnings", incident.warnings.join("; ")]);
  for (const [key, value] of rows) {
    const term = element("dt", t(key));
    term.dataset.i18n = key;
    const definition = element("dd", value);
    definition.dataset.field = key.split(".")[1];
    if (key === "field.left") definition.title = t("left.title");
    list.append(term, definition);
  }
  nameTheHandler(page, incident, list.querySelector("dd[data-field=handler]"));
  return list;
}

// The member named at dispatch, after the unit, once the unit's list says who it is.
function nameTheHandler(page, incident, node) {
  if (!incident.handler_unit || !incident.handler_user_id) return;
  const context = {session: page.session, me: page.me};
  U.memberName(context, incident.handler_unit.id, incident.handler_user_id)
    .then((name) => {
      if (name) node.append(element("span", ` · ${t("field.handler-user", {name})}`));
    });
}

// The API gives the step's due instant on the working calendar; the time until it is
// shown in calendar time (the API does not say how many working hours are left).
function timeLeft(incident) {
  if (!incident.step_due_at) return t("left.none");
  const ms = new Date(incident.step_due_at) - Date.now();
  return t(ms >= 0 ? "left.in" : "left.over", {t: C.formatDuration(ms)});
}

function duplicates(page, incident) {
  const list = document.createElement("p");
  list.className = "console-duplicates";
  if (!incident.duplicate_candidates.length) list.textContent = t("duplicates.none");
  for (const id of incident.duplicate_candidates) {
    const link = element("a", `#${id}`);
    link.href = `?incident=${id}`;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      page.openIncident(id);
    });
    list.append(link, " ");
  }
  return list;
}

function handoffTable(incident) {
  if (!incident.handoffs.length) return element("p", "—");
  const table = document.createElement("table");
  table.className = "console-handoffs";
  const head = document.createElement("tr");
  head.append(...["kind", "route", "status", "reason", "sent", "answered"].map((name) => {
    const cell = element("th", t(`handoffs.${name}`));
    cell.scope = "col";
    return cell;
  }));
  const thead = document.createElement("thead");
  thead.append(head);
  table.append(thead);
  for (const handoff of incident.handoffs) {
    const row = document.createElement("tr");
    row.dataset.status = handoff.status;
    const from = unitName(incident, handoff.from_unit_name, handoff.from_code);
    const to = unitName(incident, handoff.to_unit_name, handoff.to_code);
    const target = handoff.to_platform === handoff.from_platform ? to
      : `${to} · ${t(`platform.${handoff.to_platform}`)}`;
    const answered = handoff.answered_by
      ? [handoff.answered_by, C.formatTime(handoff.answered_at), handoff.answer_reason]
        .filter(Boolean).join(" ")
      : "";
    row.append(element("td", t(`action.${handoff.kind}`)),
               element("td", `${from} → ${target}`),
               element("td", t(`handoff.status.${handoff.status}`)),
               element("td", handoff.reason || ""),
               element("td", `${handoff.created_by} ${C.formatTime(handoff.created_at)}`),
               element("td", answered));
    table.append(row);
  }
  return table;
}

// --- photos --------------------------------------------------------------------------

function photos(page, incident) {
  const strip = document.createElement("div");
  strip.className = "console-photos";
  if (!incident.photos.length) strip.textContent = t("photos.none");
  for (const photo of incident.photos) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "console-thumb";
    const image = document.createElement("img");
    image.alt = `${t(`photo.kind.${photo.kind}`)} #${photo.id}`;
    button.append(image, element("span", t(`photo.kind.${photo.kind}`)));
    // Until the worker made a thumbnail, the photo itself is shown small.
    objectUrl(page, photo.thumbnail_url || photo.url)
      .then((src) => { image.src = src; })
      .catch(() => { image.alt = t("photos.failed"); });
    button.addEventListener("click", () => enlarge(page, photo));
    strip.append(button);
  }
  return strip;
}

function objectUrl(page, url) {
  if (!page.photoUrls.has(url)) {
    page.photoUrls.set(url, page.session.objectURL(url));
  }
  return page.photoUrls.get(url);
}

function forgetPhotos(page) {
  for (const promise of page.photoUrls.values()) {
    promise.then((src) => URL.revokeObjectURL(src)).catch(() => {});
  }
  page.photoUrls.clear();
  page.nodes.lightbox.hidden = true;
}

async function enlarge(page, photo) {
  const box = page.nodes.lightbox;
  const image = box.querySelector("img");
  image.alt = `${t(`photo.kind.${photo.kind}`)} #${photo.id}`;
  image.src = await objectUrl(page, photo.url);
  box.hidden = false;
}

// --- the map -------------------------------------------------------------------------

function dropMap(page) {
  if (page.map) page.map.remove();
  page.map = page.mapNode = page.mapOf = null;
}

// The same incident drawn again (after a move, a switch of language) keeps its map: the
// node moves into the new layout; another incident gets a new map.
function mapNodeFor(page, incident) {
  const [lon, lat] = incident.location.coordinates;
  const key = `${incident.id}:${lon}:${lat}`;
  if (page.map && page.mapOf === key) return page.mapNode;
  dropMap(page);
  page.mapOf = key;
  page.mapNode = document.createElement("div");
  page.mapNode.className = "console-map";
  return page.mapNode;
}

// The point, and the grid's outline from the areas API; a basemap only if configured.
function drawMap(page, incident, node) {
  const [lon, lat] = incident.location.coordinates;
  // No animations: a map dropped mid-animation would throw from Leaflet's timers.
  const map = L.map(node, {attributionControl: Boolean(page.options.tileUrl),
                           zoomAnimation: false, fadeAnimation: false,
                           markerZoomAnimation: false}).setView([lat, lon], 16);
  localise(map);
  page.map = map;
  if (page.options.tileUrl) {
    L.tileLayer(page.options.tileUrl, {attribution: page.options.tileAttribution,
                                       maxZoom: 19}).addTo(map);
  }
  L.circleMarker([lat, lon], {radius: 8, color: "#b00020", fillOpacity: 0.8}).addTo(map)
    .bindTooltip(() => element("span", `#${incident.id}`));  // text, never HTML
  page.session.getJSON(`/areas/${incident.grid.code}`).then((grid) => {
    if (page.map !== map) return;
    const outline = L.geoJSON(grid, {style: {color: "#1d3557", weight: 2, fillOpacity: 0.05}})
      .addTo(map);
    map.fitBounds(outline.getBounds(), {maxZoom: 17, animate: false});
  }).catch(() => {});  // the point alone is enough
}

export {open, clear, render};
