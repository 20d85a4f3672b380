/* The market console's own section of an inspection (core/consoles.py `extra_module`):
 * the checklist's lines with their results and the photos taken on each (检查照片), each
 * fetched with the token from the inspection's photo route (its thumbnail once made) and
 * opened full size on a click.
 */
import * as i18n from "../../i18n.js";
import {t} from "../../i18n.js";
import {element} from "../../session.js";

i18n.add(Object.fromEntries(Object.entries({
  "minsp.checks": ["检查项目与照片", "Checklist and photos"],
  "minsp.none": ["无检查记录", "No checks recorded"],
  "minsp.photo": ["照片 #{id}", "Photo #{id}"],
  "minsp.failed": ["无法读取照片", "Cannot read the photo"],
}).map(([key, [zh, en]]) => [key, {zh, en}])));

// The thumbnail until the worker made it is a 404: the photo itself, shown small.
async function picture(page, url) {
  try {
    return await page.session.objectURL(`${url}?thumbnail=true`);
  } catch (error) {
    return page.session.objectURL(url);
  }
}

function photo(page, item) {
  const link = document.createElement("a");
  link.className = "console-inspection-photo";
  link.dataset.photo = item.id;
  link.target = "_blank";
  link.rel = "noopener";
  const image = document.createElement("img");
  image.alt = t("minsp.photo", {id: item.id});
  link.append(image);
  picture(page, item.url).then((src) => { image.src = src; })
    .catch(() => { image.alt = t("minsp.failed"); });
  link.addEventListener("click", async (event) => {
    if (link.href) return;
    event.preventDefault();
    link.href = await page.session.objectURL(item.url);
    window.open(link.href, "_blank", "noopener");
  });
  return link;
}

function section(page, subject) {
  const node = document.createElement("section");
  node.className = "console-inspection-section";
  node.append(element("h3", t("minsp.checks")));
  const checks = subject.checks || [];
  if (!checks.length) {
    node.append(element("p", t("minsp.none")));
    return node;
  }
  const list = document.createElement("ol");
  list.className = "console-inspection-checks";
  for (const check of checks) {
    const item = element("li", `${check.item_name} · ${check.text} · ${
      check.result_label || "—"}${check.note ? `（${check.note}）` : ""}`);
    const photos = document.createElement("span");
    photos.className = "console-inspection-photos";
    photos.append(...(check.photos || []).map((one) => photo(page, one)));
    item.append(photos);
    list.append(item);
  }
  node.append(list);
  return node;
}

export {section};
