/* Logging in and talking to the API, shared by the pages (/map, /kpis, /console, /field).
 *
 * Login: the OAuth2 password flow, asking for the refresh token as a cookie
 * (`X-Refresh-Cookie: 1`): the server sets it HttpOnly, SameSite=Strict, for the auth path
 * only, so no script on the page (an injected one included) can read it. The page keeps
 * only the short-lived access token, in sessionStorage (this tab; a reload keeps the
 * login). Every API call sends the access token; without one, or on a 401, the cookie is
 * spent once for a new access token (rotation) and the call retried once; failing that,
 * the login form returns.
 *
 *   import {create} from "/static/session.js";
 *   const session = create({
 *     apiBase: "/api/v1", title: "…",   // the login form's heading
 *     remember: true,                   // optional: a restarted app opens logged in (the
 *                                       // field app, to send its queue offline-first): a
 *                                       // marker without any secret in localStorage says a
 *                                       // login exists; its access token comes from the
 *                                       // cookie at the first call
 *     onLogin() {},                     // logged in (or found a login): fill the page
 *     onLogout() {},                    // the login is gone: forget what the page shows
 *   });
 *   session.start();                    // the login form, or onLogin at once
 *   await session.getJSON("/auth/me");  // throws LoginRequired (the form is showing) or
 *                                       // ApiError (the problem's status, detail and body)
 *   await session.postJSON(path, body); // the same, for a POST of JSON
 *   await session.objectURL(url);       // an API resource (a photo) as an object URL:
 *                                       // <img> cannot send the token itself
 *
 * Offline (no access token, and the refresh cannot reach the server): a call goes out
 * without a token, so the field app's service worker can answer GETs from its cache, and
 * a POST fails as offline (the outbox keeps it).
 */
import * as i18n from "./i18n.js";
import {mount as mountBell} from "./bell.js";

const ACCESS = "gridgov.accessToken";  // sessionStorage: the access token only
const REMEMBERED = "gridgov.loggedIn";  // localStorage (remember: true): "1", no secret
const LEGACY_REFRESH = "gridgov.refreshToken";  // where earlier versions kept it
const COOKIE_MODE = {"X-Refresh-Cookie": "1"};
i18n.add({
  "role.grid_worker": {zh: "网格员", en: "grid worker"},
  "role.village_staff": {zh: "村社区工作人员", en: "village staff"},
  "role.township_staff": {zh: "乡镇街道工作人员", en: "township staff"},
  "role.county_dispatcher": {zh: "区县派遣员", en: "county dispatcher"},
  "role.enforcement_officer": {zh: "执法人员", en: "enforcement officer"},
  "role.market_inspector": {zh: "市场监管人员", en: "market inspector"},
  "role.service_clerk": {zh: "便民服务窗口", en: "service clerk"},
  "role.proxy_agent": {zh: "代办员", en: "proxy agent"},
  "role.supervisor": {zh: "督导", en: "supervisor"},
  "role.admin": {zh: "系统管理员", en: "administrator"},
  // The domain's words every page shows: area levels, deadline colours, platforms and
  // urgencies (registered here, as every page loads this script).
  "level.city": {zh: "市", en: "city"}, "level.county": {zh: "区县", en: "district"},
  "level.township": {zh: "乡镇街道", en: "township"},
  "level.village": {zh: "村社区", en: "village"}, "level.grid": {zh: "网格", en: "grid"},
  "deadline.green": {zh: "正常", en: "On time"}, "deadline.yellow": {zh: "预警", en: "Warning"},
  "deadline.red": {zh: "超期", en: "Overdue"},
  "platform.grid": {zh: "综治工作", en: "Grid management"},
  "platform.enforcement": {zh: "综合执法", en: "Joint enforcement"},
  "platform.market_supervision": {zh: "市场监管", en: "Market supervision"},
  "platform.convenience": {zh: "便民服务", en: "Convenience services"},
  "urgency.normal": {zh: "一般", en: "Normal"}, "urgency.urgent": {zh: "紧急", en: "Urgent"},
  "urgency.critical": {zh: "特急", en: "Critical"},
  "login.username": {zh: "用户名", en: "User name"},
  "login.password": {zh: "密码", en: "Password"},
  "login.submit": {zh: "登录", en: "Log in"},
  "login.failed": {zh: "登录失败", en: "Login failed"},
  "login.wrong": {zh: "用户名或密码错误", en: "Wrong user name or password"},
  "login.throttled": {zh: "登录失败次数过多，请稍后再试", en: "Too many failed logins: try later"},
  "login.missing": {zh: "请输入用户名和密码", en: "Enter user name and password"},
  "login.again": {zh: "请重新登录", en: "Please log in again"},
  "account.logout": {zh: "退出", en: "Log out"},
  "account.admin": {zh: "系统管理", en: "Administration"},
});
const t = i18n.t;
const roleLabel = (role) => t(`role.${role}`);

