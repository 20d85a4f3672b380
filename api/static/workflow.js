/* A case type's workflow as the server describes it (GET /api/v1/workflows/{code},
 * api/workflows.py): its states with their status labels, which are final and which pause
 * the clocks, its moves with their labels, whether a reason is required and the fields
 * they take, and which hand-offs (流转) need a reason. The pages draw filters, badges, buttons and forms from it, so that nothing
 * the server knows is copied here. Loading it registers the Chinese names of its states
 * and moves (`state.<name>`, `action.<name>`) with i18n.js; the pages give the English.
 */
import * as i18n from "./i18n.js";

const loaded = new Map();  // code → Promise of the workflow

// The workflow of case type `code` (once per page), its names registered for t().
function load(session, code) {
  if (!loaded.has(code)) {
    const asked = session.getJSON(`/workflows/${encodeURIComponent(code)}`).then(of);
    asked.catch(() => loaded.delete(code));  // asked again next time
    loaded.set(code, asked);
  }
  return loaded.get(code);
}

function of(description) {
  const names = {};
  for (const state of description.states) names[`state.${state.name}`] = {zh: state.label};
  for (const move of description.moves) names[`action.${move.name}`] = {zh: move.label};
  i18n.add(names);
  const moves = new Map(description.moves.map((move) => [move.name, move]));
  const states = description.states.map((state) => state.name);
  const final = new Set(description.final_states);
  return {
    code: description.code,
    description,
    states,
    openStates: states.filter((state) => !final.has(state)),
    isFinal: (state) => final.has(state),
    isPaused: (state) => description.paused_states.includes(state),
    move: (name) => moves.get(name) || null,
    needsReason: (name) => Boolean(moves.get(name)?.needs_reason),
    // 流转 (escalate, assign, refer): whether the case type wants a reason for it.
    handoffNeedsReason: (kind) => Boolean((description.handoffs || [])
      .find((handoff) => handoff.name === kind)?.needs_reason),
  };
}

export {load};
