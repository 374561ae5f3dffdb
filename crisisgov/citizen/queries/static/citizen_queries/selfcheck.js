// The close-contact self-check. The itinerary is typed, kept (localStorage) and compared with
// the published exposures here, in the browser: this script sends nothing but one GET of the
// published document, which is the same for everyone. Keep tripKey() the same as
// crisisgov/citizen/queries/rules.py::trip_number_key.
(function () {
  "use strict";
  var STORE = "crisisgov.selfcheck.v1";
  var root = document.getElementById("self-check");
  var L = JSON.parse(document.getElementById("self-check-labels").textContent);
  var published = null;

  function $(id) { return document.getElementById(id); }
  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return values[key] == null ? "" : values[key]; });
  }
  function fold(text) {
    return (text || "").normalize("NFKC").toUpperCase().replace(/[\s\-_·.．、/]+/g, "");
  }
  var PREFIXES = ["轨道交通", "公交", "地铁", "航班", "BUS", "METRO", "LINE", "FLIGHT", "NO"];
  var SUFFIXES = ["号线", "路", "线", "次", "航班"];
  function tripKey(number) {
    var key = fold(number), i;
    for (i = 0; i < PREFIXES.length; i++) {
      if (key.indexOf(PREFIXES[i]) === 0 && key.length > PREFIXES[i].length) { key = key.slice(PREFIXES[i].length); break; }
    }
    for (i = 0; i < SUFFIXES.length; i++) {
      var s = SUFFIXES[i];
      if (key.length > s.length && key.slice(-s.length) === s) { key = key.slice(0, -s.length); break; }
    }
    return /^[0-9A-Z\u4e00-\u9fff]{1,20}$/.test(key) ? key : null;
  }
  // Published times carry the city's offset; the citizen types the city's wall time. Both are
  // compared as "YYYY-MM-DDTHH:MM" text, whatever zone this device is set to.
  function wall(iso) { return (iso || "").slice(0, 16); }
  function shown(wallTime) { return wallTime.replace("T", " "); }

  function load() {
    try {
      var saved = JSON.parse(localStorage.getItem(STORE) || "null");
      if (saved && Array.isArray(saved.places) && Array.isArray(saved.trips)) {
        // Entries older than three weeks no longer matter: they are dropped, not kept forever.
        var cutoff = new Date(Date.now() - 21 * 864e5).toISOString().slice(0, 10);
        saved.places = saved.places.filter(function (p) { return (p.to || "").slice(0, 10) >= cutoff; });
        saved.trips = saved.trips.filter(function (t) { return (t.date || "") >= cutoff; });
        return saved;
      }
    } catch (e) { /* a damaged entry is replaced */ }
    return { places: [], trips: [] };
  }
  var itinerary = load();
  function save() { localStorage.setItem(STORE, JSON.stringify(itinerary)); }

  function venueName(v) { return (L.lang === "en" && v.name_en) ? v.name_en : v.name_zh; }
  function sameVenue(a, b) { return a.name_zh === b.name_zh && a.address === b.address; }

  function placeMatches(entry) {
    if (!published) return [];
    var chosen = null;
    published.venues.forEach(function (v) { if (String(v.id) === String(entry.venue)) chosen = v; });
    var typed = fold(entry.name);
    return published.venues.filter(function (v) {
      var named;
      if (chosen) named = sameVenue(chosen, v);
      else named = typed.length >= 2 && [v.name_zh, v.name_en, v.address].some(function (text) {
        var f = fold(text);
        return f.length >= 2 && (f.indexOf(typed) >= 0 || typed.indexOf(f) >= 0);
      });
      return named && entry.from < wall(v.end) && wall(v.start) < entry.to;
    });
  }
  function tripMatches(entry) {
    if (!published) return [];
    return published.trips.filter(function (t) { return t.key === entry.key && t.date === entry.date; });
  }

  function li(text, className) {
    var item = document.createElement("li");
    if (className) item.className = className;
    item.appendChild(document.createTextNode(text));
    return item;
  }
  function render() {
    var list = $("itinerary");
    list.textContent = "";
    itinerary.places.forEach(function (p, index) { list.appendChild(entryItem(p.name + " · " + shown(p.from) + " – " + shown(p.to), "places", index)); });
    itinerary.trips.forEach(function (t, index) { list.appendChild(entryItem(t.number + " · " + t.date, "trips", index)); });
    // Not the hidden attribute: the .meta rule's display would win over it.
    $("itinerary-empty").style.display = itinerary.places.length + itinerary.trips.length ? "none" : "";
    renderResult();
  }
  function entryItem(text, kind, index) {
    var item = li(text);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = L.remove;
    remove.addEventListener("click", function () { itinerary[kind].splice(index, 1); save(); render(); });
    item.appendChild(remove);
    return item;
  }
  function renderResult() {
    var out = $("result");
    out.textContent = "";
    if (!published) return;
    var hits = [];
    itinerary.places.forEach(function (p) {
      placeMatches(p).forEach(function (v) {
        hits.push(format(L.place_overlap, { place: venueName(v), from: shown(p.from), to: shown(p.to), start: shown(wall(v.start)), end: shown(wall(v.end)) }));
      });
    });
    itinerary.trips.forEach(function (t) {
      tripMatches(t).forEach(function (s) {
        hits.push(format(L.trip_overlap, { number: s.number, date: s.date, from: s.from, to: s.to, carriage: s.carriage }));
      });
    });
    var status = document.createElement("p");
    status.id = "verdict";
    var list = document.createElement("ul");
    list.className = "cq-list";
    if (hits.length) {
      status.className = "risk risk-high";
      status.textContent = L.match_title;
      hits.forEach(function (h) { list.appendChild(li(h)); });
      out.appendChild(status);
      out.appendChild(list);
      var advice = document.createElement("p");
      advice.textContent = L.advice;
      out.appendChild(advice);
    } else {
      status.className = "risk risk-low";
      status.textContent = itinerary.places.length + itinerary.trips.length ? L.none : L.empty;
      out.appendChild(status);
    }
    var meta = document.createElement("p");
    meta.className = "meta";
    meta.textContent = format(L.as_of, { date: published.as_of, venues: published.venues.length, trips: published.trips.length });
    out.appendChild(meta);
  }
  function say(text) {
    var out = $("result");
    out.textContent = "";
    var p = document.createElement("p");
    p.className = "errors";
    p.setAttribute("role", "alert");
    p.textContent = text;
    out.appendChild(p);
  }

  $("place-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var select = $("place-venue");
    var name = $("place-name").value.trim();
    if (select.value) name = select.options[select.selectedIndex].textContent;
    var entry = { venue: select.value || null, name: name, from: $("place-from").value, to: $("place-to").value };
    if (!entry.venue && fold(name).length < 2) { say(L.need_place); return; }
    if (!entry.from || !entry.to || entry.to <= entry.from) { say(L.bad_window); return; }
    itinerary.places.push(entry);
    save();
    event.target.reset();
    render();
  });
  $("trip-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var number = $("trip-number").value.trim();
    var key = tripKey(number);
    if (!key) { say(L.bad_number); return; }
    itinerary.trips.push({ number: number, key: key, date: $("trip-date").value });
    save();
    event.target.reset();
    render();
  });
  $("forget").addEventListener("click", function () {
    itinerary = { places: [], trips: [] };
    localStorage.removeItem(STORE);
    render();
  });

  fetch(root.getAttribute("data-document"), { credentials: "omit", headers: { Accept: "application/json" } })
    .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
    .then(function (document_) {
      published = document_;
      var select = $("place-venue");
      var listed = {};
      published.venues.forEach(function (v) {
        if (listed[v.name_zh + "|" + v.address]) return;  // one option per place, any windows
        listed[v.name_zh + "|" + v.address] = true;
        var option = document.createElement("option");
        option.value = v.id;
        option.textContent = venueName(v) + (v.address ? " (" + v.address + ")" : "");
        select.appendChild(option);
      });
      render();
    })
    .catch(function () { say(L.load_failed); });
  render();
})();