// Thrown where the user has to log in (again); the login form is already showing.
class LoginRequired extends Error {}

class ApiError extends Error {
  constructor(status, message, problem = {}) {
    super(message);
    this.status = status;
    this.problem = problem;  // the problem+json body (detail, current_state, allowed, …)
  }
}

function create(options) {
  const state = {
    options,
    remember: Boolean(options.remember),
    legacyRefresh: takeLegacyRefresh(),  // exchanged once for the cookie
    refreshing: null,  // the refresh in flight, shared by every request that needs it
    // Raised at every login and logout: a request sent before the last one belongs to a
    // login that has ended, and its refusal must not end the login of now (`refused`).
    generation: 0,
    login: null,
  };
  state.login = createLoginForm(state);
  return {
    start() {
      listenToOtherTabs(state);
      if (accessToken() || remembered(state)) options.onLogin();
      else resumeOrAsk(state);
    },
    api: (path, init) => api(state, path, init),
    getJSON: (path, init) => getJSON(state, path, init),
    postJSON: (path, body) => getJSON(state, path, jsonPost(body)),
    objectURL: (url) => objectURL(state, url),
    logout: () => logout(state),
    jsonPost,
  };
}

// --- the access token ----------------------------------------------------------------

function accessToken() {
  return sessionStorage.getItem(ACCESS);
}

function remembered(state) {
  return state.remember && (localStorage.getItem(REMEMBERED) === "1"
                            || Boolean(state.legacyRefresh));
}

// A new tab of a logged-in browser: the refresh cookie (shared by the tabs, unreadable by
// scripts) gives it an access token of its own, so the login holds across tabs; without
// one, the login form.
async function resumeOrAsk(state) {
  try {
    if (await refreshTokens(state, null)) {
      state.options.onLogin();
      return;
    }
  } catch (error) {
    // The server cannot be reached: the form, which says so when it is sent.
  }
  showLogin(state);
}

// The tabs tell each other of a login and a logout (BroadcastChannel, same origin): a tab
// showing the login form resumes when another logs in, and a logout ends the login in
// every tab at once (the server refuses the account's tokens from then on anyway).
const TABS = "gridgov.session";

function listenToOtherTabs(state) {
  if (!("BroadcastChannel" in window)) return;
  state.channel = new BroadcastChannel(TABS);
  state.channel.addEventListener("message", ({data}) => {
    if (data === "logout" && accessToken()) {
      clearTokens();
      state.options.onLogout();
      showLogin(state);
    } else if (data === "login" && !state.login.overlay.hidden) {
      state.login.overlay.hidden = true;
      resumeOrAsk(state);
    }
  });
}

function tellOtherTabs(state, what) {
  if (state.channel) state.channel.postMessage(what);
}

function storeAccess(state, body) {
  sessionStorage.setItem(ACCESS, body.access_token);
  if (state.remember) localStorage.setItem(REMEMBERED, "1");
}

function clearTokens() {
  sessionStorage.removeItem(ACCESS);
  localStorage.removeItem(REMEMBERED);
}

