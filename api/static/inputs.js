/* A form's labelled controls, as the move forms (moves.js) and the field tools' forms
 * (convenience/field/proxy-form.js, enforcement/field/spot.js) build them: written once.
 * The label's words carry their key (data-i18n), so a switch of language renames them.
 */
import {t} from "./i18n.js";
import {element} from "./session.js";

// A control with its words above it.
function labelled(key, control) {
  const label = document.createElement("label");
  const text = element("span", t(key));
  text.dataset.i18n = key;
  label.append(text, control);
  return label;
}

// An <input> (or the `tag` given: select, textarea) named for the form's body.
function input(name, attributes = {}) {
  const node = document.createElement(attributes.tag || "input");
  node.name = name;
  for (const [key, value] of Object.entries(attributes)) if (key !== "tag") node[key] = value;
  return node;
}

export {labelled, input};
