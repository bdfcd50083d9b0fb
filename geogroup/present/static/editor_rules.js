/* geogroup plan editor: the policy check of a plan, recomputed in the browser.
 *
 * One meaning, in one place: what a rule means is written in Python, in geogroup/rules/.
 * Everything a rule reads that an edit cannot change (each school's unit, its metric x/y in
 * its unit's UTM zone, the weak set, the lead pool, urban/rural, level, sector, students and
 * capacities, the distance table) is computed there and handed to the page as data
 * (geogroup/present/_editor_data.py). The page counts only what an edit changes: who is in
 * which group with which role. The figures are in editor_figures.js, the caches and what an
 * edit touches in editor_engine.js.
 *
 * Each part mirrors a Python function; keep them in step:
 *   withinCap, withinMinutes, spaced  geogroup/rules/_units.py  within_cap, within_minutes,
 *                                     spaced (TOLERANCE_KM)
 *   pairKm, ellipsoidKm, tableValue   geogroup/rules/_plan.py   PlanArrays._km (straight lines
 *                                     in the unit's plane, the ellipsoid across units, or the
 *                                     distance table: UnitDistances._lookup)
 *   RULES (judge* functions)          geogroup/rules/_judge.py  JUDGES / violations(), in the
 *                                     order of geogroup.rules.RULES (group_students and
 *                                     capacity weigh PlanArrays.students and .capacity)
 *   shown, row                        geogroup/rules/_judge.py  shown, row
 *
 * Adding a rule: write a judge for the scope it concerns -- `group(ctx, G)` for a rule about
 * one group (G: the group's cached figures, editor_engine.js computeGroup), `unit(ctx, u)` for
 * a rule about a unit, `plan(ctx)` for one about the whole plan -- and add {name, parts} to
 * RULES at the place the rule has in geogroup.rules.RULES (tests/test_editor.py checks the
 * order). Whatever the rule reads that no edit changes (a column, a flag per school) is added
 * by Python to the data (_editor_data.py editor_data) and typed in editor_engine.js prepare.
 * A figure a group judge needs (a sum over the group) goes into editor_figures.js figuresOf.
 */
