/* The risk map: the actor's districts from this site's GeoJSON (no tile server), each filled
 * with the colour of its level in force. Regions are keyed by area code. */
(function () {
  "use strict";

  var COLOURS = { low: "#7cc48f", medium: "#f2c14e", high: "#d9534f" };

  function message(el, text) {
    el.textContent = "";
    var p = document.createElement("p");
    p.className = "map-placeholder";
    p.textContent = text;
    el.appendChild(p);
  }

  // Visit every [lon, lat] of a (Multi)Polygon's nested coordinate arrays.
  function eachPoint(coordinates, visit) {
    if (typeof coordinates[0] === "number") { visit(coordinates); return; }
    coordinates.forEach(function (c) { eachPoint(c, visit); });
  }

  function draw(el, collection, labels) {
    var features = collection.features.filter(function (f) { return f.geometry; });
    if (!features.length) { message(el, labels.no_outline); return; }
    var byCode = {};
    var south = 90, north = -90;
    features.forEach(function (f) {
      byCode[f.properties.code] = f.properties;
      eachPoint(f.geometry.coordinates, function (point) {
        south = Math.min(south, point[1]);
        north = Math.max(north, point[1]);
      });
    });
    // A degree of longitude is cos(latitude) of a degree of latitude: keep true shapes.
    var aspectScale = Math.cos(((south + north) / 2) * Math.PI / 180);
    echarts.registerMap("risk", { type: "FeatureCollection", features: features });
    el.textContent = "";
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var encode = echarts.format.encodeHTML;
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var a = byCode[p.name];
          if (!a) { return ""; }
          var text = "<strong>" + encode(a.name) + "</strong><br>" + encode(labels.level) + ": " +
            encode(labels[a.level]);
          if (a.pending) { text += "<br>" + encode(labels.pending) + ": " + encode(labels[a.pending]); }
          return text;
        }
      },
      series: [{
        type: "map",
        map: "risk",
        nameProperty: "code",
        roam: true,
        aspectScale: aspectScale,
        itemStyle: { borderColor: "#ffffff", borderWidth: 1.5 },
        label: {
          show: true,
          formatter: function (p) { return byCode[p.name] ? byCode[p.name].name : ""; }
        },
        select: { disabled: true },
        data: features.map(function (f) {
          var a = f.properties;
          return { name: a.code, itemStyle: { areaColor: COLOURS[a.level] || "#dfe6ee" } };
        })
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.mapReady = "true";
  }

  document.querySelectorAll("[data-risk-map]").forEach(function (el) {
    var labels = JSON.parse(document.getElementById(el.dataset.labels).textContent);
    fetch(el.dataset.mapUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (collection) { draw(el, collection, labels); })
      .catch(function () { message(el, labels.load_failed); el.dataset.mapReady = "error"; });
  });
})();
