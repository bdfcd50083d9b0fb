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
  if (g[7] !== null) rows += geogroupRow('urban_rural', g[7] + ' / ' + g[8]);
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
  if (p.why) rows += geogroupRow('reason', p.why);
  return '<div class="gg-pop"><div class="gg-title">' + p.name + '</div><table>' + rows
    + '</table>' + (p.g >= 0 ? geogroupGroup(groups[p.g]) : '')
    + (p.note ? '<div class="gg-note">' + p.note + '</div>' : '') + '</div>';
}
function geogroupFeature(kind, groups, styles, feature, layer) {
  var p = feature.properties;
  p.kind = kind;
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
