/* geogroup plan editor: the figures of a plan -- each group's and the plan's -- from the
 * groups' cached sums, as Python's evaluation computes them.
 *
 * Each part mirrors a Python function; keep them in step:
 *   figuresOf, groupFigures   geogroup/evaluate/_groups.py  group_metrics, _enrolment, and the
 *                             sums _figures.py adds up (compactness is left out: it needs the
 *                             group hulls, which the page does not draw)
 *   planFigures               geogroup/evaluate/_figures.py plan_metrics (rounded to 12
 *                             significant digits as _num does; compactness_mean left out)
 *   theil                     geogroup/evaluate/_figures.py _theil (total, between, within)
 *   percentile95(Of)          numpy.percentile(v, 95), method 'linear' (numpy's _lerp)
 *   groupQuantile95           pandas' groupby quantile(0.95), linear
 */
(function (root) {
  'use strict';
  var R = root.geogroupEditorRules, numAsc = R.numAsc, idsOf = R.idsOf;

  function lerp(a, b, t) {
    var d = b - a;
    return t >= 0.5 ? b - d * (1 - t) : a + d * t;
  }

  /** numpy.percentile(v, 95) of sorted values (method 'linear'). */
  function percentile95(sorted) {
    var n = sorted.length;
    if (!n) return NaN;
    var vi = (n - 1) * 0.95;
    if (vi >= n - 1) return sorted[n - 1];
    var lo = Math.floor(vi);
    return lerp(sorted[lo], sorted[lo + 1], vi - lo);
  }

  /** pandas' groupby quantile(0.95), linear, of sorted values. */
  function groupQuantile95(sorted) {
    var n = sorted.length;
    if (!n) return NaN;
    var q = 0.95 * (n - 1), idx = Math.floor(q), frac = q % 1;
    if (frac === 0) return sorted[idx];
    return sorted[idx] + (sorted[idx + 1] - sorted[idx]) * frac;
  }

  function mean(values) {
    if (!values.length) return NaN;
    var s = 0;
    for (var k = 0; k < values.length; k++) s += values[k];
    return s / values.length;
  }


  function figuresOf(ctx, G) {
    var D = ctx.D, shift = D.theilShift;
    var q = G.at.map(function (i) { return D.quality[i]; });
    var leadQ = G.leads.map(function (i) { return D.quality[i]; });
    var memberQ = G.members.map(function (i) { return D.quality[i]; });
    G.sumQuality = q.reduce(function (a, b) { return a + b; }, 0);
    G.meanQuality = mean(q);
    G.minQuality = q.length ? Math.min.apply(null, q) : NaN;
    G.maxQuality = q.length ? Math.max.apply(null, q) : NaN;
    G.leadQuality = mean(leadQ);
    G.qualityGap = G.leadQuality - mean(memberQ);
    var km = G.memberKm.filter(function (v) { return !isNaN(v); }).sort(numAsc);
    G.kmSorted = km;
    if (D.table) {  // along roads: the straight lines and minutes beside (evaluate._frame.road_figures)
      G.straight = G.memberStraight.filter(function (v) { return !isNaN(v); });
      G.travel = G.memberMinutes.filter(function (v) { return !isNaN(v); });
    }
    G.meanKm = mean(km);
    G.p95Km = groupQuantile95(km);
    G.maxKm = km.length ? km[km.length - 1] : NaN;
    G.weakMembers = G.members.filter(function (i) { return D.weak[i]; }).length;
    if (D.urban) {
      G.nUrban = G.at.filter(function (i) { return D.urban[i]; }).length;
      G.nRural = G.at.filter(function (i) { return D.rural[i]; }).length;
      G.urbanLeads = G.leads.filter(function (i) { return D.urban[i]; }).length;
      G.ruralMembers = G.members.filter(function (i) { return D.rural[i]; }).length;
    }
    G.qualityLed = !!D.mayLead && G.leads.some(function (i) { return D.mayLead[i]; });
    G.weakCovered = G.qualityLed ? G.weakMembers : 0;
    if (D.students) {  // _judge._loads: the students of the group, its lead's included
      G.students = 0;
      G.unknownStudents = 0;
      G.at.forEach(function (i) {
        if (isNaN(D.students[i])) G.unknownStudents++; else G.students += D.students[i];
      });
    }
    G.teachers = countTotal(D.teachers, G.at);
    G.keyTeachers = countTotal(D.keyTeachers, G.at);
    // Theil (evaluate/_figures._theil): x = q + shift
    var x = q.map(function (v) { return v + shift; });
    var sx = x.reduce(function (a, b) { return a + b; }, 0), mu = sx / x.length, within = 0, xlx = 0;
    x.forEach(function (v) { within += v / mu * Math.log(v / mu); xlx += v * Math.log(v); });
    G.theilX = sx;
    G.theilXLogX = xlx;
    G.theilWithin = x.length ? within / x.length : NaN;
  }

  function countTotal(counts, at) {
    if (!counts) return null;
    var total = 0;
    for (var k = 0; k < at.length; k++) {
      var v = counts[at[k]];
      if (v === null || isNaN(v)) return NaN;
      total += v;
    }
    return total;
  }

  function quota(rate, total) { return Math.ceil(rate * total - 1e-9); }

  function groupFigures(ctx, G) {
    var D = ctx.D;
    var out = {
      lead_id: G.leads.length ? idsOf(ctx, G.leads).join(', ') : null,
      lead_name: G.leads.length ? G.leads.map(function (i) { return D.names[i]; }).join(', ') : null,
      size: G.size,
      members: G.members.length,
      lead_quality: G.leadQuality,
      mean_quality: G.meanQuality,
      min_quality: G.minQuality,
      max_quality: G.maxQuality,
      quality_gap: G.qualityGap,
      mean_distance_km: G.meanKm,
      p95_distance_km: G.p95Km,
      max_distance_km: G.maxKm,
      n_weak: G.weakMembers,
    };
    if (D.urban) {
      out.n_urban = G.nUrban;
      out.n_rural = G.nRural;
      out.mixed = G.nUrban > 0 && G.nRural > 0;
      out.lead_area = G.leads.length ? G.leads.map(function (i) { return D.area[i] || ''; }).join(', ')
        : null;
    }
    if (D.teachers) {
      out.teachers = G.teachers;
      out.teachers_quota = quota(D.exchangeRate, G.teachers);
    }
    if (D.keyTeachers) {
      out.key_teachers = G.keyTeachers;
      out.key_teachers_quota = quota(D.keyExchangeRate, G.keyTeachers);
    }
    if (D.table) {  // group_metrics along roads: the straight lines and minutes beside
      out.mean_straight_km = mean(G.straight);
      out.mean_travel_min = mean(G.travel);
      out.max_travel_min = G.travel.length ? Math.max.apply(null, G.travel) : NaN;
    }
    if (D.students) {  // _groups._enrolment
      out.students = G.unknownStudents ? NaN : G.students;
      if (D.capacity) {
        var cap = NaN;
        if (G.leads.length) {
          cap = 0;
          G.leads.forEach(function (i) { if (!isNaN(D.capacity[i])) cap += D.capacity[i]; });
        }
        out.capacity = cap;
        out.capacity_used = out.students / cap;
      }
    }
    return out;
  }

  /** evaluate/_figures._num: None for NaN, floats to 12 significant digits. */
  function num(v) {
    if (v === null || v === undefined || (typeof v === 'number' && isNaN(v))) return null;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (!isFinite(v)) return v;
    return Number(v.toPrecision(12));
  }

  function planFigures(ctx) {
    var D = ctx.D, groups = ctx.usedGroups(), n = D.n;
    var G = groups.map(function (g) { return ctx.cache[g]; });
    var leads = 0, members = 0;
    G.forEach(function (c) { leads += c.leads.length; members += c.members.length; });
    var assigned = leads + members;
    var sizes = G.map(function (c) { return c.size; });
    var means = G.map(function (c) { return c.meanQuality; });
    var meanOfMeans = mean(means);
    var sd = means.length ? Math.sqrt(mean(means.map(function (m) {
      return (m - meanOfMeans) * (m - meanOfMeans);
    }))) : NaN;
    var gaps = G.map(function (c) { return c.qualityGap; }).filter(function (v) { return !isNaN(v); });
    var out = {
      schools: n,
      groups: groups.length,
      leads: leads,
      members: members,
      unassigned: n - assigned,
      coverage: n ? assigned / n : null,
      group_size_mean: mean(sizes),
      group_size_min: sizes.length ? Math.min.apply(null, sizes) : NaN,
      group_size_max: sizes.length ? Math.max.apply(null, sizes) : NaN,
      quality_mean: D.qualityMean,
      group_mean_min: means.length ? Math.min.apply(null, means) : NaN,
      group_mean_max: means.length ? Math.max.apply(null, means) : NaN,
      group_mean_sd: sd,
      group_mean_range: means.length ? Math.max.apply(null, means) - Math.min.apply(null, means) : NaN,
    };
    Object.assign(out, theil(G, assigned), {theil_shift: D.theilShift,
      quality_gap_mean: mean(gaps)});
    Object.assign(out, distanceFigures(G), roadFigures(D, G), areaFigures(ctx, G), weakFigures(ctx, G));
    out.exchange_rate = D.exchangeRate;
    [['teachers', 'teachers', D.teachers, D.exchangeRate],
     ['key_teachers', 'keyTeachers', D.keyTeachers, D.keyExchangeRate]].forEach(function (spec) {
      var known = spec[2] && G.length && G.every(function (c) { return !isNaN(c[spec[1]]); });
      out[spec[0]] = known ? G.reduce(function (a, c) { return a + c[spec[1]]; }, 0) : null;
      out[spec[0] + '_quota'] = known ? G.reduce(function (a, c) {
        return a + quota(spec[3], c[spec[1]]);
      }, 0) : null;
    });
    Object.keys(out).forEach(function (k) { out[k] = num(out[k]); });
    return out;
  }

  function theil(G, count) {
    if (!count) return {theil_total: NaN, theil_between: NaN, theil_within: NaN};
    var sx = 0, xlx = 0;
    G.forEach(function (c) { sx += c.theilX; xlx += c.theilXLogX; });
    var mu = sx / count, between = 0, within = 0;
    G.forEach(function (c) {
      var share = c.theilX / sx;
      between += share * Math.log((c.theilX / c.size) / mu);
      within += share * c.theilWithin;
    });
    return {theil_total: xlx / (count * mu) - Math.log(mu), theil_between: between,
            theil_within: within};
  }

  /** The k-th smallest of values (rearranged in place): Hoare's selection, O(n). */
  function select(values, k) {
    var lo = 0, hi = values.length - 1;
    while (lo < hi) {
      var pivot = values[(lo + hi) >> 1], i = lo, j = hi;
      while (i <= j) {
        while (values[i] < pivot) i++;
        while (values[j] > pivot) j--;
        if (i <= j) { var t = values[i]; values[i] = values[j]; values[j] = t; i++; j--; }
      }
      if (k <= j) hi = j; else if (k >= i) lo = i; else return values[k];
    }
    return values[k];
  }

  /** numpy.percentile(v, 95) without sorting all of v: the two order statistics it needs
   * (values is rearranged). */
  function percentile95Of(values) {
    var n = values.length, vi = (n - 1) * 0.95, k;
    if (vi >= n - 1) {
      var max = -Infinity;
      for (k = 0; k < n; k++) if (values[k] > max) max = values[k];
      return max;
    }
    var lo = Math.floor(vi), a = select(values, lo), b = Infinity;
    for (k = lo + 1; k < n; k++) if (values[k] < b) b = values[k];  // those after lo are >= a
    return lerp(a, b, vi - lo);
  }

  /** _figures._road_figures: with road distances, the straight lines and travel times. */
  function roadFigures(D, G) {
    if (!D.table) return {};
    var out = {};
    [['straight', 'straight_distance_{}_km'], ['travel', 'travel_{}_min']].forEach(function (spec) {
      var count = 0, sum = 0, max = -Infinity;
      G.forEach(function (c) { count += c[spec[0]].length; });
      var values = new Float64Array(count), at = 0;
      G.forEach(function (c) { values.set(c[spec[0]], at); at += c[spec[0]].length; });
      for (var k = 0; k < count; k++) { sum += values[k]; if (values[k] > max) max = values[k]; }
      out[spec[1].replace('{}', 'mean')] = count ? sum / count : null;
      out[spec[1].replace('{}', 'p95')] = count ? percentile95Of(values) : null;
      out[spec[1].replace('{}', 'max')] = count ? max : null;
    });
    return out;
  }

  function distanceFigures(G) {
    var count = 0, sum = 0, max = -Infinity;
    G.forEach(function (c) { count += c.kmSorted.length; });
    if (!count) return {distance_mean_km: null, distance_p95_km: null, distance_max_km: null};
    var km = new Float64Array(count), at = 0;
    G.forEach(function (c) { km.set(c.kmSorted, at); at += c.kmSorted.length; });
    for (var k = 0; k < count; k++) { sum += km[k]; if (km[k] > max) max = km[k]; }
    return {distance_mean_km: sum / count, distance_p95_km: percentile95Of(km), distance_max_km: max};
  }

  function areaFigures(ctx, G) {
    var D = ctx.D;
    if (!D.urban) {
      return {mixed_groups: null, mixed_groups_share: null, rural_schools: null,
              rural_with_urban_lead: null, rural_with_urban_lead_share: null};
    }
    var mixed = G.filter(function (c) { return c.nUrban > 0 && c.nRural > 0; }).length;
    var paired = G.reduce(function (a, c) { return a + (c.urbanLeads > 0 ? c.ruralMembers : 0); }, 0);
    return {
      mixed_groups: mixed,
      mixed_groups_share: G.length ? mixed / G.length : null,
      rural_schools: D.nRural,
      rural_with_urban_lead: paired,
      rural_with_urban_lead_share: D.nRural ? paired / D.nRural : null,
    };
  }

  function weakFigures(ctx, G) {
    var D = ctx.D;
    if (!D.mayLead) return {weak_schools: D.nWeak, weak_covered: null, weak_coverage: null};
    var covered = G.reduce(function (a, c) { return a + c.weakCovered; }, 0);
    return {weak_schools: D.nWeak, weak_covered: covered,
            weak_coverage: D.nWeak ? covered / D.nWeak : null};
  }


  root.geogroupEditorFigures = {
    figuresOf: figuresOf,
    groupFigures: groupFigures,
    planFigures: planFigures,
    percentile95: percentile95,
    percentile95Of: percentile95Of,
    groupQuantile95: groupQuantile95,
  };
})(typeof window !== 'undefined' ? window : globalThis);
