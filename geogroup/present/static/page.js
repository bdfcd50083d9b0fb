function geogroupUnescape(s) {
  var raw = {lt: '<', gt: '>', quot: '"', '#x27': "'", amp: '&'};
  return String(s).replace(/&(lt|gt|quot|#x27|amp);/g, function (m, e) { return raw[e]; });
}
function geogroupOr(v) { return (v === null || v === undefined || v === '') ? '—' : v; }
function geogroupCode(v) {
  return (v === null || v === undefined) ? '—' : (geogroup_text['v:' + v] || v);
}
function geogroupRow(k, v) { return '<tr><th>' + geogroup_text[k] + '</th><td>' + v + '</td></tr>'; }
function geogroupGroup(g) {
  var rows = geogroupRow('lead', g[2] === null ? '—' : g[1] + ' (' + g[2] + ')')
    + geogroupRow('size', geogroupOr(g[3]) + ' (1+' + geogroupOr(g[4]) + ')')
    + geogroupRow('mean_quality', geogroupOr(g[5]))
    + geogroupRow('mean_distance', geogroupOr(g[6]) + ' ' + geogroup_text.km);
  if (g[7] !== null && g[7] !== undefined) rows += geogroupRow('urban_rural', g[7] + ' / ' + g[8]);
  return '<div class="gg-group"><div class="gg-title">' + geogroup_text.group + ' ' + g[0]
    + '</div><table>' + rows + '</table></div>';
}
function geogroupSchool(p, groups) {
  var rows = geogroupRow('id', p.id) + geogroupRow('role', geogroupCode(p.r))
    + geogroupRow('group', p.g >= 0 ? groups[p.g][0] : '—')
    + geogroupRow('quality', geogroupOr(p.q)) + geogroupRow('area', geogroupCode(p.a))
    + geogroupRow('level', geogroupCode(p.l)) + geogroupRow('students', geogroupOr(p.st))
    + geogroupRow('teachers', geogroupOr(p.te));
  if (p.g >= 0) rows += geogroupRow('distance', geogroupOr(p.d) + ' ' + geogroup_text.km);
  if (p.g >= 0 && p.tm !== undefined) rows += geogroupRow('travel_time', p.tm + ' ' + geogroup_text.minutes);
  if (p.g >= 0 && p.sl !== undefined) rows += geogroupRow('straight', p.sl + ' ' + geogroup_text.km);
  if (p.why) rows += geogroupRow('reason', p.why);
  return '<div class="gg-pop"><div class="gg-title">' + p.name + '</div><table>' + rows
    + '</table>' + (p.g >= 0 ? geogroupGroup(groups[p.g]) : '')
    + (p.note ? '<div class="gg-note">' + p.note + '</div>' : '') + '</div>';
}
function geogroupFeature(kind, groups, styles, feature, layer) {
  var p = feature.properties;
  p.kind = p.kind || kind;
  if (p.s !== undefined) p.style = styles[p.s];
  if (kind === 'school') {
    p.label = geogroupUnescape(p.name) + ' (' + geogroupUnescape(p.id) + ')';  // text only
    layer.bindTooltip(p.name || p.id);
    layer.bindPopup(function () { return geogroupSchool(p, groups); }, {maxWidth: 360});
  } else if (kind === 'area') {
    layer.bindTooltip(geogroup_text.group + ' ' + groups[p.g][0]);
    layer.bindPopup(function () { return '<div class="gg-pop">' + geogroupGroup(groups[p.g])
      + '</div>'; }, {maxWidth: 360});
  }
}
// Schools arrive as columns (one list per property, x and y the coordinates): one GeoJSON
// point each, a missing (null) property left out.
function geogroupPoints(c) {
  var keys = Object.keys(c).filter(function (k) { return k !== 'x' && k !== 'y'; });
  var features = new Array(c.x.length);
  for (var i = 0; i < c.x.length; i++) {
    var p = {};
    for (var j = 0; j < keys.length; j++) {
      var v = c[keys[j]][i];
      if (v !== null) p[keys[j]] = v;
    }
    features[i] = {type: 'Feature', properties: p,
      geometry: {type: 'Point', coordinates: [c.x[i], c.y[i]]}};
  }
  return {type: 'FeatureCollection', features: features};
}
function geogroupLayer(data, kind, groups, styles, interactive) {
  return L.geoJSON(data.type ? data : geogroupPoints(data), {
    interactive: interactive,
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, {interactive: interactive});
    },
    style: function (feature) {
      var p = feature.properties;
      return p.s !== undefined ? styles[p.s] : p.style;
    },
    onEachFeature: function (feature, layer) {
      geogroupFeature(kind, groups, styles, feature, layer);
    }
  });
}
// Text labels ([lon, lat, escaped HTML text, colour, short text] each) that take no clicks.
// With collide, they are placed in their order (the larger groups first) while they do
// not overlap one placed before, the short text (the group's id) tried when the whole one
// does not fit: a county's groups are named, a crowded centre as far as room allows, and
// when more than 400 are in view (a province), none.
function geogroupTextWidth(text) {
  // the label's own font (map.css: .gg-label span), measured on a canvas; padding and border
  var ctx = geogroupTextWidth.ctx;
  if (!ctx) {
    ctx = geogroupTextWidth.ctx = document.createElement('canvas').getContext('2d');
    ctx.font = '600 11px system-ui, "PingFang SC", "Microsoft YaHei", sans-serif';
  }
  return ctx.measureText(geogroupUnescape(text)).width + 14;
}
function geogroupLabels(items, collide) {
  if (!window.GeogroupLabels) {
    window.GeogroupLabels = L.LayerGroup.extend({
      initialize: function (items, collide) {
        L.LayerGroup.prototype.initialize.call(this);
        this._items = items;
        this._collide = collide;
        this._shown = {};
      },
      getEvents: function () { return {zoomend: this._update, moveend: this._update}; },
      onAdd: function (map) {
        L.LayerGroup.prototype.onAdd.call(this, map);
        this._update();
      },
      _placed: function () {
        var map = this._map, view = map.getBounds().pad(0.1), items = this._items;
        var want = {}, boxes = [], inView = [];
        for (var i = 0; i < items.length; i++) {
          if (view.contains([items[i][1], items[i][0]])) inView.push(i);
        }
        if (!this._collide) {
          inView.forEach(function (i) { want[i] = items[i][2]; });
          return want;
        }
        if (inView.length > 400) return want;
        inView.forEach(function (i) {
          var at = map.latLngToContainerPoint([items[i][1], items[i][0]]);
          var texts = items[i][4] && items[i][4] !== items[i][2] ? [items[i][2], items[i][4]]
            : [items[i][2]];
          for (var t = 0; t < texts.length; t++) {
            var half = geogroupTextWidth(texts[t]) / 2;
            var box = [at.x - half, at.y - 10, at.x + half, at.y + 10];
            var free = boxes.every(function (b) {
              return box[2] < b[0] || box[0] > b[2] || box[3] < b[1] || box[1] > b[3];
            });
            if (free) { boxes.push(box); want[i] = texts[t]; return; }
          }
        });
        return want;
      },
      _update: function () {
        if (!this._map) return;
        var want = this._placed(), shown = this._shown, items = this._items, self = this;
        Object.keys(shown).forEach(function (i) {
          if (want[i] !== shown[i].text) { self.removeLayer(shown[i].marker); delete shown[i]; }
        });
        Object.keys(want).forEach(function (i) {
          if (shown[i]) return;
          var html = '<span style="border-color:' + items[i][3] + '">' + want[i] + '</span>';
          var marker = L.marker([items[i][1], items[i][0]], {
            icon: L.divIcon({className: 'gg-label', html: html, iconSize: null}),
            interactive: false, keyboard: false
          });
          shown[i] = {marker: marker, text: want[i]};
          self.addLayer(marker);
        });
      }
    });
  }
  return new window.GeogroupLabels(items, collide);
}
