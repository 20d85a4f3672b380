/* The console's parts, as one namespace for its modules (`import * as C`): the words and
 * time formats, the queue, the detail, the clocks and the moves. */
export * from "./strings.js";
export * as queue from "./queue.js";
export * as detail from "./detail.js";
export * as clocks from "./clocks.js";
export * as actions from "./actions.js";
