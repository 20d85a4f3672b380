/* The dispatcher assigns a team on a map (issue 13 §9): the case's point and the nearest
 * teams qualified for its matter and not recused from it (GET /enforcement/teams/nearest
 * with `case`: metres on the WGS 84 spheroid, enforcement/teams/dispatch.py), with their
 * availability (GET /enforcement/teams/{id}: free or busy, and on what), and 派遣: the
 * team's members offered (GET /enforcement/teams/{id}/crew?case=: who holds a valid 执法证
 * for the matter, who may not be sent and why), those who qualify ticked, and the move
 * `dispatch` (POST /enforcement/cases/{id}/actions/dispatch with the case's version and the
 * team's status version read): the team busy on the case and the ticked members its
 * officers (行政处罚法第四十二条: at least two). A refusal (a team taken meanwhile, too
 * few officers) is shown in words in the form.
 *
 * Leaflet is the vendored one (/static/vendor/leaflet), loaded once when a case is opened;
 * without a TILE_URL the map shows the points and their distances on a blank ground.
 */
import * as i18n from "../../i18n.js";
import {t} from "../../i18n.js";
import {localise} from "../../leaflet-words.js";
import {element} from "../../session.js";

i18n.add(Object.fromEntries(Object.entries({
  "eteams.title": ["派遣执法队伍", "Dispatch a team"],
  "eteams.no-point": ["案件没有位置，无法查找附近队伍", "The case has no location"],
  "eteams.loading": ["正在查找最近的合格队伍…", "Finding the nearest qualified teams…"],
  "eteams.none": ["附近没有在岗且具备该事项资格的队伍", "No qualified team on duty nearby"],
  "eteams.name": ["队伍", "Team"], "eteams.distance": ["距离", "Distance"],
  "eteams.state": ["状态", "Availability"], "eteams.members": ["在岗人数", "On duty"],
  "eteams.free": ["空闲", "free"], "eteams.busy": ["忙碌", "busy"],
  "eteams.busy-here": ["已派遣本案", "on this case"],
  "eteams.dispatch": ["派遣", "Dispatch"],
  "eteams.done": ["已派遣「{team}」办理案件 #{id}：{officers}",
                  "{team} dispatched to case #{id}: {officers}"],
  "eteams.crew": ["派遣「{team}」：选择执法人员", "Dispatch {team}: choose the officers"],
  "eteams.least": ["执法人员不得少于 {least} 人（{citation}）",
                   "At least {least} officers ({citation})"],
  "eteams.confirm": ["确认派遣", "Dispatch"],
  "eteams.crew-loading": ["正在读取队员…", "Reading the members…"],
  "problem.code.team_too_few_officers": ["该队伍持有效执法证、可办理本案的队员不足两人，不能派遣",
                                         "The team has fewer than two members who may act on "
                                         + "this case"],
  "problem.code.two_officers_required": ["执法人员不得少于两人，请至少选择两名",
                                         "Choose at least two officers"],
  "problem.code.team_not_qualified": ["该队伍不具备本案执法事项的资格",
                                      "The team is not qualified for the case's matter"],
  "problem.code.officer_not_in_team": ["所选人员不是该队伍的在岗队员",
                                       "Someone chosen is not an active member of the team"],
  "problem.code.officer_credential_invalid": ["所选人员的执法证无效或已过期",
                                              "Someone chosen holds no valid credential"],
  "problem.code.officer_recused": ["所选人员须回避本案", "Someone chosen is recused"],
  "problem.code.team_busy": ["该队伍正在办理其他任务", "The team is busy with other work"],
  "eteams.matter": ["按执法事项 {matter} 筛选合格队伍", "Teams qualified for matter {matter}"],
  "eteams.case": ["案件位置", "The case"],
}).map(([key, [zh, en]]) => [key, {zh, en}])));

const SUBJECT = "enforcement_case";

function metres(distance) {
  return distance >= 1000 ? `${(distance / 1000).toFixed(1)} 公里` : `${Math.round(distance)} 米`;
}

