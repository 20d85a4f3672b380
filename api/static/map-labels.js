/* Area names on the map (map.js): the names of the areas the selection is made of, at
 * every zoom; a grid's own name; and at street zoom the names of the village and grid
 * outlines switched on. Without a basemap (an intranet) they are what makes the map
 * readable at street level. Drawn in the children's pane, never clickable. */
import {element} from "./session.js";

// The names of the areas the selection is made of, on the map at every zoom: without a
// basemap (an intranet) they are what makes the map readable at street level. A grid,
// which has no children, shows its own name. From FINE_LABEL_ZOOM on, the village and
// grid outlines switched on in the layer control are named too, those in view.
const MAX_LABELS = 300;
const FINE_LABEL_ZOOM = 14;
const FINE_LEVELS = ["village", "grid"];

function shapesOf(layer) {
  const features = [];
  const walk = (one) => {
    if (one.feature) features.push(one);
    else one.getLayers?.().forEach(walk);
  };
  if (layer) walk(layer);
  return features.filter((one) => one.getBounds);
}

function labelMarker(layer, className = "", at = layer.getBounds().getCenter()) {
  const text = element("span", layer.feature.properties.name);  // Leaflet reads a string
  // as HTML: an element is shown as text.
  const icon = L.divIcon({className: `gridgov-area-label ${className}`, html: text,
                          iconSize: null});
  return L.marker(at, {icon, interactive: false, keyboard: false, pane: "children"});
}

// Where an area's name goes in the view: the middle of the part of its bounds in view (an
// area larger than the view is named where it is seen), or null when it is not in view.
function placeInView(shape, view) {
  const box = shape.getBounds();
  if (!box.intersects(view)) return null;
  return L.latLngBounds(
    [Math.max(box.getSouth(), view.getSouth()), Math.max(box.getWest(), view.getWest())],
    [Math.min(box.getNorth(), view.getNorth()), Math.min(box.getEast(), view.getEast())],
  ).getCenter();
}

// `childLayer` holds exactly the selection's children: its own layer, or at the start the
// level layer below (the start area's descendants of that level).
function drawLabels(page, view, childLayer) {
  view.labels?.remove();
  view.labels = L.layerGroup([], {pane: "children"});
  const children = shapesOf(childLayer);
  view.labelled = new Set(children.map((one) => one.feature.properties.code));
  for (const layer of children.slice(0, MAX_LABELS)) labelMarker(layer).addTo(view.labels);
  if (!children.length && view.selected) {
    for (const layer of shapesOf(view.selected)) {
      labelMarker(layer, "gridgov-area-label-selected").addTo(view.labels);
    }
  }
  view.labels.addTo(page.map);
  drawFineLabels(page);
}

// The names of the village and grid outlines shown, in view, at street zoom.
function drawFineLabels(page) {
  const view = page.view;
  if (!view) return;
  view.fineLabels?.remove();
  view.fineLabels = null;
  if (page.map.getZoom() < FINE_LABEL_ZOOM) return;
  const bounds = page.map.getBounds();
  const group = L.layerGroup([], {pane: "children"});
  let count = 0;
  for (const level of FINE_LEVELS) {
    const layer = page.layers[level];
    if (!layer || !page.map.hasLayer(layer)) continue;
    for (const shape of shapesOf(layer)) {
      const at = placeInView(shape, bounds);
      if (count >= MAX_LABELS || !at || view.labelled?.has(shape.feature.properties.code)) {
        continue;
      }
      labelMarker(shape, `gridgov-area-label-${level}`, at).addTo(group);
      count += 1;
    }
  }
  view.fineLabels = group.addTo(page.map);
}

export {drawLabels, drawFineLabels};
