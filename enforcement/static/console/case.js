/* The enforcement console's own sections of a case (core/consoles.py `extra_module`, drawn
 * by the shared console's subject.js after the case's fields): the team to dispatch on a
 * map (teams.js), the evidence, the 暂缓/分期缴纳 plans and the 复议/诉讼 (records.js).
 */
import * as records from "./records.js";
import * as teams from "./teams.js";

function section(page, subject) {
  const node = document.createElement("div");
  node.className = "console-enforcement-sections";
  const parts = [teams.section(page, subject), records.evidence(page, subject),
                 records.plans(subject), records.appeals(page, subject)];
  node.append(...parts.filter(Boolean));
  return node;
}

export {section};
