/* geoplan offline map helpers (part of geoplan, MIT licence).
 * Needs only Leaflet (inlined beside it). Loads nothing from the network.
 * Exposes window.geoplan: factories used by the generated map script, and a
 * small registry (geoplan.maps, geoplan.ready, timings) that tests read.
 */
(function () {
  "use strict";
  var G = (window.geoplan = window.geoplan || {});
  G.maps = G.maps || [];
  G.ready = false;
  G.marks = [["start", performance.now()]]; /* [what, ms since navigation] after each step */

  var ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  G.esc = function (s) {
    return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  };

  /* A two-column table of labels and (already formatted) values. */
  G.table = function (title, labels, values) {
    var h = title ? '<div class="geoplan-tt-title">' + G.esc(title) + "</div>" : "";
    if (!labels.length) { return h; }
    h += '<table class="geoplan-tt">';
    for (var i = 0; i < labels.length; i++) {
      h += "<tr><th>" + G.esc(labels[i]) + "</th><td>" + G.esc(values[i]) + "</td></tr>";
    }
    return h + "</table>";
  };

  /* Panes: land fill under everything, cells under outlines, town labels above
   * markers (text with a halo stays readable next to a hospital symbol). */
  var PANES = [
    ["geoplanLand", 250, false],
    ["geoplanCells", 395, true],
    ["geoplanOutlines", 450, false],
    ["geoplanLabels", 610, false]
  ];

  /* Called once per map right after folium creates it. */
  G.setup = function (map, o) {
    PANES.forEach(function (p) {
      var el = map.createPane(p[0]);
      el.style.zIndex = p[1];
      if (!p[2]) { el.style.pointerEvents = "none"; }
    });
    var c = map.getContainer();
    c.classList.add("geoplan-map");
    c.setAttribute("lang", o.lang);
    map.geoplan = { layers: {}, legends: [], lang: o.lang };
    G.maps.push(map);
    if (o.title || o.caption) { G.title(map, o.title, o.caption); }
    L.control.zoom({ position: "topleft", zoomInTitle: o.zoomIn, zoomOutTitle: o.zoomOut }).addTo(map);
    new G.Fullscreen({ title: o.fullscreen, target: o.fullscreenTarget }).addTo(map);
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
    map.attributionControl.setPrefix(false);
  };

  /* Title and one-line caption, top left above the zoom buttons. */
  G.title = function (map, title, caption) {
    var ctl = L.control({ position: "topleft" });
    ctl.onAdd = function () {
      var d = L.DomUtil.create("div", "geoplan-title leaflet-control");
      d.innerHTML = '<div class="geoplan-title-main">' + G.esc(title || "") + "</div>" +
        (caption ? '<div class="geoplan-caption">' + G.esc(caption) + "</div>" : "");
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      /* leave room for the controls on the right (the layer control: wide on a desktop, a
       * button on a phone), so the title never runs under them */
      var fit = function () {
        var right = map.getContainer().querySelector(".leaflet-top.leaflet-right");
        var reserve = right && right.offsetWidth ? right.offsetWidth + 30 : 330;
        d.style.maxWidth = Math.max(180, map.getSize().x - reserve) + "px";
      };
      fit();
      setTimeout(fit, 0);
      map.on("resize", fit);
      return d;
    };
    ctl.addTo(map);
    return ctl;
  };

  /* Legend control. items: [[swatchHtml, label], ...]. With a layer, it shows only
   * while that layer is on the map. */
  G.legend = function (map, o) {
    var ctl = L.control({ position: o.position || "bottomright" });
    ctl.onAdd = function () {
      var d = L.DomUtil.create("div", "geoplan-legend leaflet-control");
      var h = o.title ? '<div class="geoplan-legend-title">' + G.esc(o.title) + "</div>" : "";
      o.items.forEach(function (it) {
        h += '<div class="geoplan-legend-item">' + it[0] + "<span>" + G.esc(it[1]) + "</span></div>";
      });
      d.innerHTML = h;
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      return d;
    };
    ctl.addTo(map);
    map.geoplan.legends.push(ctl);
    if (o.layer) {
      var el = ctl.getContainer();
      var sync = function () { el.style.display = map.hasLayer(o.layer) ? "" : "none"; };
      // Leaflet updates hasLayer() before it fires add/remove, so sync now;
      // sync once more after the event in case a lazy layer swaps itself in.
      o.layer.on("add remove", function () { sync(); setTimeout(sync, 0); });
      sync();
    }
    return ctl;
  };

  /* Data of a layer: a <script type="application/json"> block in the body,
   * parsed once (and then removed from the page). */
  G.data = function (id) {
    var el = document.getElementById(id);
    var d = JSON.parse(el.textContent);
    el.parentNode.removeChild(el);
    return d;
  };

  /* The page's geometry pool: every geometry once; layers refer to indices. */
  G.geoms = function () {
    if (!G._geoms) { G._geoms = G.data("geoplan_geoms"); }
    return G._geoms;
  };

  /* A FeatureCollection from a layer's {i: [geometry index], p: [properties]}. */
  G.features = function (d) {
    var pool = G.geoms();
    var fs = new Array(d.i.length);
    for (var j = 0; j < d.i.length; j++) {
      fs[j] = { type: "Feature", geometry: pool[d.i[j]], properties: d.p[j] };
    }
    return { type: "FeatureCollection", features: fs };
  };

  /* An L.geoJSON layer filled from data block `id`: now when shown at start,
   * else on first being switched on (hidden layers cost nothing at load). */
  function geoLayer(id, show, opts) {
    var layer = L.geoJSON(null, opts);
    var fill = function () { layer.addData(G.features(G.data(id))); };
    if (show) { fill(); } else { layer.once("add", fill); }
    return layer;
  }

  /* One canvas per map for all interactive areas (municipalities, cells), so
   * hover goes to the topmost area drawn, as with SVG, and a hidden cells layer
   * lets the municipalities under it take the mouse. */
  function areaRenderer(map) {
    if (!map.geoplan.area) { map.geoplan.area = L.canvas({ pane: "geoplanCells", tolerance: 0 }); }
    return map.geoplan.area;
  }

  function register(map, name, layer) {
    G.marks.push([name, performance.now()]);
    map.geoplan.layers[name] = layer;
    return layer;
  }

  /* Region outline: a pale land fill (under everything) and a bold border line. */
  G.region = function (map, name, id) {
    var data = G.features(G.data(id));
    var fill = L.geoJSON(data, {
      pane: "geoplanLand", interactive: false,
      style: { stroke: false, fill: true, fillColor: "#fbf8ef", fillOpacity: 0.55 }
    });
    var line = L.geoJSON(data, {
      pane: "geoplanOutlines", interactive: false,
      style: { color: "#222", weight: 2.6, opacity: 0.9, fill: false }
    });
    map.geoplan.regionBounds = fill.getBounds(); /* printing fits the whole region */
    return register(map, name, L.featureGroup([fill, line]));
  };

  /* Non-interactive outlines (municipal borders). */
  G.outlines = function (map, name, id, show, style) {
    return register(map, name, geoLayer(id, show, {
      pane: "geoplanOutlines", interactive: false, style: L.extend({ fill: false }, style)
    }));
  };

  /* Town labels: rows [lat, lon, name, sizeClass]. */
  G.towns = function (map, name, id) {
    var g = L.layerGroup();
    G.data(id).forEach(function (r) {
      L.marker([r[0], r[1]], {
        pane: "geoplanLabels", interactive: false, keyboard: false,
        icon: L.divIcon({
          className: "geoplan-town geoplan-town-" + r[3], iconSize: [0, 0],
          html: '<span class="geoplan-town-dot"></span><span class="geoplan-town-label">' +
            G.esc(r[2]) + "</span>"
        })
      }).addTo(g);
    });
    return register(map, name, g);
  };

  /* One tooltip for a whole GeoJSON layer (cheap for thousands of features):
   * properties.v holds preformatted values, properties.n an optional heading. */
  function groupTooltip(layer, labels) {
    layer.bindTooltip(function (l) {
      var p = l.feature.properties;
      return G.table(p.n, labels, p.v || []);
    }, { sticky: true, className: "geoplan-tooltip" });
  }

  /* Interactive municipality polygons with key-number tooltips. */
  G.municipalities = function (map, name, id, show, o) {
    var base = { color: "#333", weight: 1.2, opacity: 0.8, fillColor: "#ffffff", fillOpacity: 0.05 };
    var layer = geoLayer(id, show, { pane: "geoplanCells", renderer: areaRenderer(map), style: base });
    groupTooltip(layer, o.labels);
    /* keep municipalities under any cells in the shared canvas */
    layer.on("add", function () { setTimeout(function () { layer.bringToBack(); }, 0); });
    layer.on("mouseover", function (e) { e.layer.setStyle({ weight: 3, fillColor: "#ffe680", fillOpacity: 0.35 }); });
    layer.on("mouseout", function (e) { e.layer.setStyle(base); });
    return register(map, name, layer);
  };

  /* Rings of a GeoJSON (Multi)Polygon as Leaflet [lat, lng] arrays: [[outer, hole...], ...]. */
  function polys(geom) {
    var c = geom.type === "Polygon" ? [geom.coordinates] :
      geom.type === "MultiPolygon" ? geom.coordinates : [];
    return c.map(function (poly) {
      return poly.map(function (ring) {
        return ring.map(function (p) { return [p[1], p[0]]; });
      });
    });
  }

  /* Even-odd point-in-polygon over every ring of a GeoJSON (Multi)Polygon. */
  function inside(geom, x, y) {
    var c = geom.type === "Polygon" ? [geom.coordinates] :
      geom.type === "MultiPolygon" ? geom.coordinates : [];
    var hit = false;
    for (var a = 0; a < c.length; a++) {
      for (var r = 0; r < c[a].length; r++) {
        var ring = c[a][r];
        for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
          var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
          if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { hit = !hit; }
        }
      }
    }
    return hit;
  }

  /* A uniform-grid index of geometries by bounding box: find(lng, lat) -> index or -1. */
  function GridIndex(geoms) {
    var n = geoms.length, bb = new Float64Array(4 * n), ws = [], hs = [];
    for (var k = 0; k < n; k++) {
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      var c = geoms[k].type === "Polygon" ? [geoms[k].coordinates] : geoms[k].coordinates || [];
      for (var a = 0; a < c.length; a++) {
        var ring = c[a][0];
        for (var i = 0; i < ring.length; i++) {
          var p = ring[i];
          if (p[0] < x0) { x0 = p[0]; } if (p[0] > x1) { x1 = p[0]; }
          if (p[1] < y0) { y0 = p[1]; } if (p[1] > y1) { y1 = p[1]; }
        }
      }
      bb[4 * k] = x0; bb[4 * k + 1] = y0; bb[4 * k + 2] = x1; bb[4 * k + 3] = y1;
      if (x1 > x0) { ws.push(x1 - x0); hs.push(y1 - y0); }
    }
    var median = function (v) { v.sort(function (p, q) { return p - q; }); return v.length ? v[v.length >> 1] : 0.01; };
    this.dx = median(ws) || 0.01;
    this.dy = median(hs) || 0.01;
    this.bb = bb;
    this.geoms = geoms;
    this.cells = new Map();
    for (k = 0; k < n; k++) {
      if (!(bb[4 * k] <= bb[4 * k + 2])) { continue; }
      for (var gx = Math.floor(bb[4 * k] / this.dx); gx <= Math.floor(bb[4 * k + 2] / this.dx); gx++) {
        for (var gy = Math.floor(bb[4 * k + 1] / this.dy); gy <= Math.floor(bb[4 * k + 3] / this.dy); gy++) {
          var key = gx * 1e6 + gy;
          var list = this.cells.get(key);
          if (list) { list.push(k); } else { this.cells.set(key, [k]); }
        }
      }
    }
  }
  GridIndex.prototype.find = function (x, y) {
    var list = this.cells.get(Math.floor(x / this.dx) * 1e6 + Math.floor(y / this.dy)) || [];
    var bb = this.bb;
    for (var i = 0; i < list.length; i++) {
      var k = list[i];
      if (x >= bb[4 * k] && x <= bb[4 * k + 2] && y >= bb[4 * k + 1] && y <= bb[4 * k + 3] &&
          inside(this.geoms[k], x, y)) { return k; }
    }
    return -1;
  };

  /* Classified cells: ONE layer; properties.b is the colour band. Cells of one
   * band are drawn as one multipolygon (thousands of cells open in a fraction
   * of a second, and no seams between neighbours); a grid index finds the cell
   * under the mouse for its tooltip and outline. */
  G.cells = function (map, name, id, show, o) {
    var renderer = o.canvas ? areaRenderer(map) : L.svg({ pane: "geoplanCells" });
    var group = L.featureGroup();
    var info = { count: 0 };
    group.geoplanCells = info;
    map.getPane("geoplanCells").style.opacity = o.opacity;
    var build = function () {
      var d = G.data(id), pool = G.geoms(), n = d.i.length;
      var geoms = new Array(n), bands = {};
      for (var j = 0; j < n; j++) {
        var g = geoms[j] = pool[d.i[j]];
        var b = d.p[j].b;
        (bands[b] = bands[b] || []).push.apply(bands[b], polys(g));
      }
      Object.keys(bands).sort(function (p, q) { return p - q; }).forEach(function (b) {
        var c = o.colors[b];
        L.polygon(bands[b], {
          pane: "geoplanCells", renderer: renderer, interactive: o.labels.length > 0,
          stroke: true, color: c, weight: 0.7, opacity: 1, fill: true, fillColor: c, fillOpacity: 1
        }).addTo(group);
      });
      info.count = n;
      info.props = function (k) { return d.p[k]; };
      info.center = function (k) { return L.latLngBounds(polys(geoms[k])[0][0]).getCenter(); };
      if (o.labels.length) { hover(map, group, new GridIndex(geoms), d.p, o.labels); }
    };
    if (show) { build(); } else { group.once("add", build); }
    return register(map, name, group);
  };

  /* Tooltip and outline of the cell under the mouse (or under a tap). */
  function hover(map, group, index, props, labels) {
    var tip = L.tooltip({ direction: "right", offset: [14, 0], className: "geoplan-tooltip" });
    var outline = L.polygon([], {
      pane: "geoplanOutlines", interactive: false, fill: false, color: "#000", weight: 2.5
    });
    var current = -1;
    var hide = function () {
      current = -1;
      map.closeTooltip(tip);
      outline.remove();
    };
    var show = function (e) {
      var k = index.find(e.latlng.lng, e.latlng.lat);
      if (k < 0) { hide(); return; }
      if (k !== current) {
        current = k;
        tip.setContent(G.table(props[k].n, labels, props[k].v || []));
        outline.setLatLngs(polys(index.geoms[k]));
        if (!map.hasLayer(outline)) { outline.addTo(map); }
      }
      tip.setLatLng(e.latlng);
      if (!map.hasLayer(tip)) { map.openTooltip(tip); }
    };
    group.on("mousemove click", show);
    group.on("mouseout remove", hide);
  }

  /* Lines (cut road links, ferries): rows carry an optional tooltip in properties.n. */
  G.lines = function (map, name, id, show, style) {
    var layer = geoLayer(id, show, { style: style });
    layer.bindTooltip(function (l) { return G.esc(l.feature.properties.n || name); }, { sticky: true });
    return register(map, name, layer);
  };

  /* Facility markers: rows [lat, lon, label, popupHtml]; o.svg is the symbol. */
  G.facilities = function (map, name, id, show, o) {
    var rows = G.data(id);
    var g = L.featureGroup();
    var s = o.size;
    var icon = L.divIcon({
      className: "geoplan-sym geoplan-sym-" + o.kind, html: o.svg,
      iconSize: [s, s], iconAnchor: [s / 2, s / 2], tooltipAnchor: [s / 2, 0], popupAnchor: [0, -s / 2]
    });
    rows.forEach(function (r) {
      var m = L.marker([r[0], r[1]], { icon: icon, keyboard: false, riseOnHover: true, alt: r[2] || "" });
      if (r[2]) { m.bindTooltip(G.esc(r[2]), { direction: "right", className: "geoplan-tooltip" }); }
      if (r[3]) { m.bindPopup(r[3], { maxWidth: 320 }); }
      m.addTo(g);
    });
    return register(map, name, g);
  };

  /* Full-screen button (Fullscreen API); hidden where the browser forbids it. */
  G.Fullscreen = L.Control.extend({
    options: { position: "topleft", title: "Full screen", target: "map" },
    onAdd: function (map) {
      var c = L.DomUtil.create("div", "leaflet-bar leaflet-control geoplan-fullscreen");
      var a = L.DomUtil.create("a", "", c);
      a.href = "#";
      a.title = this.options.title;
      a.setAttribute("role", "button");
      a.setAttribute("aria-label", this.options.title);
      a.innerHTML = '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">' +
        '<path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" fill="none" stroke="#333" stroke-width="2"/></svg>';
      var target = this.options.target === "page" ? document.documentElement : map.getContainer();
      if (!document.fullscreenEnabled) { c.style.display = "none"; }
      L.DomEvent.on(a, "click", function (e) {
        L.DomEvent.stop(e);
        if (document.fullscreenElement) { document.exitFullscreen(); }
        else if (target.requestFullscreen) { target.requestFullscreen(); }
      });
      document.addEventListener("fullscreenchange", function () {
        setTimeout(function () { map.invalidateSize(); }, 50);
      });
      return c;
    }
  });

  /* Map.sync(other): keep other's view equal to this one's (folium's DualMap calls
   * m1.sync(m2) and m2.sync(m1)). A small offline stand-in for Leaflet.Sync. */
  L.Map.include({
    sync: function (other) {
      var self = this;
      this._geoplanSync = this._geoplanSync || [];
      this._geoplanSync.push(other);
      if (!this._geoplanSyncOn) {
        this._geoplanSyncOn = true;
        this.on("move zoomend", function () {
          if (self._geoplanSyncing) { return; }
          self._geoplanSync.forEach(function (o) {
            o._geoplanSyncing = true;
            o.setView(self.getCenter(), self.getZoom(), { animate: false });
            o._geoplanSyncing = false;
          });
        });
      }
      return this;
    }
  });

  /* Printing: the whole region on the page. Before printing (or when print media is
   * emulated) each map is resized to the page and fitted to the region; afterwards the
   * reader's view comes back. The print CSS hides the layer control and zoom buttons. */
  G.printMode = function (on) {
    G.maps.forEach(function (map) {
      var st = map.geoplan;
      if (on && !st.printView) {
        st.printView = { center: map.getCenter(), zoom: map.getZoom() };
        map.invalidateSize({ animate: false, pan: false });
        var b = st.regionBounds;
        if (b && b.isValid()) { map.fitBounds(b, { animate: false, padding: [6, 6] }); }
      } else if (!on && st.printView) {
        map.invalidateSize({ animate: false, pan: false });
        map.setView(st.printView.center, st.printView.zoom, { animate: false });
        st.printView = null;
      }
    });
  };
  (function () {
    var onChange = function (e) { G.printMode(!!e.matches); };
    var mq = window.matchMedia ? window.matchMedia("print") : null;
    if (mq && mq.addEventListener) { mq.addEventListener("change", onChange); }
    else if (mq && mq.addListener) { mq.addListener(onChange); }
    window.addEventListener("beforeprint", function () { G.printMode(true); });
    window.addEventListener("afterprint", function () { G.printMode(false); });
  })();

  /* Small screens (<= 600 px wide, geoplan-map.css): the layer control shows only its
   * button until tapped, so it does not cover the map; a tap on the map closes it. */
  G.collapsibleLayers = function (map) {
    var ctl = map.getContainer().querySelector(".leaflet-control-layers");
    if (!ctl || ctl.classList.contains("geoplan-layers-collapsible")) { return; }
    ctl.classList.add("geoplan-layers-collapsible");
    var link = ctl.querySelector(".leaflet-control-layers-toggle");
    if (link) {
      link.setAttribute("role", "button");
      link.setAttribute("aria-expanded", "false");
      L.DomEvent.on(link, "click", function (e) {
        L.DomEvent.stop(e);
        var open = ctl.classList.toggle("geoplan-layers-open");
        link.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    map.on("click", function () {
      ctl.classList.remove("geoplan-layers-open");
      if (link) { link.setAttribute("aria-expanded", "false"); }
    });
  };

  /* Last statement of the page script: timings for tests and benchmarks. */
  G.done = function () {
    G.maps.forEach(G.collapsibleLayers);
    if (window.matchMedia && window.matchMedia("print").matches) { G.printMode(true); }
    G.scriptDoneMs = performance.now();
    G.marks.push(["script done", G.scriptDoneMs]);
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        G.paintedMs = performance.now();
        G.ready = true;
      });
    });
  };
})();
