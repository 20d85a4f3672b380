/* The bell: the user's unread notifications on every page, kept up to date, each opening
 * its subject. session.js mounts it beside the account after login (renderAccount), so
 * every page that logs in has it.
 *
 * Live by polling GET /api/v1/inbox?unread=true every POLL_MS while the tab is visible
 * (and at once when it becomes visible again): one indexed count and a short list per
 * poll, no connection held open per user. Opening a notification marks it read
 * (POST /inbox/{id}/read) and goes to its subject's page.
 */
import * as i18n from "./i18n.js";
import {t} from "./i18n.js";
import {LoginRequired, element} from "./session.js";

const POLL_MS = 10_000;
const LIST_LIMIT = 20;

const WORDS = {
  "bell.label": ["通知", "Notifications"],
  "bell.unread": ["{n} 条未读通知", "{n} unread notifications"],
  "bell.empty": ["没有未读通知", "No unread notifications"],
  "bell.read-all": ["全部标为已读", "Mark all read"],
  "bell.failed": ["无法读取通知", "Could not read the notifications"],
};
i18n.add(Object.fromEntries(Object.entries(WORDS).map(([key, [zh, en]]) => [key, {zh, en}])));

// Where a notification's subject is opened, by subject type (the platforms' pages add
// theirs when they have one; a subject without a page opens nothing).
const SUBJECT_PAGES = {
  incident: (id) => `/console?incident=${encodeURIComponent(id)}`,
};

const TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit",
  minute: "2-digit", hour12: false,
});

let running = null;  // one bell per page

function mount(container, session) {
  if (running) running.stop();
  const bell = {session, timer: null, items: [], unread: 0, stopped: false};
  bell.button = element("button", "🔔");
  bell.button.type = "button";
  bell.button.className = "gridgov-bell";
  bell.button.setAttribute("aria-haspopup", "true");
  bell.button.setAttribute("aria-expanded", "false");
  bell.count = element("span", "");
  bell.count.className = "gridgov-bell-count";
  bell.count.hidden = true;
  bell.button.append(bell.count);
  bell.list = document.createElement("div");
  bell.list.className = "gridgov-bell-list";
  bell.list.hidden = true;
  bell.list.setAttribute("role", "menu");
  const box = document.createElement("span");
  box.className = "gridgov-bell-box";
  box.append(bell.button, bell.list);
  container.prepend(box);
  bell.button.addEventListener("click", () => toggle(bell));
  document.addEventListener("click", (event) => {
    if (!box.contains(event.target)) close(bell);
  });
  const onVisible = () => { if (!document.hidden) poll(bell); };
  document.addEventListener("visibilitychange", onVisible);
  i18n.onChange(() => draw(bell));
  bell.stop = () => {
    bell.stopped = true;
    clearTimeout(bell.timer);
    document.removeEventListener("visibilitychange", onVisible);
  };
  running = bell;
  poll(bell);
  return bell;
}

async function poll(bell) {
  clearTimeout(bell.timer);
  if (bell.stopped) return;
  try {
    const inbox = await bell.session.getJSON(`/inbox?unread=true&limit=${LIST_LIMIT}`);
    bell.unread = inbox.unread;
    bell.items = inbox.items;
    bell.failed = false;
  } catch (error) {
    if (error instanceof LoginRequired) return bell.stop();
    bell.failed = true;
  }
  draw(bell);
  if (!document.hidden && !bell.stopped) bell.timer = setTimeout(() => poll(bell), POLL_MS);
}

function draw(bell) {
  bell.count.textContent = bell.unread > 99 ? "99+" : String(bell.unread);
  bell.count.hidden = !bell.unread;
  const label = bell.unread ? t("bell.unread", {n: bell.unread}) : t("bell.label");
  bell.button.title = label;
  bell.button.setAttribute("aria-label", label);
  document.body.dataset.unread = String(bell.unread);
  const rows = bell.items.map((item) => row(bell, item));
  const empty = element("p", bell.failed ? t("bell.failed") : t("bell.empty"));
  empty.className = "gridgov-bell-empty";
  const all = element("button", t("bell.read-all"));
  all.type = "button";
  all.className = "gridgov-bell-all";
  all.hidden = !bell.items.length;
  all.addEventListener("click", () => readAll(bell));
  bell.list.replaceChildren(...(rows.length ? rows : [empty]), all);
}

function row(bell, item) {
  const open = SUBJECT_PAGES[item.subject_type];
  const link = document.createElement("a");
  link.className = "gridgov-bell-item";
  link.setAttribute("role", "menuitem");
  link.dataset.notification = item.id;
  if (open && item.subject_id) link.href = open(item.subject_id);
  const when = element("time", TIME.format(new Date(item.created_at)).replace(/\//g, "-"));
  link.append(element("strong", item.title), when);
  if (item.body) link.append(element("span", item.body));
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    await read(bell, item.id);
    if (link.href) window.location.assign(link.href);
  });
  return link;
}

async function read(bell, id) {
  try {
    await bell.session.postJSON(`/inbox/${id}/read`, {});
  } catch (error) {
    // The subject opens all the same; the next poll shows what is unread.
  }
}

async function readAll(bell) {
  await Promise.all(bell.items.map((item) => read(bell, item.id)));
  poll(bell);
}

function toggle(bell) {
  const opening = bell.list.hidden;
  bell.list.hidden = !opening;
  bell.button.setAttribute("aria-expanded", String(opening));
  if (opening) poll(bell);
}

function close(bell) {
  bell.list.hidden = true;
  bell.button.setAttribute("aria-expanded", "false");
}

export {mount};