let leaflet = null;  // the promise of the vendored Leaflet, once per page

function loadLeaflet(staticBase) {
  if (typeof L !== "undefined") return Promise.resolve();
  if (!leaflet) {
    const style = document.createElement("link");
    Object.assign(style, {rel: "stylesheet", href: `${staticBase}/vendor/leaflet/leaflet.css`});
    document.head.append(style);
    leaflet = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = `${staticBase}/vendor/leaflet/leaflet.js`;
      script.onload = resolve;
      script.onerror = reject;
      document.head.append(script);
    });
  }
  return leaflet;
}

// The nearest teams (busy ones too, to show availability) and each one's status.
async function nearest(page, subject) {
  const [lon, lat] = subject.location;
  const query = new URLSearchParams({lon, lat, case: subject.id, include_busy: "true",
                                     limit: "5"});
  const found = await page.session.getJSON(`/enforcement/teams/nearest?${query}`);
  const teams = await Promise.all(found.items.map(
    (item) => page.session.getJSON(`/enforcement/teams/${item.team_id}`)
      .then((team) => ({...item, team}))));
  return {found, teams};
}

function stateWords(team, subject) {
  if (team.status !== "busy") return t("eteams.free");
  const here = team.busy_with && team.busy_with.subject_type === SUBJECT
    && team.busy_with.subject_id === subject.id;
  return here ? t("eteams.busy-here") : t("eteams.busy");
}

function refusal(error) {
  const known = error.problem ? i18n.problem(error.problem) : "";
  return known || `${t("problem.other")}: ${error.message}`;
}

function memberBox(member) {
  const check = document.createElement("input");
  Object.assign(check, {type: "checkbox", name: "officer_ids", value: member.user_id,
                        checked: member.qualifies, disabled: !member.qualifies});
  const label = document.createElement("label");
  label.dataset.member = member.user_id;
  const why = member.why_not_label ? `（${member.why_not_label}）` : "";
  label.append(check, element("span", `${member.name}${why}`));
  return label;
}

// The move: the ticked members (none ticked: the server sends every one who qualifies).
async function send(page, subject, near, form, crew) {
  const chosen = new FormData(form).getAll("officer_ids").map(Number);
  const body = {version: subject.version, team_id: near.team_id,
                team_version: near.team.status_version};
  if (chosen.length) body.officer_ids = chosen;
  await page.session.postJSON(`/enforcement/cases/${subject.id}/actions/dispatch`, body);
  const sent = chosen.length ? chosen : crew.default;
  const names = crew.members.filter((m) => sent.includes(m.user_id)).map((m) => m.name);
  page.result = {text: () => t("eteams.done", {team: near.name || near.team.name,
                                                id: subject.id, officers: names.join("、")})};
  await page.afterMove(subject.id);
}

// 派遣's form: the team's members, those who may be sent ticked, the law's least.
async function crewForm(page, subject, near, holder) {
  const team = near.name || near.team.name;
  holder.replaceChildren(element("p", t("eteams.crew-loading")));
  let crew;
  try {
    crew = await page.session.getJSON(
      `/enforcement/teams/${near.team_id}/crew?case=${subject.id}`);
  } catch (error) {
    holder.replaceChildren(element("p", refusal(error)));
    return;
  }
  const form = document.createElement("form");
  form.className = "console-dispatch-form";
  form.dataset.team = near.team_id;
  const box = document.createElement("div");
  box.className = "console-choices console-crew";
  box.append(...crew.members.map(memberBox));
  const error = element("p", "");
  error.className = "console-form-error console-error";
  error.setAttribute("role", "alert");
  const submit = element("button", t("eteams.confirm"));
  submit.type = "submit";
  form.append(element("strong", t("eteams.crew", {team})),
              element("p", t("eteams.least", {least: crew.least, citation: crew.citation})),
              box, error, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await send(page, subject, near, form, crew);
    } catch (failure) {
      error.textContent = refusal(failure);
      submit.disabled = false;
    }
  });
  holder.replaceChildren(form);
}