(function (root) {
  'use strict';
  var LEAD = 'lead', MEMBER = 'member', UNASSIGNED = 'unassigned';
  var ROLES = [LEAD, MEMBER, UNASSIGNED];
  var SHOWN = 5;
  var SHARE_SLACK = 1e-9;  // _judge._weak_share: weak < share * size - 1e-9
  var STUDENTS_TOLERANCE = 1e-6;  // _judge.STUDENTS_TOLERANCE

  // --- small helpers -------------------------------------------------------------------------

  /** Python's ordering of str (code points), not JavaScript's (UTF-16 units). */
  function cmpStr(a, b) {
    if (a === b) return 0;
    var i = 0, j = 0;
    while (i < a.length && j < b.length) {
      var ca = a.codePointAt(i), cb = b.codePointAt(j);
      if (ca !== cb) return ca < cb ? -1 : 1;
      i += ca > 0xffff ? 2 : 1;
      j += cb > 0xffff ? 2 : 1;
    }
    if (i < a.length) return 1;
    return j < b.length ? -1 : 0;
  }

  function sortedStrings(values) { return values.map(String).sort(cmpStr); }

  /** _judge.shown: the first five, then "… and k more". */
  function shown(ids) {
    var extra = ids.length > SHOWN ? ' … and ' + (ids.length - SHOWN) + ' more' : '';
    return ids.slice(0, SHOWN).join(', ') + extra;
  }

  /** Python's format(x, 'g'). */
  function fmtG(x) {
    if (!isFinite(x)) return isNaN(x) ? 'nan' : (x > 0 ? 'inf' : '-inf');
    if (x === 0) return '0';
    var p = Number(x.toPrecision(6));
    var exp = Math.floor(Math.log10(Math.abs(p)));
    if (exp < -4 || exp >= 6) {
      var s = p.toExponential(5).replace(/\.?0+e/, 'e');
      return s.replace(/e([+-])(\d)$/, 'e$10$2');
    }
    return String(p);
  }

  function fmtFixed(x, digits) {
    if (!isFinite(x)) return isNaN(x) ? 'nan' : (x > 0 ? 'inf' : '-inf');
    return x.toFixed(digits);
  }

  function pyRepr(s) { return "'" + String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'"; }

  /** numpy's _lerp: a + (b - a) t, computed from b when t >= 0.5. */
  function numAsc(a, b) { return a - b; }

  // --- distances (geogroup/rules/_units.py, _plan.py) -------------------------------------

  function withinCap(km, cap, tol) { return km <= cap + tol; }
  function withinMinutes(min, limit) { return min <= limit + 1e-6; }
  function spaced(km, spacing, tol) { return km >= spacing - tol; }

  var WGS84_A = 6378137.0, WGS84_F = 1 / 298.257223563, WGS84_B = WGS84_A * (1 - WGS84_F);

  /** Distance on the WGS-84 ellipsoid in km (Vincenty's inverse formula), for a member and
   * a lead of two units (a broken plan), as pyproj.Geod.inv measures it (to a micrometre at
   * county scale). */
  function ellipsoidKm(lon1, lat1, lon2, lat2) {
    var f = WGS84_F, a = WGS84_A, b = WGS84_B, rad = Math.PI / 180;
    var L = (lon2 - lon1) * rad;
    var U1 = Math.atan((1 - f) * Math.tan(lat1 * rad)), U2 = Math.atan((1 - f) * Math.tan(lat2 * rad));
    var sU1 = Math.sin(U1), cU1 = Math.cos(U1), sU2 = Math.sin(U2), cU2 = Math.cos(U2);
    var lam = L, ss = 0, cs = 0, sig = 0, c2a = 0, c2sm = 0;
    for (var it = 0; it < 200; it++) {
      var sl = Math.sin(lam), cl = Math.cos(lam);
      ss = Math.sqrt(Math.pow(cU2 * sl, 2) + Math.pow(cU1 * sU2 - sU1 * cU2 * cl, 2));
      if (ss === 0) return 0;
      cs = sU1 * sU2 + cU1 * cU2 * cl;
      sig = Math.atan2(ss, cs);
      var sa = cU1 * cU2 * sl / ss;
      c2a = 1 - sa * sa;
      c2sm = c2a !== 0 ? cs - 2 * sU1 * sU2 / c2a : 0;
      var C = f / 16 * c2a * (4 + f * (4 - 3 * c2a));
      var prev = lam;
      lam = L + (1 - C) * f * sa * (sig + C * ss * (c2sm + C * cs * (-1 + 2 * c2sm * c2sm)));
      if (Math.abs(lam - prev) < 1e-14) break;
    }
    var u2 = c2a * (a * a - b * b) / (b * b);
    var A = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
    var B = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
    var ds = B * ss * (c2sm + B / 4 * (cs * (-1 + 2 * c2sm * c2sm) -
      B / 6 * c2sm * (-3 + 4 * ss * ss) * (-3 + 4 * c2sm * c2sm)));
    return b * A * (sig - ds) / 1000;
  }

  /** A value of the sparse distance table (UnitDistances._lookup): inf where it has none. */
  function tableValue(table, values, a, b) {
    if (a === b) return 0;
    var lo = table.indptr[a], hi = table.indptr[a + 1] - 1, idx = table.indices;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (idx[mid] === b) return values[mid];
      if (idx[mid] < b) lo = mid + 1; else hi = mid - 1;
    }
    return Infinity;
  }

  /** PlanArrays._km: km between school positions a and b. */
  function pairKm(D, a, b) {
    if (D.table) return tableValue(D.table, D.table.km, a, b);
    if (D.unit[a] === D.unit[b]) return Math.hypot(D.x[a] - D.x[b], D.y[a] - D.y[b]) / 1000;
    return ellipsoidKm(D.lon[a], D.lat[a], D.lon[b], D.lat[b]);
  }

  // --- rows ------------------------------------------------------------------------------------

  function row(ctx, rule, group, positions, detail, args) {
    var ids = positions.map(function (p) { return typeof p === 'number' ? ctx.D.ids[p] : p; });
    return {rule: rule, group_id: group, school_ids: sortedStrings(ids), detail: detail,
            args: args || {}};
  }

  function cannot(rule, detail) {
    return {rule: rule, group_id: null, school_ids: [], detail: 'cannot be checked: ' + detail,
            args: {cannot: detail}};
  }

  function idsOf(ctx, positions) { return positions.map(function (p) { return ctx.D.ids[p]; }); }

  function distinctCount(values) { return new Set(values).size; }

  // --- judges of one group (geogroup/rules/_judge.py) ----------------------------------------

  function judgeOneLead(ctx, G) {
    if (!G.size || G.leads.length === 1) return [];
    var leads = idsOf(ctx, G.leads);
    var detail = leads.length ? G.name + ' has ' + leads.length + ' leads (' + leads.join(', ') + ')'
      : G.name + ' has no lead';
    return [row(ctx, 'one_lead', G.name, leads.length ? G.leads : G.at,
      detail + '; a group has exactly one', {n: leads.length})];
  }

  function judgeMembers(ctx, G) {
    var lo = ctx.P.members[0], hi = ctx.P.members[1], n = G.members.length;
    if (!G.size || (n >= lo && n <= hi)) return [];
    return [row(ctx, 'members', G.name, G.at, G.name + ' has ' + n + ' members; policy members = [' +
      lo + ', ' + hi + ']', {n: n, lo: lo, hi: hi})];
  }

  function judgeGroupStudents(ctx, G) {
    var limits = ctx.P.group_students;
    if (!limits || !ctx.D.students || !G.size) return [];
    var lo = limits[0], hi = limits[1], detail;
    if (G.unknownStudents) {
      detail = G.name + ': ' + G.unknownStudents + ' of its schools have no student count';
    } else if (G.students < lo - STUDENTS_TOLERANCE || G.students > hi + STUDENTS_TOLERANCE) {
      detail = G.name + ' has ' + fmtG(G.students) + ' students';
    } else {
      return [];
    }
    return [row(ctx, 'group_students', G.name, G.at, detail + '; policy group_students = [' + lo +
      ', ' + hi + ']', {students: fmtG(G.students), unknown: G.unknownStudents, lo: lo, hi: hi})];
  }

  function judgeCapacity(ctx, G) {
    var column = ctx.P.capacity_column, D = ctx.D;
    if (!column || !D.capacity || !D.students || G.leads.length !== 1) return [];
    var lead = G.leads[0], cap = D.capacity[lead], detail;
    if (isNaN(cap)) {
      detail = 'its lead ' + D.ids[lead] + ' has no capacity in column ' + pyRepr(column);
    } else if (G.unknownStudents) {
      detail = G.unknownStudents + ' of its schools have no student count';
    } else if (G.students > cap + STUDENTS_TOLERANCE) {
      detail = fmtG(G.students) + ' students, more than its lead ' + D.ids[lead] + ' holds (' +
        fmtG(cap) + ')';
    } else {
      return [];
    }
    return [row(ctx, 'capacity', G.name, G.at, G.name + ': ' + detail,
      {students: fmtG(G.students), capacity: fmtG(cap), unknown: G.unknownStudents})];
  }

  function judgeLeads(ctx, G) {
    var D = ctx.D;
    if (!D.mayLead) return [];
    var out = [];
    G.leads.forEach(function (i) {
      if (D.mayLead[i] || ctx.fixed[i] !== null) return;
      out.push(row(ctx, 'leads', G.name, [i], 'lead ' + D.ids[i] + ' of ' + G.name + ' (quality ' +
        fmtG(D.quality[i]) + ') may not lead under policy leads = ' + ctx.P.leadsText,
        {lead: D.ids[i], quality: fmtG(D.quality[i])}));
    });
    return out;
  }

  function judgeDistance(ctx, G) {
    var cap = ctx.P.max_distance_km;
    if (cap === null || cap === undefined) return [];
    var far = [], parts = [];
    G.members.forEach(function (i, k) {
      var km = G.memberKm[k];
      if (isNaN(km)) km = 0;
      if (!withinCap(km, cap, ctx.D.toleranceKm)) {
        far.push(i);
        parts.push(ctx.D.ids[i] + ' ' + fmtFixed(km, 2) + ' km');
      }
    });
    if (!far.length) return [];
    return [row(ctx, 'max_distance_km', G.name, far, parts.join(', ') + ' from the lead of ' + G.name +
      '; policy max_distance_km = ' + fmtG(cap), {cap: fmtG(cap), n: far.length})];
  }

  function judgeTravel(ctx, G) {
    var limit = ctx.P.max_travel_min;
    if (limit === null || limit === undefined || !ctx.D.table || !ctx.D.table.minutes) return [];
    var far = [], parts = [];
    G.members.forEach(function (i, k) {
      var m = G.memberMinutes[k];
      if (isNaN(m)) m = 0;
      if (!withinMinutes(m, limit)) {
        far.push(i);
        parts.push(ctx.D.ids[i] + ' ' + fmtFixed(m, 0) + ' min');
      }
    });
    if (!far.length) return [];
    return [row(ctx, 'max_travel_min', G.name, far, parts.join(', ') + ' from the lead of ' + G.name +
      '; policy max_travel_min = ' + fmtG(limit), {limit: fmtG(limit), n: far.length})];
  }

  function judgePairing(ctx, G) {
    if (!ctx.P.pair_urban_rural || !ctx.D.urban) return [];
    if (!(G.urbanLeads > 0) || G.ruralMembers >= 1) return [];
    return [row(ctx, 'pair_urban_rural', G.name, G.at, G.name +
      ' has an urban lead and no rural member; policy pair_urban_rural = true', {})];
  }

  function judgeWeak(ctx, G) {
    var need = ctx.P.min_weak_per_group;
    if (!need || !G.size || G.weakMembers >= need) return [];
    return [row(ctx, 'min_weak_per_group', G.name, G.at, G.name + ' has ' + G.weakMembers +
      ' weak members (bottom ' + fmtG(ctx.P.weak_share) + ' by quality); policy min_weak_per_group = ' +
      need, {n: G.weakMembers, need: need})];
  }

  function judgeWeakShare(ctx, G) {
    var share = ctx.P.min_weak_share;
    if (!share || !G.size || !(G.weakMembers < share * G.size - SHARE_SLACK)) return [];
    return [row(ctx, 'min_weak_share', G.name, G.at, G.name + ' has ' + G.weakMembers +
      ' weak members of ' + G.size + ' schools (' + Math.round(100 * G.weakMembers / G.size) +
      '%); policy min_weak_share = ' + fmtG(share), {n: G.weakMembers, size: G.size, share: fmtG(share)})];
  }

  function judgeLevels(ctx, G) {
    var D = ctx.D;
    if (ctx.P.levels !== 'same' || !D.level || !G.size) return [];
    var codes = G.at.map(function (i) { return D.level[i]; });
    if (distinctCount(codes) < 2) return [];
    var counts = new Map();
    codes.forEach(function (c) { counts.set(c, (counts.get(c) || 0) + 1); });
    var values = Array.from(counts.keys()).sort(numAsc);  // codes follow the sorted level names
    var ref = values[0];
    if (G.leads.length) ref = D.level[G.leads[0]];
    else values.forEach(function (v) { if (counts.get(v) > counts.get(ref)) ref = v; });
    var text = values.map(function (v) { return D.levelNames[v] + ' (' + counts.get(v) + ')'; });
    var off = G.at.filter(function (i) { return D.level[i] !== ref; });
    return [row(ctx, 'levels', G.name, off, G.name + ' mixes levels ' + text.join(', ') +
      "; policy levels = 'same'", {levels: text.join(', ')})];
  }

  function judgeBy(ctx, G) {
    var D = ctx.D;
    if (!G.size) return [];
    var n = distinctCount(G.at.map(function (i) { return D.byCode[i]; }));
    if (n < 2) return [];
    return [row(ctx, 'by', G.name, G.at, G.name + ' holds schools of ' + n +
      " units of the plan's 'by' column; a group stays within its unit", {n: n})];
  }

  function judgeSectorsGroup(ctx, G) {
    var D = ctx.D;
    if (!ctx.P.sectors || !D.sector || !G.size) return [];
    var n = distinctCount(G.at.map(function (i) { return D.sector[i]; }));
    if (n < 2) return [];
    return [row(ctx, 'sectors', G.name, G.at, G.name + ' holds schools of ' + n +
      ' sectors; policy sectors = ' + ctx.P.sectors + ': a group keeps to one sector', {n: n})];
  }

  function judgeFixedGroup(ctx, G) {
    if (!ctx.anyLocked || !G.size) return [];
    var labelled = G.at.filter(function (i) { return ctx.fixed[i] !== null; });
    var found = Array.from(new Set(labelled.map(function (i) { return ctx.fixed[i]; }))).sort(cmpStr);
    if (found.length < 2) return [];
    return [row(ctx, 'fixed_group', G.name, labelled, G.name + ' holds schools of several fixed groups (' +
      found.join(', ') + ')', {labels: found.join(', ')})];
  }

  // --- judges of one unit ----------------------------------------------------------------------

  function unitLabel(ctx, u) { return ctx.D.unitNames[u]; }

  function judgeNGroups(ctx, u) {
    var wanted = ctx.P.n_groups;
    if (wanted === null || wanted === undefined) return [];
    var groups = new Set();
    ctx.unitRoster[u].forEach(function (i) { if (ctx.assigned(i)) groups.add(ctx.group[i]); });
    if (!groups.size || groups.size === wanted) return [];
    var name = unitLabel(ctx, u);
    var where = name ? 'unit ' + pyRepr(name) + ': ' : '';
    return [row(ctx, 'n_groups', null, [], where + groups.size + ' groups; policy n_groups = ' + wanted,
      {unit: name, n: groups.size, wanted: wanted})];
  }

  function unitLeads(ctx, u) {
    return ctx.unitRoster[u].filter(function (i) { return ctx.isLead(i); });
  }

  function judgeSectorsUnit(ctx, u) {
    var D = ctx.D;
    if (!ctx.P.sectors || !D.sector) return [];
    var bySector = new Map();
    unitLeads(ctx, u).forEach(function (i) {
      var s = D.sector[i];
      if (!bySector.has(s)) bySector.set(s, new Set());
      bySector.get(s).add(ctx.groupNames[ctx.group[i]]);
    });
    var out = [];
    Array.from(bySector.keys()).sort(numAsc).forEach(function (s) {
      var groups = Array.from(bySector.get(s)).sort(cmpStr);
      if (groups.length < 2) return;
      out.push(row(ctx, 'sectors', groups.join(', '), [], groups.length + ' groups lead from sector ' + s +
        ' of unit ' + pyRepr(unitLabel(ctx, u)) + '; policy sectors = ' + ctx.P.sectors +
        ': one group a sector', {n: groups.length, sector: s, unit: unitLabel(ctx, u), variant: 'unit'}));
    });
    return out;
  }

  function judgeSpacing(ctx, u) {
    var spacing = ctx.P.min_lead_spacing_km, D = ctx.D;
    if (!spacing) return [];
    var leads = unitLeads(ctx, u);
    if (leads.length < 2) return [];
    // a grid of cells as wide as the spacing: only leads of neighbouring cells can be too close
    var size = spacing * 1000 + 1, cells = new Map(), pairs = [];
    var key = function (cx, cy) { return cx + ',' + cy; };
    leads.forEach(function (i, k) {
      var cx = Math.floor(D.x[i] / size), cy = Math.floor(D.y[i] / size);
      for (var dx = -1; dx <= 1; dx++) {
        for (var dy = -1; dy <= 1; dy++) {
          (cells.get(key(cx + dx, cy + dy)) || []).forEach(function (j) { pairs.push([j, i]); });
        }
      }
      var here = key(cx, cy);
      if (!cells.has(here)) cells.set(here, []);
      cells.get(here).push(i);
    });
    pairs.sort(function (p, q) { return p[0] - q[0] || p[1] - q[1]; });
    var out = [];
    pairs.forEach(function (pair) {
      var i = pair[0], j = pair[1];
      var km = Math.hypot(D.x[i] - D.x[j], D.y[i] - D.y[j]) / 1000;
      if (spaced(km, spacing, D.toleranceKm)) return;
      var ga = ctx.groupNames[ctx.group[i]], gb = ctx.groupNames[ctx.group[j]];
      out.push(row(ctx, 'min_lead_spacing_km', ga + ', ' + gb, [i, j], 'leads ' + D.ids[i] + ' (' + ga +
        ') and ' + D.ids[j] + ' (' + gb + ') are ' + fmtFixed(km, 2) + ' km apart; policy ' +
        'min_lead_spacing_km = ' + fmtG(spacing), {km: fmtFixed(km, 2), spacing: fmtG(spacing)}));
    });
    return out;
  }

  // --- judges of the whole plan ----------------------------------------------------------------

  function judgeRole(ctx) {
    var D = ctx.D, unknown = [], values = new Set(), noGroup = [];
    for (var i = 0; i < D.n; i++) {
      var r = ctx.role[i];
      if (ROLES.indexOf(r) < 0) { unknown.push(i); values.add(r); }
      if ((r === LEAD || r === MEMBER) && ctx.group[i] < 0) noGroup.push(i);
    }
    var out = [];
    if (unknown.length) {
      var ids = idsOf(ctx, unknown);
      out.push(row(ctx, 'role', null, unknown, 'role ' + Array.from(values).sort(cmpStr).map(pyRepr)
        .join(', ') + ' is not one of ' + ROLES.join(', ') + ' (schools ' + shown(ids) +
        '); counted as members', {n: unknown.length}));
    }
    if (noGroup.length) {
      out.push(row(ctx, 'role', null, noGroup, noGroup.length + ' lead or member school(s) have no ' +
        'group_id (' + shown(idsOf(ctx, noGroup)) + '); counted as unassigned',
        {n: noGroup.length, variant: 'nogroup'}));
    }
    return out;
  }

  function judgeUnassigned(ctx) {
    var silent = [];
    for (var i = 0; i < ctx.D.n; i++) if (!ctx.assigned(i) && !ctx.hasReason(i)) silent.push(i);
    if (!silent.length) return [];
    return [row(ctx, 'unassigned', null, silent, silent.length + ' school(s) in no group and no reason ' +
      'given (' + shown(idsOf(ctx, silent)) + ')', {n: silent.length})];
  }

  function judgeStudentsPlan(ctx) {
    if (ctx.P.group_students && !ctx.D.students) {
      return [cannot('group_students', "the schools have no 'students' column")];
    }
    return [];
  }

  function judgeCapacityPlan(ctx) {
    var column = ctx.P.capacity_column;
    if (!column) return [];
    if (!ctx.D.capacity) return [cannot('capacity', 'the schools have no column ' + pyRepr(column))];
    if (!ctx.D.students) return [cannot('capacity', "the schools have no 'students' column")];
    return [];
  }

  function judgeLeadsPlan(ctx) {
    var D = ctx.D;
    if (!D.mayLead) return [cannot('leads', 'policy leads = ' + pyRepr(ctx.P.leadsText) +
      ' but the plan has no column ' + pyRepr(D.leadColumn))];
    var idle = [];
    for (var i = 0; i < D.n; i++) if (D.named[i] && !ctx.isLead(i)) idle.push(i);
    if (!idle.length) return [];
    return [row(ctx, 'leads', null, idle, 'school(s) ' + shown(idsOf(ctx, idle)) +
      ' are named as leads by the policy but do not lead a group', {n: idle.length, variant: 'idle'})];
  }

  function judgeTravelPlan(ctx) {
    var limit = ctx.P.max_travel_min;
    if (limit === null || limit === undefined) return [];
    if (!ctx.D.table || !ctx.D.table.minutes) {
      return [cannot('max_travel_min', 'the plan has no travel times (road distances)')];
    }
    return [];
  }

  function judgePairingPlan(ctx) {
    if (ctx.P.pair_urban_rural && !ctx.D.urban) {
      return [cannot('pair_urban_rural', "the plan has no 'area' column")];
    }
    return [];
  }

  function judgeLevelsPlan(ctx) {
    if (ctx.P.levels === 'same' && !ctx.D.level) {
      return [cannot('levels', "the plan has no 'level' column")];
    }
    return [];
  }

  function judgeFixedPlan(ctx) {
    if (!ctx.anyLocked) return [];
    var byLabel = new Map();
    for (var i = 0; i < ctx.D.n; i++) {
      var label = ctx.fixed[i];
      if (label === null) continue;
      if (!byLabel.has(label)) byLabel.set(label, []);
      byLabel.get(label).push(i);
    }
    var out = [];
    Array.from(byLabel.keys()).sort(cmpStr).forEach(function (label) {
      var at = byLabel.get(label), counts = new Map();
      at.forEach(function (i) {
        var g = ctx.assigned(i) ? ctx.group[i] : -1;
        counts.set(g, (counts.get(g) || 0) + 1);
      });
      var groups = Array.from(counts.keys()).sort(function (a, b) {
        if (a < 0 || b < 0) return a - b;
        return cmpStr(ctx.groupNames[a], ctx.groupNames[b]);
      });
      if (groups.length === 1 && groups[0] >= 0) return;
      var home = groups[0];
      groups.forEach(function (g) { if (counts.get(g) > counts.get(home)) home = g; });
      var left = home < 0 ? at : at.filter(function (i) {
        return (ctx.assigned(i) ? ctx.group[i] : -1) !== home;
      });
      var spread = groups.map(function (g) {
        return (g >= 0 ? ctx.groupNames[g] : 'unassigned') + ' (' + counts.get(g) + ')';
      }).join(', ');
      out.push(row(ctx, 'fixed_group', home < 0 ? null : ctx.groupNames[home], left, 'fixed group ' +
        pyRepr(label) + ' is spread over ' + spread + '; its schools stay together',
        {label: label, spread: spread, variant: 'spread'}));
    });
    return out;
  }

  /** The rules in the order of geogroup.rules.RULES, and the parts each one's rows come from. */
  var RULES = [
    {name: 'role', plan: judgeRole},
    {name: 'unassigned', plan: judgeUnassigned},
    {name: 'one_lead', group: judgeOneLead},
    {name: 'members', group: judgeMembers},
    {name: 'group_students', plan: judgeStudentsPlan, group: judgeGroupStudents},
    {name: 'capacity', plan: judgeCapacityPlan, group: judgeCapacity},
    {name: 'n_groups', unit: judgeNGroups},
    {name: 'leads', group: judgeLeads, plan: judgeLeadsPlan, planLast: true},
    {name: 'max_distance_km', group: judgeDistance},
    {name: 'max_travel_min', plan: judgeTravelPlan, group: judgeTravel},
    {name: 'pair_urban_rural', plan: judgePairingPlan, group: judgePairing},
    {name: 'min_weak_per_group', group: judgeWeak},
    {name: 'min_weak_share', group: judgeWeakShare},
    {name: 'levels', plan: judgeLevelsPlan, group: judgeLevels},
    {name: 'by', group: judgeBy},
    {name: 'sectors', group: judgeSectorsGroup, unit: judgeSectorsUnit},
    {name: 'min_lead_spacing_km', unit: judgeSpacing},
    {name: 'fixed_group', plan: judgeFixedPlan, group: judgeFixedGroup},
  ];


  root.geogroupEditorRules = {
    RULES: RULES,
    names: RULES.map(function (r) { return r.name; }),
    LEAD: LEAD,
    MEMBER: MEMBER,
    UNASSIGNED: UNASSIGNED,
    cmpStr: cmpStr,
    idsOf: idsOf,
    numAsc: numAsc,
    fmtG: fmtG,
    pairKm: pairKm,
    tableValue: tableValue,
    ellipsoidKm: ellipsoidKm,
    withinCap: withinCap,
    spaced: spaced,
  };
})(typeof window !== 'undefined' ? window : globalThis);
