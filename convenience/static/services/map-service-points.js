/* 便民服务's part of the supervisor map (map.js): the service points (政务服务中心,
 * 便民服务中心, 便民服务站) of the view, from the layers API (GET /layers/service_points/
 * features?bbox=), as an overlay the layer control switches; each point's popup gives its
 * name, kind, address, phone and how many items it handles. Drawn from a township's zoom
 * on (the city has some 1,500 of them). Text goes in as text, never as HTML. */
import * as mapPage from "/static/map.js";

const MIN_ZOOM = 11;
const LIMIT = 2000;
const STYLE = {
  service_hall: {radius: 9, color: "#8d0801", label: "政务服务中心"},
  service_centre: {radius: 7, color: "#c8161d", label: "便民服务中心"},
  service_station: {radius: 5, color: "#f4a261", label: "便民服务站"},
};

function start(page) {
  const layer = L.layerGroup();
  page.servicePoints = {layer, ticket: 0, listed: false};
  page.map.on("moveend", () => refresh(page));
  page.map.on("overlayadd", (event) => { if (event.layer === layer) refresh(page); });
}

// Offered to the desks and leaders, not on a grid worker's plain map of his own grids.
function open(page, view) {
  const points = page.servicePoints;
  if (view.me?.user?.role !== "grid_worker" && !points.listed) {
    mapPage.addOverlay(page, points.layer, mapPage.titled("政务服务网点", "Service points"));
    points.listed = true;
  }
  refresh(page);
}

function close(page) {
  const points = page.servicePoints;
  if (!points) return;
  points.layer.clearLayers();
  page.map.removeLayer(points.layer);
  if (points.listed) mapPage.removeOverlay(page, points.layer);
  points.listed = false;
}

async function refresh(page) {
  const points = page.servicePoints;
  if (!points) return;
  const ticket = ++points.ticket;
  if (!page.view?.me || !page.map.hasLayer(points.layer) || page.map.getZoom() < MIN_ZOOM) {
    points.layer.clearLayers();
    return;
  }
  const box = page.map.getBounds();
  const bbox = [box.getWest(), box.getSouth(), box.getEast(), box.getNorth()]
    .map((value) => value.toFixed(5)).join(",");
  let body;
  try {
    body = await page.session.getJSON(`/layers/service_points/features?bbox=${bbox}&limit=${LIMIT}`);
  } catch (error) {
    return;  // a refused or failed read leaves the overlay empty; the map goes on
  }
  if (ticket !== points.ticket) return;
  points.layer.clearLayers();
  for (const feature of body.features || []) {
    const [lon, lat] = feature.geometry.coordinates;
    const style = STYLE[feature.properties.kind] || STYLE.service_station;
    L.circleMarker([lat, lon], {radius: style.radius, color: style.color, weight: 2,
                                fillOpacity: 0.7})
      .bindPopup(() => popup(feature.properties, style))
      .addTo(points.layer);
  }
}

function popup(properties, style) {
  const box = document.createElement("div");
  const title = document.createElement("strong");
  title.textContent = properties.name;
  const lines = [style.label, properties.address, properties.phone,
                 `可办事项 ${properties.items} 项`].filter(Boolean);
  box.append(title, ...lines.map((line) => {
    const row = document.createElement("div");
    row.textContent = line;
    return row;
  }));
  return box;
}

mapPage.use({start, open, close});