// A refresh token an earlier version left where scripts can read it: moved out of
// storage now, and spent (for a cookie) at the first refresh.
function takeLegacyRefresh() {
  const token = localStorage.getItem(LEGACY_REFRESH) || sessionStorage.getItem(LEGACY_REFRESH);
  localStorage.removeItem(LEGACY_REFRESH);
  sessionStorage.removeItem(LEGACY_REFRESH);
  localStorage.removeItem(ACCESS);  // ditto its access token: sessionStorage only now
  return token;
}

// --- logging in and out --------------------------------------------------------------

function createLoginForm(state) {
  const overlay = element("div", "");
  overlay.className = "gridgov-login";
  const form = document.createElement("form");
  const title = element("h1", state.options.title);
  const username = field("login.username", "username", "text", "username");
  const password = field("login.password", "password", "password", "current-password");
  const error = element("p", "");
  error.className = "gridgov-login-error";
  error.setAttribute("role", "alert");
  const submit = element("button", t("login.submit"));
  submit.dataset.i18n = "login.submit";
  submit.type = "submit";
  form.append(title, username, password, error, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    login(state, form);
  });
  overlay.append(form);
  overlay.hidden = true;
  document.body.append(overlay);
  return {overlay, form, error, submit};
}

function field(labelKey, name, type, autocomplete) {
  const wrapper = element("label", "");
  const label = element("span", t(labelKey));
  label.dataset.i18n = labelKey;
  wrapper.append(label);
  const input = document.createElement("input");
  Object.assign(input, {name, type, autocomplete, required: true});
  wrapper.append(input);
  return wrapper;
}

function showLogin(state, message = "") {
  state.login.error.textContent = message;
  state.login.overlay.hidden = false;
  state.login.form.elements.username.focus();
}

