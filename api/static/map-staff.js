/* Today's patrol tracks on the map (map.js part), for those who may read patrols: an
 * overlay in the layer control, beside the workers' latest positions (the `staff` vector
 * tiles, map-tiles.js). When it is on, the tracks crossing the view come from
 * GET /patrols/tracks?bbox= (the workers of the user's territory, patrols started today),
 * read again when the map moves out of what was read, and drawn as lines with the worker's
 * name, the length and the times.
 */
import * as i18n from "./i18n.js";
import {t} from "./i18n.js";
import * as mapPage from "./map.js";
import {element, LoginRequired} from "./session.js";

const WORDS = {
  "staff.tracks": ["今日巡查轨迹", "Today's patrol tracks"],
  "staff.track": ["{name} 巡查 {km} 公里，{from}–{to}", "{name}: {km} km, {from}–{to}"],
  "staff.walking": ["进行中", "on patrol"],
};
i18n.add(Object.fromEntries(Object.entries(WORDS).map(([key, [zh, en]]) => [key, {zh, en}])));

const TRACK_STYLE = {color: "#1d4ed8", weight: 3, opacity: 0.8, dashArray: "6 4",
                     className: "gridgov-track"};
const LIMIT = 300;
const CLOCK = new Intl.DateTimeFormat("zh-CN", {timeZone: "Asia/Shanghai", hour: "2-digit",
                                                minute: "2-digit", hour12: false});

function start(page) {
  const group = L.layerGroup();
  page.staff = {group, loaded: null, ticket: 0, shown: false};
  page.map.on("overlayadd", (event) => {
    if (event.layer === group) load(page);
  });
  page.map.on("moveend", () => {
    if (page.map.hasLayer(group)) load(page);
  });
}

function open(page, view) {
  if (!view.me.permissions.includes("patrols:read") || view.me.user.role === "grid_worker") {
    return;
  }
  mapPage.addOverlay(page, page.staff.group, () => t("staff.tracks"));
  page.staff.shown = true;
}

function close(page) {
  const state = page.staff;
  if (!state) return;
  state.ticket++;
  state.loaded = null;
  state.group.clearLayers();
  if (state.shown) mapPage.removeOverlay(page, state.group);
  page.map.removeLayer(state.group);
  state.shown = false;
}

// The tracks of the view (with a margin), unless those read cover it.
async function load(page) {
  const state = page.staff;
  const view = page.map.getBounds();
  if (state.loaded?.contains(view)) return;
  const bounds = view.pad(0.25);
  const ticket = ++state.ticket;
  // Within the world's degrees: a map zoomed far out shows more than one world.
  const clamp = (value, most) => Math.max(-most, Math.min(most, value)).toFixed(6);
  const bbox = [clamp(bounds.getWest(), 180), clamp(bounds.getSouth(), 90),
                clamp(bounds.getEast(), 180), clamp(bounds.getNorth(), 90)].join(",");
  try {
    const tracks = await page.session.getJSON(
      `/patrols/tracks?${new URLSearchParams({bbox, limit: LIMIT})}`);
    if (ticket !== state.ticket) return;
    state.loaded = tracks.truncated ? null : bounds;
    draw(page, tracks);
  } catch (error) {
    if (!(error instanceof LoginRequired) && ticket === state.ticket) {
      state.group.clearLayers();
    }
  }
}

function draw(page, tracks) {
  const state = page.staff;
  state.group.clearLayers();
  const lines = L.geoJSON(tracks, {
    style: () => TRACK_STYLE,
    onEachFeature(feature, layer) {
      // An element, not a string: Leaflet would read a string as HTML.
      layer.bindTooltip(() => element("span", describe(feature.properties)), {sticky: true});
    },
  });
  state.group.addLayer(lines);
  // How many are drawn, and whether the cap cut them (the newest first are kept).
  document.body.dataset.patrolTracks = String(tracks.features.length);
  document.body.dataset.patrolTracksTruncated = String(tracks.truncated);
}

function describe(track) {
  return t("staff.track", {
    name: track.worker_name, km: (track.distance_m / 1000).toFixed(2),
    from: CLOCK.format(new Date(track.started_at)),
    to: track.ended_at ? CLOCK.format(new Date(track.ended_at)) : t("staff.walking")});
}

mapPage.use({start, open, close});
