/* Leaflet's own controls in the page's language: its zoom buttons and the layer control's
 * toggle carry English titles ("Zoom in", "Layers"), which a screen reader reads out; the
 * scale bar is metric only (no feet and miles). For every map of the pages: the map
 * page's (drawn by folium), the console's and the field app's.
 */
import * as i18n from "./i18n.js";
import {t} from "./i18n.js";

i18n.add({
  "leaflet.zoomIn": {zh: "放大", en: "Zoom in"},
  "leaflet.zoomOut": {zh: "缩小", en: "Zoom out"},
  "leaflet.layers": {zh: "图层", en: "Layers"},
});

const CONTROLS = {".leaflet-control-zoom-in": "leaflet.zoomIn",
                  ".leaflet-control-zoom-out": "leaflet.zoomOut",
                  ".leaflet-control-layers-toggle": "leaflet.layers"};

// The controls' titles now and after every switch of language; a metric scale bar.
function localise(map, {scale = true} = {}) {
  const container = map.getContainer();
  const relabel = () => {
    for (const [selector, key] of Object.entries(CONTROLS)) {
      for (const node of container.querySelectorAll(selector)) {
        node.title = t(key);
        node.setAttribute("aria-label", t(key));
      }
    }
  };
  relabel();
  i18n.onChange(relabel);
  if (scale) L.control.scale({imperial: false}).addTo(map);
}

export {localise};