async function login(state, form) {
  state.login.submit.disabled = true;
  state.login.error.textContent = "";
  try {
    // URLSearchParams: sent as application/x-www-form-urlencoded, the OAuth2 form.
    const response = await fetch(`${state.options.apiBase}/auth/token`, {
      method: "POST", headers: COOKIE_MODE, body: new URLSearchParams(new FormData(form)),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      state.login.error.textContent = loginRefusal(response.status, body);
      return;
    }
    storeAccess(state, body);
    state.generation += 1;
    form.reset();
    state.login.overlay.hidden = true;
    tellOtherTabs(state, "login");
    state.options.onLogin();
  } catch (error) {
    state.login.error.textContent = `${t("login.failed")}: ${error.message}`;
  } finally {
    state.login.submit.disabled = false;
  }
}

function loginRefusal(status, body) {
  if (status === 401) return t("login.wrong");
  if (status === 429) return t("login.throttled");
  if (status === 422) return t("login.missing");
  return `${t("login.failed")}: ${body.detail || status}`;
}

async function logout(state) {
  try {
    // Ends every login of the account (all its tokens) and drops the cookie.
    await api(state, "/auth/logout", {method: "POST"});
  } catch (error) {
    // Logged out here either way: the token is dropped below.
  }
  clearTokens();
  state.generation += 1;
  tellOtherTabs(state, "logout");
  state.options.onLogout();
  showLogin(state);
}

// The login is no good any more: back to the login form.
function loginRequired(state) {
  clearTokens();
  state.generation += 1;
  state.options.onLogout();
  showLogin(state, t("login.again"));
  return new LoginRequired("log in first");
}

// --- talking to the API --------------------------------------------------------------

function jsonPost(body) {
  return {method: "POST", headers: {"Content-Type": "application/json"},
          body: JSON.stringify(body)};
}

function withBearer(init, token) {
  return {...init, headers: {...init.headers, Authorization: `Bearer ${token}`}};
}

// A fetch of the API as the logged-in user: one refresh and one retry on a 401.
async function api(state, path, init = {}) {
  const url = `${state.options.apiBase}${path}`;
  const generation = state.generation;
  let sent = accessToken();
  if (!sent) {
    try {
      if (!await refreshTokens(state, null)) throw refused(state, generation);
    } catch (error) {
      if (error instanceof LoginRequired) throw error;
      // Offline: sent without a token, for the service worker's cache to answer.
    }
    sent = accessToken();
  }
  let response = await fetch(url, sent ? withBearer(init, sent) : init);
  if (response.status === 401) {
    if (!await refreshTokens(state, sent)) throw refused(state, generation);
    response = await fetch(url, withBearer(init, accessToken()));
    if (response.status === 401) throw refused(state, generation);
  }
  return response;
}

// Refused as the user: back to the form. Unless the user logged out or in since the
// request went out (a request of the last login answered, or its refresh failed, after
// the next login): that speaks of the login that has ended, and clearing the tokens
// here would end the new one.
function refused(state, generation) {
  if (state.generation !== generation) return new LoginRequired("the login has changed");
  return loginRequired(state);
}

// Whether a fresh access token is stored. Requests refused together share one refresh:
// a second refresh with the same, by then spent, cookie would read as a stolen token and
// revoke the whole login. Throws (a TypeError) when the server cannot be reached.
function refreshTokens(state, staleAccess) {
  const current = accessToken();
  if (current && current !== staleAccess) return Promise.resolve(true);  // meanwhile
  state.refreshing ??= withTabLock(async () => {
    if (accessToken() && accessToken() !== staleAccess) return true;  // meanwhile
    try {
      const init = {method: "POST", headers: {...COOKIE_MODE}, credentials: "same-origin"};
      if (state.legacyRefresh) {
        Object.assign(init, jsonPost({refresh_token: state.legacyRefresh}));
        init.headers = {...init.headers, ...COOKIE_MODE};
      }
      const response = await fetch(`${state.options.apiBase}/auth/refresh`, init);
      state.legacyRefresh = null;
      if (!response.ok) return false;
      storeAccess(state, await response.json());
      return true;
    } finally {
      state.refreshing = null;
    }
  });
  return state.refreshing;
}

// Refreshes of every tab one at a time (Web Locks): two tabs spending the same cookie
// would read as a stolen token and end the login; the second waits, and then sends the
// cookie the first one's answer set.
function withTabLock(refresh) {
  if (!navigator.locks) return refresh();
  return navigator.locks.request("gridgov.refresh", refresh);
}

async function getJSON(state, path, init) {
  const response = await api(state, path, init);
  const body = await response.json().catch(() => ({}));
  // Every API error is problem+json: its detail says what went wrong.
  if (!response.ok) {
    throw new ApiError(response.status,
                       body.detail || `${response.status} ${response.statusText}`, body);
  }
  return body;
}

// An API URL (as the API writes it, under apiBase) fetched with the token.
async function objectURL(state, url) {
  const response = await api(state, url.slice(state.options.apiBase.length));
  if (!response.ok) throw new ApiError(response.status, `${response.status}`);
  return URL.createObjectURL(await response.blob());
}

// Names come from the database: set as text, never as HTML.
function element(tag, text) {
  const node = document.createElement(tag);
  node.textContent = text;
  return node;
}

// Who is logged in, and the button to log out: the same on every page.
// The account beside the page's title: the bell (bell.js), the person by name (the user
// name as a tooltip), the role, the scope, and logging out.
function renderAccount(container, me, session) {
  const name = element("strong", me.user.full_name || me.user.username);
  name.title = me.user.username;
  name.className = "gridgov-person";
  const role = element("span", roleLabel(me.user.role));
  role.dataset.i18n = `role.${me.user.role}`;
  role.className = "gridgov-role";
  const scope = element("span", me.scope.name);
  scope.className = "gridgov-scope";
  const button = element("button", t("account.logout"));
  button.dataset.i18n = "account.logout";
  button.type = "button";
  button.addEventListener("click", () => session.logout());
  container.replaceChildren(name, role, scope, button);
  // The administration page (/admin), linked for those who may use it only.
  if (me.permissions && me.permissions.includes("users:manage")
      && window.location.pathname !== "/admin") {
    const admin = element("a", t("account.admin"));
    admin.href = "/admin";
    admin.className = "gridgov-admin-link";
    admin.dataset.i18n = "account.admin";
    container.insertBefore(admin, button);
  }
  mountBell(container, session);
}

export {create, LoginRequired, ApiError, element,
                        renderAccount};
