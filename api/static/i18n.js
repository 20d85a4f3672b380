/* The pages' two languages: Chinese (zh-CN) by default, English on request.
 *
 * Each page (or shared script) registers its strings once, by key, in both languages, and
 * asks for them with t(); markup marks text with data-i18n="key" (its textContent),
 * data-i18n-title, data-i18n-placeholder or data-i18n-aria-label, and apply() fills it.
 * The choice is kept in localStorage, for every page of the app; a switch button (any
 * element with data-i18n-switch) toggles it and re-applies.
 *
 *   gridgovI18n.add({"queue.title": {zh: "待办", en: "Queue"}});
 *   gridgovI18n.t("queue.title");            // "待办" or "Queue"
 *   gridgovI18n.t("count", {n: 3});          // "{n} 件" → "3 件"
 *   gridgovI18n.onChange(() => redraw());    // after a switch, for text drawn by script
 */
(function () {
  "use strict";

  const STORAGE_KEY = "gridgov.lang";
  const LANGS = ["zh", "en"];
  const strings = {};
  const listeners = [];
  let lang = readLang();

  function readLang() {
    const asked = new URLSearchParams(location.search).get("lang");
    if (LANGS.includes(asked)) return asked;
    try {
      const stored = localStorage.getItem(STORAGE_KEY);
      if (LANGS.includes(stored)) return stored;
    } catch (error) {
      // Storage refused (private mode): the default language.
    }
    return "zh";
  }

  function add(table) {
    Object.assign(strings, table);
  }

  // The key itself when a string is missing: visible in the page, never a blank.
  function t(key, values = {}) {
    const entry = strings[key];
    const text = entry ? (entry[lang] ?? entry.zh) : key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
  }

  const ATTRIBUTES = {"data-i18n-title": "title", "data-i18n-placeholder": "placeholder",
                      "data-i18n-aria-label": "aria-label"};

  function apply(root = document) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    root.querySelectorAll("[data-i18n]").forEach((node) => {
      node.textContent = t(node.dataset.i18n);
    });
    for (const [data, attribute] of Object.entries(ATTRIBUTES)) {
      root.querySelectorAll(`[${data}]`).forEach((node) => {
        node.setAttribute(attribute, t(node.getAttribute(data)));
      });
    }
    root.querySelectorAll("[data-i18n-switch]").forEach((node) => {
      node.textContent = lang === "zh" ? "English" : "中文";
    });
  }

  function setLang(next) {
    if (!LANGS.includes(next) || next === lang) return;
    lang = next;
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch (error) {
      // Not kept: this page still switches.
    }
    apply();
    listeners.forEach((listener) => listener(lang));
  }

  function onChange(listener) {
    listeners.push(listener);
  }

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-i18n-switch]")) setLang(lang === "zh" ? "en" : "zh");
  });
  document.addEventListener("DOMContentLoaded", () => apply());

  window.gridgovI18n = {add, t, apply, setLang, onChange, get lang() { return lang; }};
})();
