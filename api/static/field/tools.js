/* The field app's tools follow the user (api/field_tools.py): `GET /api/v1/field/tools`
 * names the tabs his role and memberships grant, in order. The grid worker's tools are the
 * page's own tabs (api/field.py FIELD_BODY, each button with its `data-tool`): shown or
 * hidden. Any other tool (an officer's cases, an inspector's inspections) gets a tab and a
 * panel here, drawn by its module (under /static, precached by the service worker):
 *
 *   export async function mount(app, panel, {tool, memberships}) {
 *     return {open() {}, close() {}, unmount() {}};   // each optional
 *   }
 *
 * `app` is the running field app: app.session (its api), app.fetchJSON, app.flash,
 * app.queue (field/queue.js: offline submissions with an Idempotency-Key), app.map, app.me,
 * app.options.
 */
import * as i18n from "../i18n.js";

const t = i18n.t;

// Shows the granted tools' tabs and mounts the platforms' ones; the first tab's name.
async function apply(app, answer) {
  clear(app);
  app.granted = new Set(answer.tools.map((tool) => tool.key));
  app.memberships = answer.memberships || [];
  document.querySelectorAll(".field-tabs [data-tool]").forEach((button) => {
    button.hidden = !app.granted.has(button.dataset.tool);
  });
  const builtIn = new Set([...document.querySelectorAll(".field-tabs [data-tool]")]
    .map((button) => button.dataset.tool));
  for (const tool of answer.tools) {
    if (builtIn.has(tool.key)) continue;
    await mountTool(app, tool);
  }
  document.querySelector(".field-no-tools").hidden = answer.tools.length > 0;
  const first = answer.tools[0];
  if (!first) return null;
  return document.querySelector(`.field-tabs [data-tool="${first.key}"]`)?.dataset.tab || null;
}

async function mountTool(app, tool) {
  i18n.add({[`tool.${tool.key}`]: {zh: tool.label, en: tool.label_en}});
  const button = document.createElement("button");
  Object.assign(button, {type: "button", textContent: t(`tool.${tool.key}`)});
  Object.assign(button.dataset, {tab: tool.key, tool: tool.key, mounted: "true",
                                 i18n: `tool.${tool.key}`});
  button.addEventListener("click", () => app.showTab(tool.key));
  const panel = document.createElement("section");
  panel.className = "field-panel field-tool-panel";
  Object.assign(panel.dataset, {panel: tool.key, mounted: "true"});
  panel.hidden = true;
  document.querySelector(".field-tabs").append(button);
  document.querySelector("main").append(panel);
  try {
    const module = await import(tool.module);
    app.views.set(tool.key, (await module.mount(app, panel, {
      tool, memberships: app.memberships})) || {});
  } catch (error) {
    console.warn(`field tool ${tool.key}:`, error);
    panel.textContent = t("field.toolFailed", {tool: tool.label});
  }
}

// Every platform tool unmounted, every tab hidden (logged out).
function clear(app) {
  for (const view of app.views.values()) view.unmount?.();
  app.views.clear();
  app.granted = new Set();
  document.querySelectorAll("[data-mounted]").forEach((node) => node.remove());
  document.querySelectorAll(".field-tabs [data-tool]").forEach((button) => { button.hidden = true; });
}

// The tab shown: its view opened, the others closed.
function switched(app, name) {
  for (const [key, view] of app.views) {
    if (key === name) view.open?.();
    else view.close?.();
  }
}

i18n.add({
  "field.toolFailed": {zh: "无法打开：{tool}", en: "Cannot open {tool}"},
  "field.noTools": {zh: "您的岗位暂无外勤工具", en: "No field tools for your position"},
});

export {apply, clear, switched};
