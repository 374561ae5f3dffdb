// The epidemic curve and the Rt chart of an area page, from the JSON the view embeds.
(function () {
  "use strict";
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var curve = data("curve-data");
  var curveNode = document.getElementById("curve-chart");
  if (curve && curveNode) {
    var n = curve.names;
    echarts.init(curveNode).setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [n.observed, n.expected, n.upper, n.alarm] },
      grid: { left: 48, right: 16, top: 40, bottom: 48 },
      xAxis: { type: "category", data: curve.labels },
      yAxis: { type: "value", min: 0 },
      series: [
        { name: n.observed, type: "bar", data: curve.observed, itemStyle: { color: "#7a9cc6" } },
        { name: n.expected, type: "line", data: curve.expected, showSymbol: false,
          lineStyle: { color: "#2e7d32" }, itemStyle: { color: "#2e7d32" } },
        { name: n.upper, type: "line", data: curve.upper, showSymbol: false,
          lineStyle: { type: "dashed", color: "#c62828" }, itemStyle: { color: "#c62828" } },
        // Alarms are their own series so that they show in the legend and can be counted.
        { name: n.alarm, type: "scatter", data: curve.alarms, symbol: "triangle",
          symbolSize: 14, itemStyle: { color: "#b71c1c" }, z: 5 }
      ]
    });
  }

  var rt = data("rt-data");
  var rtNode = document.getElementById("rt-chart");
  if (rt && rtNode) {
    var m = rt.names;
    var projected = rt.projection.map(function (p) { return p.date; });
    var labels = rt.labels.concat(projected);
    var pad = projected.map(function () { return null; });
    var lead = rt.labels.map(function () { return null; });
    // The band is drawn as a stack: the lower bound (invisible), then the width above it.
    var width = rt.upper.map(function (u, i) {
      return u === null || rt.lower[i] === null ? null : u - rt.lower[i];
    });
    var projLow = lead.concat(rt.projection.map(function (p) { return p.low; }));
    var projWidth = lead.concat(rt.projection.map(function (p) { return p.high - p.low; }));
    echarts.init(rtNode).setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [m.rt, m.band, m.projection, m.projectionBand] },
      grid: { left: 48, right: 48, top: 40, bottom: 48 },
      xAxis: { type: "category", data: labels },
      yAxis: [
        { type: "value", name: "Rt", min: 0 },
        { type: "value", name: m.projection, min: 0, splitLine: { show: false } }
      ],
      series: [
        { name: "lower", type: "line", data: rt.lower.concat(pad), stack: "band",
          lineStyle: { opacity: 0 }, showSymbol: false, tooltip: { show: false } },
        { name: m.band, type: "line", data: width.concat(pad), stack: "band",
          lineStyle: { opacity: 0 }, showSymbol: false, areaStyle: { color: "#f4c7a1" },
          itemStyle: { color: "#f4c7a1" } },
        { name: m.rt, type: "line", data: rt.mean.concat(pad), showSymbol: false,
          lineStyle: { color: "#d35400" }, itemStyle: { color: "#d35400" },
          markLine: { silent: true, symbol: "none", data: [{ yAxis: 1 }],
                      lineStyle: { color: "#555", type: "dotted" } } },
        { name: "projection low", type: "line", yAxisIndex: 1, data: projLow,
          stack: "projection", lineStyle: { opacity: 0 }, showSymbol: false,
          tooltip: { show: false } },
        { name: m.projectionBand, type: "line", yAxisIndex: 1, data: projWidth,
          stack: "projection", lineStyle: { opacity: 0 }, showSymbol: false,
          areaStyle: { color: "#d9c2e9" }, itemStyle: { color: "#d9c2e9" } },
        { name: m.projection, type: "line", yAxisIndex: 1, showSymbol: false,
          data: lead.concat(rt.projection.map(function (p) { return p.median; })),
          lineStyle: { type: "dashed", color: "#6a1b9a" }, itemStyle: { color: "#6a1b9a" } }
      ]
    });
  }
})();
