/* The officer's team (综合执法, issue 13 §8): for each of his enforcement units that is a
 * team (执法中队, 综合行政执法队), its state from GET /api/v1/enforcement/teams/{id} — on
 * duty or not, free or busy, where it is (the on-duty members' fixes, else its seat); and
 * the teams on duty nearest to him (GET /api/v1/enforcement/teams/nearest), drawn on the
 * app's map with their distance in metres.
 */
import * as i18n from "../../i18n.js";
import {ApiError, element} from "../../session.js";
import {currentFix, sendFix} from "../../field/photos.js";
import {credentialCard, enforcementMemberships} from "./common.js";

const t = i18n.t;
i18n.add({
  "team.mine": {zh: "我的队伍", en: "My team"},
  "team.notATeam": {zh: "{unit}：不是执法中队，没有在岗状态", en: "{unit}: not a team"},
  "team.onDuty": {zh: "在岗 {n} 人", en: "{n} on duty"},
  "team.offDuty": {zh: "不在岗", en: "off duty"},
  "team.free": {zh: "空闲", en: "free"},
  "team.busy": {zh: "执行任务中", en: "busy"},
  "team.at": {zh: "位置：{source}，{when}", en: "Position: {source}, {when}"},
  "team.members": {zh: "队员定位", en: "members' fixes"},
  "team.seat": {zh: "驻地", en: "seat"},
  "team.nearest": {zh: "附近在岗队伍", en: "Teams on duty nearby"},
  "team.distance": {zh: "{name}：{m} 米", en: "{name}: {m} m"},
  "team.noFix": {zh: "无法定位，不能查找附近队伍", en: "No position: cannot find teams nearby"},
  "team.none": {zh: "附近没有在岗队伍", en: "No team on duty nearby"},
  "team.loadFailed": {zh: "加载失败：{detail}", en: "Could not load: {detail}"},
});

async function mount(app, panel, {memberships}) {
  const units = enforcementMemberships(memberships);
  const view = {app, panel, units, layer: L.layerGroup()};
  view.mine = document.createElement("ul");
  view.near = document.createElement("ul");
  view.status = element("p", "");
  view.status.setAttribute("role", "status");
  panel.append(...units.map(credentialCard), element("h2", t("team.mine")), view.mine,
               element("h2", t("team.nearest")), view.status, view.near);
  return {
    open: () => { view.layer.addTo(app.map); load(view); },
    close: () => view.layer.remove(),
    unmount: () => view.layer.remove(),
  };
}

async function load(view) {
  view.layer.clearLayers();
  const mine = await Promise.all(view.units.map((m) => teamOf(view, m)));
  view.mine.replaceChildren(...mine);
  await nearest(view);
  view.panel.dataset.loaded = "true";
}

async function teamOf(view, membership) {
  try {
    const team = (await view.app.fetchJSON(`/enforcement/teams/${membership.unit_id}`)).body;
    const facts = [team.on_duty ? t("team.onDuty", {n: team.on_duty_members}) : t("team.offDuty"),
                   t(team.status === "busy" ? "team.busy" : "team.free")];
    const item = element("li", `${team.name}：${facts.join(" · ")}`);
    if (team.position) {
      const [lon, lat] = team.position.coordinates;
      item.append(element("small", ` ${t("team.at", {
        source: t(team.position_source === "members" ? "team.members" : "team.seat"),
        when: team.position_at ? new Date(team.position_at).toLocaleTimeString("zh-CN") : ""})}`));
      L.circleMarker([lat, lon], {radius: 8, color: "#1d3557"}).bindTooltip(team.name)
        .addTo(view.layer);
    }
    return item;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return element("li", t("team.notATeam", {unit: membership.unit_name}));
    }
    return element("li", t("team.loadFailed", {detail: error.message}));
  }
}

async function nearest(view) {
  const fix = await currentFix();
  await sendFix(view.app.session, fix);
  if (!fix) {
    view.status.textContent = t("team.noFix");
    view.near.replaceChildren();
    return;
  }
  try {
    const found = (await view.app.fetchJSON(
      `/enforcement/teams/nearest?lon=${fix.lon}&lat=${fix.lat}&limit=5`)).body;
    view.status.textContent = found.items.length ? "" : t("team.none");
    view.near.replaceChildren(...found.items.map((team) => {
      const [lon, lat] = team.position.coordinates;
      L.circleMarker([lat, lon], {radius: 6, color: "#e76f51"}).bindTooltip(team.name || "")
        .addTo(view.layer);
      return element("li", t("team.distance", {name: team.name || `#${team.team_id}`,
                                               m: Math.round(team.distance_m)}));
    }));
  } catch (error) {
    view.status.textContent = t("team.loadFailed", {detail: error.message});
  }
}

export {mount};
