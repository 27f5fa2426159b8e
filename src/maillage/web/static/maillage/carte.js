/* Maps of maillage web (Leaflet served by the app; no tiles, no CDN).
 * Text from the data is always inserted with textContent (never as HTML). */
(function () {
  "use strict";
  var COLOURS = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"];
  var LIMITS = [7, 15, 20, 30];
  function colour(minutes) {
    if (minutes === null || minutes === undefined) { return "#bdbdbd"; }
    for (var i = 0; i < LIMITS.length; i += 1) {
      if (minutes < LIMITS[i]) { return COLOURS[i]; }
    }
    return COLOURS[COLOURS.length - 1];
  }
  function label(lines) {
    var box = document.createElement("div");
    lines.forEach(function (text, index) {
      var line = document.createElement(index === 0 ? "strong" : "div");
      line.textContent = text;
      box.appendChild(line);
      if (index === 0) { box.appendChild(document.createElement("br")); }
    });
    return box;
  }
  function newMap(element) {
    var map = L.map(element, { zoomSnap: 0.25, attributionControl: true });
    map.attributionControl.setPrefix("Leaflet");
    map.attributionControl.addAttribution("Communes : IGN ADMIN EXPRESS");
    return map;
  }
  function communes(element) {
    var map = newMap(element);
    fetch(element.dataset.url, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          style: function (feature) {
            return { color: "#333", weight: 1, fillOpacity: 0.75, fillColor: colour(feature.properties.minutes) };
          },
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, { radius: 7 });
          },
          onEachFeature: function (feature, item) {
            var p = feature.properties;
            var time = p.minutes === null ? "non mesuré" : String(p.minutes).replace(".", ",") + " min (" + data.methode + ")";
            item.bindTooltip(label([p.nom, data.famille + " : " + time]));
          }
        }).addTo(map);
        map.fitBounds(layer.getBounds());
        element.setAttribute("data-chargee", "oui");
      });
  }
  function services(element) {
    var map = newMap(element);
    var source = document.getElementById(element.dataset.source);
    var points = source ? JSON.parse(source.textContent) : [];
    var group = L.featureGroup();
    if (element.dataset.url) {
      fetch(element.dataset.url, { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          L.geoJSON(data, { interactive: false, style: { color: "#767676", weight: 1, fillColor: "#ffffff", fillOpacity: 0.6 } })
            .addTo(map).bringToBack();
        });
    }
    points.forEach(function (p) {
      L.circleMarker([p.lat, p.lon], { radius: 7, color: "#000091", weight: 2, fillOpacity: 0.6 })
        .bindPopup(label([p.nom, p.type, p.commune]))
        .addTo(group);
    });
    group.addTo(map);
    if (points.length) { map.fitBounds(group.getBounds(), { maxZoom: 13, padding: [20, 20] }); }
    else { map.setView([45.3, 6.4], 9); }
    element.setAttribute("data-chargee", "oui");
  }
  document.querySelectorAll("[data-carte-communes]").forEach(communes);
  document.querySelectorAll("[data-carte-services]").forEach(services);
}());
