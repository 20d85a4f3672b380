/* Logging in and talking to the API, shared by the pages (/map, /kpis).
 *
 * Login: the OAuth2 password flow. The access and refresh tokens live in sessionStorage
 * (this tab only, shared by the pages of the tab); every API call sends the access token;
 * a 401 spends the refresh token once for a new pair (rotation) and retries once; failing
 * that, the login form returns.
 *
 *   const session = gridgovSession.create({
 *     apiBase: "/api/v1", title: "…",   // the login form's heading
 *     onLogin() {},                     // logged in (or found stored tokens): fill the page
 *     onLogout() {},                    // the tokens are gone: forget what the page shows
 *   });
 *   session.start();                    // the login form, or onLogin at once
 *   await session.getJSON("/auth/me");  // throws LoginRequired (the form is showing) or
 *                                       // ApiError (with the problem's status and detail)
 */
(function () {
  "use strict";

  const STORAGE = {access: "gridgov.accessToken", refresh: "gridgov.refreshToken"};
  const ROLE_LABELS = {
    grid_worker: "网格员", village_staff: "村社区工作人员", township_staff: "乡镇街道工作人员",
    county_dispatcher: "区县派遣员", enforcement_officer: "执法人员",
    market_inspector: "市场监管人员", service_clerk: "便民服务窗口", proxy_agent: "代办员",
    supervisor: "督导", admin: "系统管理员",
  };

  // Thrown where the user has to log in (again); the login form is already showing.
  class LoginRequired extends Error {}

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  function create(options) {
    const state = {
      options,
      refreshing: null,  // the refresh in flight, shared by every request that needs it
      login: null,
    };
    state.login = createLoginForm(state);
    return {
      start() {
        if (storedTokens()) options.onLogin();
        else showLogin(state);
      },
      api: (path, init) => api(state, path, init),
      getJSON: (path) => getJSON(state, path),
      logout: () => logout(state),
      jsonPost,
    };
  }

  // --- the tokens ----------------------------------------------------------------------

  function storedTokens() {
    const access = sessionStorage.getItem(STORAGE.access);
    const refresh = sessionStorage.getItem(STORAGE.refresh);
    return access && refresh ? {access, refresh} : null;
  }

  function storeTokens(pair) {
    sessionStorage.setItem(STORAGE.access, pair.access_token);
    sessionStorage.setItem(STORAGE.refresh, pair.refresh_token);
  }

  function clearTokens() {
    sessionStorage.removeItem(STORAGE.access);
    sessionStorage.removeItem(STORAGE.refresh);
  }

  // --- logging in and out --------------------------------------------------------------

  function createLoginForm(state) {
    const overlay = element("div", "");
    overlay.className = "gridgov-login";
    const form = document.createElement("form");
    const title = element("h1", state.options.title);
    const username = field("用户名", "username", "text", "username");
    const password = field("密码", "password", "password", "current-password");
    const error = element("p", "");
    error.className = "gridgov-login-error";
    error.setAttribute("role", "alert");
    const submit = element("button", "登录");
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

  function field(label, name, type, autocomplete) {
    const wrapper = element("label", label);
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
        method: "POST", body: new URLSearchParams(new FormData(form)),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        state.login.error.textContent = loginRefusal(response.status, body);
        return;
      }
      storeTokens(body);
      form.reset();
      state.login.overlay.hidden = true;
      state.options.onLogin();
    } catch (error) {
      state.login.error.textContent = `登录失败 (login failed): ${error.message}`;
    } finally {
      state.login.submit.disabled = false;
    }
  }

  function loginRefusal(status, body) {
    if (status === 401) return "用户名或密码错误 (wrong user name or password)";
    if (status === 429) return "登录失败次数过多，请稍后再试 (too many failed logins)";
    if (status === 422) return "请输入用户名和密码 (enter user name and password)";
    return `登录失败 (login failed): ${body.detail || status}`;
  }

  async function logout(state) {
    const tokens = storedTokens();
    try {
      // Revokes the login's refresh tokens; the access token simply expires.
      if (tokens) await api(state, "/auth/logout", jsonPost({refresh_token: tokens.refresh}));
    } catch (error) {
      // Logged out here either way: the tokens are dropped below.
    }
    clearTokens();
    state.options.onLogout();
    showLogin(state);
  }

  // The tokens are no good any more: back to the login form.
  function loginRequired(state) {
    clearTokens();
    state.options.onLogout();
    showLogin(state, "请重新登录 (please log in again)");
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
    const sent = storedTokens();
    if (!sent) throw loginRequired(state);
    let response = await fetch(url, withBearer(init, sent.access));
    if (response.status === 401) {
      const fresh = await refreshTokens(state, sent.access) && storedTokens();
      if (!fresh) throw loginRequired(state);
      response = await fetch(url, withBearer(init, fresh.access));
      if (response.status === 401) throw loginRequired(state);
    }
    return response;
  }

  // Whether a fresh pair is stored. Requests refused together share one refresh: a second
  // refresh with the same, by then spent, token would read as a stolen token and revoke
  // the whole login.
  function refreshTokens(state, staleAccess) {
    const current = storedTokens();
    if (!current) return Promise.resolve(false);
    if (current.access !== staleAccess) return Promise.resolve(true);  // refreshed meanwhile
    state.refreshing ??= (async () => {
      try {
        const response = await fetch(`${state.options.apiBase}/auth/refresh`,
                                     jsonPost({refresh_token: current.refresh}));
        if (!response.ok) return false;
        storeTokens(await response.json());
        return true;
      } finally {
        state.refreshing = null;
      }
    })();
    return state.refreshing;
  }

  async function getJSON(state, path) {
    const response = await api(state, path);
    const body = await response.json().catch(() => ({}));
    // Every API error is problem+json: its detail says what went wrong.
    if (!response.ok) {
      throw new ApiError(response.status, body.detail || `${response.status} ${response.statusText}`);
    }
    return body;
  }

  // Names come from the database: set as text, never as HTML.
  function element(tag, text) {
    const node = document.createElement(tag);
    node.textContent = text;
    return node;
  }

  // Who is logged in, and the button to log out: the same on every page.
  function renderAccount(container, me, session) {
    const name = element("strong", me.user.username);
    if (me.user.full_name) name.title = me.user.full_name;
    const role = element("span", ROLE_LABELS[me.user.role] || me.user.role);
    role.className = "gridgov-role";
    const scope = element("span", me.scope.name);
    scope.className = "gridgov-scope";
    const button = element("button", "退出 (log out)");
    button.type = "button";
    button.addEventListener("click", () => session.logout());
    container.replaceChildren(name, role, scope, button);
  }

  window.gridgovSession = {create, LoginRequired, ApiError, ROLE_LABELS, element,
                           renderAccount};
})();
