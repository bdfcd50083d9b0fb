/* geogroup plan editor: the map, drawn on a canvas (no tiles, no library: it opens offline).
 *
 * Schools in Web Mercator; one colour per group (the plan's own colours, as the maps draw
 * them), leads larger with a dark ring, lead-member links, unassigned schools grey; schools of
 * a group at fault ringed in red, schools moved from the proposal ringed in violet, the
 * selected school and its group drawn over the rest. Drag to pan, wheel or buttons to zoom.
 * An optional tile layer (tiles = URL template) is drawn under the schools when it loads.
 */
(function (root) {
  'use strict';

  var LINK_LIMIT = 5000;  // above it only the selected group's links are drawn (as the maps do)
  var FAULT = '#d62728', MOVED = '#7b3fbf', GREY = '#9a9a9a', INK = '#222';

  function mercator(lon, lat) {
    var s = Math.sin(Math.max(-85, Math.min(85, lat)) * Math.PI / 180);
    return [(lon + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
  }

  function MapView(container, editor, options) {
    this.editor = editor;
    this.options = options || {};
    var D = editor.engine.D;
    this.mx = new Float64Array(D.n);
    this.my = new Float64Array(D.n);
    for (var i = 0; i < D.n; i++) {
      var m = mercator(D.lon[i], D.lat[i]);
      this.mx[i] = m[0];
      this.my[i] = m[1];
    }
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'gge-canvas';
    container.appendChild(this.canvas);
    this.ctx = this.canvas.getContext('2d');
    this.container = container;
    this.selected = -1;
    this.fault = new Uint8Array(D.n);
    this.movedSet = new Uint8Array(D.n);
    this.tiles = {};
    this.pending = false;
    this.onClick = null;
    this.onHover = null;
    this._bind();
    this.resize();
    this.fit();
  }

  MapView.prototype.resize = function () {
    var r = this.container.getBoundingClientRect(), dpr = root.devicePixelRatio || 1;
    this.width = Math.max(50, r.width);
    this.height = Math.max(50, r.height);
    this.canvas.width = Math.round(this.width * dpr);
    this.canvas.height = Math.round(this.height * dpr);
    this.canvas.style.width = this.width + 'px';
    this.canvas.style.height = this.height + 'px';
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.request();
  };

  /** Show the given schools (all by default). */
  MapView.prototype.fit = function (positions) {
    var x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity, self = this;
    var each = positions || null, n = this.mx.length;
    var visit = function (i) {
      if (isNaN(self.mx[i])) return;
      x0 = Math.min(x0, self.mx[i]); x1 = Math.max(x1, self.mx[i]);
      y0 = Math.min(y0, self.my[i]); y1 = Math.max(y1, self.my[i]);
    };
    if (each) each.forEach(visit); else for (var i = 0; i < n; i++) visit(i);
    if (!isFinite(x0)) { x0 = y0 = 0; x1 = y1 = 1; }
    var w = Math.max(x1 - x0, 1e-7), h = Math.max(y1 - y0, 1e-7);
    this.cx = (x0 + x1) / 2;
    this.cy = (y0 + y1) / 2;
    this.scale = Math.min((this.width - 120) / w, (this.height - 120) / h);
    if (each && each.length < 3) this.scale = Math.min(this.scale, 256 * Math.pow(2, 14));
    this.request();
  };

  MapView.prototype.px = function (i) {
    return [(this.mx[i] - this.cx) * this.scale + this.width / 2,
            (this.my[i] - this.cy) * this.scale + this.height / 2];
  };

  MapView.prototype.zoom = function (factor, at) {
    var ax = at ? at[0] : this.width / 2, ay = at ? at[1] : this.height / 2;
    var wx = this.cx + (ax - this.width / 2) / this.scale, wy = this.cy + (ay - this.height / 2) / this.scale;
    this.scale *= factor;
    this.cx = wx - (ax - this.width / 2) / this.scale;
    this.cy = wy - (ay - this.height / 2) / this.scale;
    this.request();
  };

  /** The school under a point of the canvas (within 9 px), or -1. */
  MapView.prototype.hit = function (x, y) {
    var best = -1, bestD = 81, e = this.editor.engine;
    for (var i = 0; i < this.mx.length; i++) {
      var dx = (this.mx[i] - this.cx) * this.scale + this.width / 2 - x;
      var dy = (this.my[i] - this.cy) * this.scale + this.height / 2 - y;
      var d = dx * dx + dy * dy - (e.isLead(i) ? 9 : 0);
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  };

  MapView.prototype._bind = function () {
    var self = this, c = this.canvas, drag = null;
    var point = function (ev) {
      var r = c.getBoundingClientRect();
      return [ev.clientX - r.left, ev.clientY - r.top];
    };
    c.addEventListener('mousedown', function (ev) {
      drag = {at: point(ev), cx: self.cx, cy: self.cy, moved: false};
    });
    root.addEventListener('mousemove', function (ev) {
      if (!drag) {
        if (ev.target === c && self.onHover) self.onHover(self.hit.apply(self, point(ev)), point(ev));
        return;
      }
      var p = point(ev), dx = p[0] - drag.at[0], dy = p[1] - drag.at[1];
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      self.cx = drag.cx - dx / self.scale;
      self.cy = drag.cy - dy / self.scale;
      self.request();
    });
    root.addEventListener('mouseup', function (ev) {
      if (drag && !drag.moved && ev.target === c && self.onClick) self.onClick(self.hit.apply(self, point(ev)));
      drag = null;
    });
    c.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      self.zoom(ev.deltaY < 0 ? 1.25 : 0.8, point(ev));
    }, {passive: false});
    if (root.ResizeObserver) new root.ResizeObserver(function () { self.resize(); }).observe(this.container);
  };

  MapView.prototype.request = function () {
    var self = this;
    if (this.pending) return;
    this.pending = true;
    (root.requestAnimationFrame || setTimeout)(function () { self.flush(); });
  };

  /** Draw now what a request asked for (once). */
  MapView.prototype.flush = function () {
    if (!this.pending) return;
    this.pending = false;
    this.draw();
  };

  MapView.prototype.color = function (g) {
    var e = this.editor.engine, name = e.groupNames[g], colors = this.editor.data.colors || {};
    if (colors[name]) return colors[name];
    var palette = this.editor.data.palette || ['#4e79a7'], h = 0;
    for (var k = 0; k < name.length; k++) h = (h * 31 + name.charCodeAt(k)) >>> 0;
    return palette[h % palette.length];
  };

  MapView.prototype._tiles = function () {
    var url = this.options.tiles;
    if (!url) return;
    var z = Math.max(0, Math.min(18, Math.round(Math.log2(this.scale / 256))));
    var n = Math.pow(2, z), size = this.scale / n, self = this;
    var x0 = Math.floor((this.cx - this.width / 2 / this.scale) * n);
    var x1 = Math.floor((this.cx + this.width / 2 / this.scale) * n);
    var y0 = Math.max(0, Math.floor((this.cy - this.height / 2 / this.scale) * n));
    var y1 = Math.min(n - 1, Math.floor((this.cy + this.height / 2 / this.scale) * n));
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > 64) return;
    for (var x = x0; x <= x1; x++) {
      for (var y = y0; y <= y1; y++) {
        var key = z + '/' + x + '/' + y, img = this.tiles[key];
        if (!img) {
          img = new Image();
          img.onload = function () { self.request(); };
          img.onerror = function () { this.failed = true; };
          img.src = url.replace('{z}', z).replace('{x}', ((x % n) + n) % n).replace('{y}', y);
          this.tiles[key] = img;
        }
        if (img.complete && !img.failed && img.naturalWidth) {
          this.ctx.drawImage(img, (x / n - this.cx) * this.scale + this.width / 2,
            (y / n - this.cy) * this.scale + this.height / 2, size + 0.5, size + 0.5);
        }
      }
    }
  };

  MapView.prototype.draw = function () {
    var ctx = this.ctx, e = this.editor.engine, D = e.D, self = this;
    var t0 = root.performance ? root.performance.now() : 0;
    ctx.fillStyle = '#f4f2ee';
    ctx.fillRect(0, 0, this.width, this.height);
    this._tiles();
    var selGroup = this.selected >= 0 && e.assigned(this.selected) ? e.group[this.selected] : -1;
    var links = D.n <= LINK_LIMIT;
    ctx.lineWidth = 1;
    e.usedGroups().forEach(function (g) {
      var G = e.cache[g];
      if ((!links && g !== selGroup) || G.leads.length !== 1) return;
      var a = self.px(G.leads[0]);
      ctx.strokeStyle = self.color(g);
      ctx.globalAlpha = selGroup >= 0 && g !== selGroup ? 0.25 : 0.7;
      ctx.lineWidth = g === selGroup ? 2 : 1;
      ctx.beginPath();
      G.members.forEach(function (i) {
        var b = self.px(i);
        ctx.moveTo(a[0], a[1]);
        ctx.lineTo(b[0], b[1]);
      });
      ctx.stroke();
    });
    ctx.globalAlpha = 1;
    var W = this.width, H = this.height;
    var drawSchool = function (i, big) {
      var p = self.px(i);
      if (p[0] < -10 || p[1] < -10 || p[0] > W + 10 || p[1] > H + 10) return;
      var lead = e.isLead(i), g = e.assigned(i) ? e.group[i] : -1;
      var r = lead ? 6 : 4;
      if (big) r += 1;
      ctx.beginPath();
      ctx.arc(p[0], p[1], r, 0, 2 * Math.PI);
      ctx.fillStyle = g >= 0 ? self.color(g) : GREY;
      ctx.globalAlpha = selGroup >= 0 && g !== selGroup ? 0.45 : (D.rural && D.rural[i] ? 0.75 : 1);
      ctx.fill();
      ctx.globalAlpha = 1;
      if (lead) { ctx.lineWidth = 2; ctx.strokeStyle = INK; ctx.stroke(); }
      if (self.movedSet[i]) {
        ctx.beginPath(); ctx.arc(p[0], p[1], r + 2.5, 0, 2 * Math.PI);
        ctx.lineWidth = 2; ctx.strokeStyle = MOVED; ctx.stroke();
      }
      if (self.fault[i]) {
        ctx.beginPath(); ctx.arc(p[0], p[1], r + (self.movedSet[i] ? 5 : 2.5), 0, 2 * Math.PI);
        ctx.lineWidth = 2; ctx.strokeStyle = FAULT; ctx.stroke();
      }
    };
    for (var i = 0; i < D.n; i++) if (!(selGroup >= 0 && e.group[i] === selGroup)) drawSchool(i, false);
    if (selGroup >= 0) e.cache[selGroup].at.forEach(function (k) { drawSchool(k, true); });
    if (this.selected >= 0) {
      drawSchool(this.selected, true);
      var p = this.px(this.selected);
      ctx.beginPath(); ctx.arc(p[0], p[1], 12, 0, 2 * Math.PI);
      ctx.lineWidth = 3; ctx.strokeStyle = INK; ctx.stroke();
    }
    this.lastDrawMs = root.performance ? root.performance.now() - t0 : 0;
  };

  root.geogroupEditorMap = {MapView: MapView, mercator: mercator};
})(typeof window !== 'undefined' ? window : globalThis);
