/* The drill-down region map: fetch the area's GeoJSON from this site (no tile server), register
 * it with ECharts and shade each region by population. Selecting a region opens its page.
 * Regions are keyed by area code, so two areas with one name never merge. */
(function () {
  "use strict";

  var SHADES = ["#e3eef9", "#b7d3ee", "#7fb0dd", "#4a86c5", "#1f5aa6", "#0b3a78"];

  function text(el, message, cls) {
    el.textContent = "";
    var p = document.createElement("p");
    p.className = cls;
    p.textContent = message;
    el.appendChild(p);
  }

  // Visit every [lon, lat] of a (Multi)Polygon's nested coordinate arrays.
  function eachPoint(coordinates, visit) {
    if (typeof coordinates[0] === "number") { visit(coordinates); return; }
    coordinates.forEach(function (c) { eachPoint(c, visit); });
  }

  function number(n) {
    return Number(n || 0).toLocaleString(document.documentElement.lang || undefined);
  }

  // The largest box of the regions' true aspect that fits the chart, centred (ECharts keeps
  // the aspect only when it is not told all four sides, and then leaves wide margins).
  function fit(chart, aspect, narrow) {
    var margin = { top: 16, right: 16, bottom: 16, left: narrow ? 44 : 64 };
    var w = chart.getWidth() - margin.left - margin.right;
    var h = chart.getHeight() - margin.top - margin.bottom;
    var width = w;
    var height = w / aspect;
    if (height > h) {
      height = h;
      width = h * aspect;
    }
    return {
      left: margin.left + (w - width) / 2,
      top: margin.top + (h - height) / 2,
      width: width,
      height: height
    };
  }

  function draw(el, collection, labels) {
    var features = collection.features.filter(function (f) { return f.geometry; });
    if (!features.length) {
      text(el, labels.no_outline, "map-placeholder");
      return;
    }
    var byCode = {};
    var max = 1;
    var min = Infinity;
    var box = { west: 180, east: -180, south: 90, north: -90 };
    features.forEach(function (f) {
      byCode[f.properties.code] = f.properties;
      max = Math.max(max, f.properties.population || 0);
      min = Math.min(min, f.properties.population || 0);
      eachPoint(f.geometry.coordinates, function (point) {
        box.west = Math.min(box.west, point[0]);
        box.east = Math.max(box.east, point[0]);
        box.south = Math.min(box.south, point[1]);
        box.north = Math.max(box.north, point[1]);
      });
    });
    // A degree of longitude is cos(latitude) of a degree of latitude: keep true shapes.
    var aspectScale = Math.cos(((box.south + box.north) / 2) * Math.PI / 180);
    var mapName = el.dataset.mapName;
    echarts.registerMap(mapName, { type: "FeatureCollection", features: features });
    el.textContent = "";
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var aspect = (box.east - box.west) / Math.max(box.north - box.south, 1e-9) * aspectScale;
    var encode = echarts.format.encodeHTML;
    var narrow = el.clientWidth < 520;
    // A leaf (a building) is drawn alone: a population scale would compare it with nothing.
    var leaf = features.every(function (f) { return !f.properties.url; });
    chart.setOption({
      tooltip: {
        trigger: "item",
        confine: true,
        formatter: function (p) {
          var a = byCode[p.name];
          if (!a) { return ""; }
          return "<strong>" + encode(a.name) + "</strong> · " + encode(a.level_label) + "<br>" +
            encode(labels.population) + ": " + number(a.population) + "<br>" +
            encode(labels.residents) + ": " + number(a.residents) + "<br>" +
            encode(labels.households) + ": " + number(a.households) + "<br>" +
            encode(labels.organisations) + ": " + number(a.organisations);
        }
      },
      visualMap: {
        type: "continuous",
        show: !leaf,
        // Scale from the smallest sibling, so that similar areas still show their differences.
        min: min < max ? min : 0,
        max: max,
        text: [number(max), number(min < max ? min : 0)],
        left: 8,
        bottom: 8,
        itemHeight: narrow ? 80 : 120,
        itemWidth: 12,
        calculable: false,
        inRange: { color: SHADES },
        textStyle: { color: "#334" }
      },
      series: [{
        type: "map",
        map: mapName,
        nameProperty: "code",
        roam: true,
        scaleLimit: { min: 0.8, max: 20 },
        aspectScale: aspectScale,
        itemStyle: { borderColor: "#ffffff", borderWidth: 1.5, areaColor: "#dfe6ee" },
        label: {
          show: true,
          fontSize: narrow ? 11 : 13,
          color: "#10233f",
          backgroundColor: "rgba(255, 255, 255, 0.88)",
          padding: [2, 5],
          borderRadius: 3,
          formatter: function (p) { return byCode[p.name] ? byCode[p.name].name : ""; }
        },
        emphasis: {
          label: { show: true, color: "#000", backgroundColor: "#ffffff" },
          itemStyle: { areaColor: "#f6c343" }
        },
        select: { disabled: true },
        data: features.map(function (f) {
          var a = f.properties;
          return { name: a.code, value: a.population, areaId: a.id, areaName: a.name, url: a.url };
        })
      }]
    });
    chart.setOption({ series: [fit(chart, aspect, narrow)] });
    chart.on("click", function (p) {
      var a = byCode[p.name];
      if (a && a.url) { window.location.href = a.url; }
    });
    window.addEventListener("resize", function () {
      chart.resize();
      chart.setOption({ series: [fit(chart, aspect, el.clientWidth < 520)] });
    });
    el.dataset.mapReady = "true";
  }

  function load(el) {
    var labels = JSON.parse(document.getElementById(el.dataset.labels).textContent);
    fetch(el.dataset.mapUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (collection) { draw(el, collection, labels); })
      .catch(function () {
        text(el, labels.load_failed, "map-placeholder map-error");
        el.dataset.mapReady = "error";
      });
  }

  document.querySelectorAll("[data-area-map]").forEach(load);
})();