function table(page, subject, teams, holder) {
  const node = document.createElement("table");
  node.className = "console-teams";
  const head = document.createElement("tr");
  head.append(...["eteams.name", "eteams.distance", "eteams.state", "eteams.members", ""]
    .map((key) => element("th", key ? t(key) : "")));
  node.append(head);
  // 派遣 is a move of the case: offered when the caller may make it (the case unit's
  // 派遣员 or 负责人, enforcement/cases/workflow.py).
  const dispatcher = (subject.actions || []).some(
    (move) => (typeof move === "string" ? move : move.name) === "dispatch");
  for (const near of teams) {
    const row = document.createElement("tr");
    row.dataset.team = near.team_id;
    row.dataset.status = near.team.status;
    const action = document.createElement("td");
    if (dispatcher && near.team.status !== "busy") {
      const button = element("button", t("eteams.dispatch"));
      button.type = "button";
      button.className = "console-dispatch";
      button.addEventListener("click", () => crewForm(page, subject, near, holder));
      action.append(button);
    }
    row.append(element("td", near.name || near.team.name), element("td", metres(near.distance_m)),
               element("td", stateWords(near.team, subject)),
               element("td", String(near.team.on_duty_members)), action);
    node.append(row);
  }
  return node;
}

function draw(page, mapNode, subject, teams) {
  if (page.teamMap) page.teamMap.remove();
  const [lon, lat] = subject.location;
  const map = L.map(mapNode, {attributionControl: Boolean(page.options.tileUrl),
                              zoomAnimation: false, fadeAnimation: false,
                              markerZoomAnimation: false}).setView([lat, lon], 14);
  page.teamMap = map;
  localise(map);
  if (page.options.tileUrl) {
    L.tileLayer(page.options.tileUrl, {attribution: page.options.tileAttribution,
                                       maxZoom: 19}).addTo(map);
  }
  const points = [[lat, lon]];
  L.circleMarker([lat, lon], {radius: 9, color: "#b00020", fillOpacity: 0.8}).addTo(map)
    .bindTooltip(() => element("span", `${t("eteams.case")} #${subject.id}`));
  for (const near of teams) {
    const [x, y] = near.position.coordinates;
    points.push([y, x]);
    const busy = near.team.status === "busy";
    L.circleMarker([y, x], {radius: 7, color: busy ? "#777" : "#1d3557",
                            fillOpacity: 0.8}).addTo(map)
      .bindTooltip(() => element("span", `${near.name || near.team.name} · ${
        metres(near.distance_m)} · ${stateWords(near.team, subject)}`));
  }
  if (points.length > 1) map.fitBounds(points, {padding: [20, 20], maxZoom: 16, animate: false});
}

// The section: drawn empty now, filled when Leaflet and the teams have come.
function section(page, subject) {
  const node = document.createElement("section");
  node.className = "console-teams-section";
  node.append(element("h3", t("eteams.title")));
  const status = element("p", "");
  status.setAttribute("role", "status");
  node.append(status);
  if (!subject.location) {
    status.textContent = t("eteams.no-point");
    return node;
  }
  status.textContent = t("eteams.loading");
  const mapNode = document.createElement("div");
  mapNode.className = "console-map console-team-map";
  node.append(mapNode);
  const staticBase = page.options.staticBase || "/static";
  Promise.all([loadLeaflet(staticBase), nearest(page, subject)]).then(([, {found, teams}]) => {
    if (page.subject !== subject) return;  // another case (or a newer read) is shown
    status.textContent = teams.length
      ? (found.matter ? t("eteams.matter", {matter: found.matter}) : "") : t("eteams.none");
    const holder = document.createElement("div");
    holder.className = "console-dispatch-crew";
    node.append(table(page, subject, teams, holder), holder);
    draw(page, mapNode, subject, teams);
    node.dataset.loaded = String(teams.length);
  }).catch((error) => page.showError(status, error));
  return node;
}

export {section};
