/* The console's moves on the open incident: moves.js's buttons and forms (shared with the
 * map's card), with the outcome shown above the incident and the incident and the queue
 * read again after every move, done or refused.
 */
import * as moves from "../moves.js";

function context(page) {
  return {session: page.session, me: page.me, workflow: page.workflow,
          receiving: page.receiving, limits: page.options};
}

function render(page, incident, container) {
  moves.render(context(page), incident, container, {
    onDone: async (text) => {
      page.result = {text};
      await page.afterMove(incident.id);
    },
    onRefused: async (text) => {
      page.result = {text, error: true};
      await page.afterMove(incident.id);
    },
  });
}

export {render};
