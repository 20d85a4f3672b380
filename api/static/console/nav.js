/* The consoles' header: links to every console the user may work in (GET /api/v1/consoles:
 * the grid's /console and each platform's /console/{key}, by role and memberships), the
 * current one marked. Nothing of who may use which is kept here: the server says.
 */
import {element} from "../session.js";

async function render(session, node, current) {
  let consoles = [];
  try {
    consoles = await session.getJSON("/consoles");
  } catch {
    return;  // the console itself still works; only the links are missing
  }
  node.replaceChildren(...consoles.filter((one) => one.key !== current || one.url !== "/console")
    .map((one) => {
      const link = element("a", one.title);
      link.href = one.url;
      link.className = "console-other";
      link.dataset.console = one.key;
      if (one.key === current) link.setAttribute("aria-current", "page");
      return link;
    }));
}

export {render};
