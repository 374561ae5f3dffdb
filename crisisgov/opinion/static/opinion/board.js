/* The situation board's charts and hot-spot map, and an alarm's trend chart, from the JSON the
 * page embeds (the tables beside them hold the same numbers). */
(function () {
  "use strict";
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var sentiment = data("sentiment-data");
  var sentimentNode = document.getElementById("sentiment-chart");
  if (sentiment && sentimentNode) {
    var n = sentiment.names;
    echarts.init(sentimentNode).setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [n.negative, n.neutral, n.positive] },
      grid: { left: 40, right: 16, top: 36, bottom: 40 },
      xAxis: { type: "category", data: sentiment.hours },
      yAxis: { type: "value", min: 0, minInterval: 1 },
      series: [
        { name: n.negative, type: "bar", stack: "s", data: sentiment.negative, itemStyle: { color: "#c62828" } },
        { name: n.neutral, type: "bar", stack: "s", data: sentiment.neutral, itemStyle: { color: "#90a4ae" } },
        { name: n.positive, type: "bar", stack: "s", data: sentiment.positive, itemStyle: { color: "#2e7d32" } }
      ]
    });
    sentimentNode.dataset.chartReady = "true";
  }

  var trend = data("trend-data");
  var trendNode = document.getElementById("trend-chart");
  if (trend && trendNode) {
    echarts.init(trendNode).setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 40, right: 16, top: 24, bottom: 40 },
      xAxis: { type: "category", data: trend.labels },
      yAxis: { type: "value", min: 0, minInterval: 1 },
      series: [{ name: trend.name, type: "bar", data: trend.counts, itemStyle: { color: "#7a9cc6" } }]
    });
    trendNode.dataset.chartReady = "true";
  }

  function eachPoint(coordinates, visit) {
    if (typeof coordinates[0] === "number") { visit(coordinates); return; }
    coordinates.forEach(function (c) { eachPoint(c, visit); });
  }

  function placeholder(el, text) {
    el.textContent = "";
    var p = document.createElement("p");
    p.className = "map-placeholder";
    p.textContent = text;
    el.appendChild(p);
  }

  function drawMap(el, collection, labels) {
    var features = collection.features.filter(function (f) { return f.geometry; });
    if (!features.length) { placeholder(el, labels.no_outline); el.dataset.mapReady = "empty"; return; }
    var byCode = {}, south = 90, north = -90;
    features.forEach(function (f) {
      byCode[f.properties.code] = f.properties;
      eachPoint(f.geometry.coordinates, function (pt) {
        south = Math.min(south, pt[1]); north = Math.max(north, pt[1]);
      });
    });
    echarts.registerMap("hotspots", { type: "FeatureCollection", features: features });
    el.textContent = "";
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var encode = echarts.format.encodeHTML;
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var a = byCode[p.name];
          return a ? "<strong>" + encode(a.name) + "</strong><br>" + encode(labels.alarms) + ": " + a.alarms : "";
        }
      },
      series: [{
        type: "map", map: "hotspots", nameProperty: "code", roam: true,
        aspectScale: Math.cos(((south + north) / 2) * Math.PI / 180),
        itemStyle: { borderColor: "#ffffff", borderWidth: 1.5 },
        label: { show: true, formatter: function (p) { return byCode[p.name] ? byCode[p.name].name : ""; } },
        select: { disabled: true },
        data: features.map(function (f) {
          var n = f.properties.alarms;
          var colour = n === 0 ? "#7cc48f" : (n === 1 ? "#f2c14e" : "#d9534f");
          return { name: f.properties.code, itemStyle: { areaColor: colour } };
        })
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.mapReady = "true";
  }

  document.querySelectorAll("[data-hotspot-map]").forEach(function (el) {
    var labels = JSON.parse(document.getElementById(el.dataset.labels).textContent);
    fetch(el.dataset.mapUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (collection) { drawMap(el, collection, labels); })
      .catch(function () { placeholder(el, labels.load_failed); el.dataset.mapReady = "error"; });
  });
})();
