/* geogroup plan editor: the engine -- the plan's state, the rules' rows and the figures of
 * each group and unit, kept, and recomputed only for the groups and units an edit touches.
 *
 * Mirrors geogroup/rules/_plan.py PlanArrays: a school is in a group when it has a group and
 * its role is not 'unassigned'; the group's lead is its school with role 'lead', every other
 * school of the group a member; distance_km and minutes to the lead (the nearest of several
 * leads for km; minutes with exactly one lead). The rules are editor_rules.js's, the figures
 * editor_figures.js's.
 */
(function (root) {
  'use strict';
  var R = root.geogroupEditorRules, F = root.geogroupEditorFigures;
  var LEAD = R.LEAD, UNASSIGNED = R.UNASSIGNED, RULES = R.RULES, cmpStr = R.cmpStr;
  var pairKm = R.pairKm, tableValue = R.tableValue, figuresOf = F.figuresOf;
  var groupFigures = F.groupFigures, planFigures = F.planFigures;

  // --- one group: its figures and rows, recomputed when the group changes ---------------------

  function computeGroup(ctx, g) {
    var D = ctx.D, roster = ctx.roster[g];
    var G = {g: g, name: ctx.groupNames[g], at: [], leads: [], members: [], memberKm: [],
             memberMinutes: [], memberStraight: []};
    for (var k = 0; k < roster.length; k++) {
      var i = roster[k];
      if (!ctx.assigned(i)) continue;
      G.at.push(i);
      (ctx.role[i] === LEAD ? G.leads : G.members).push(i);
    }
    G.size = G.at.length;
    var oneLead = G.leads.length === 1 ? G.leads[0] : -1;
    G.members.forEach(function (i) {
      var km = NaN, minutes = NaN;
      if (oneLead >= 0) {
        km = pairKm(D, i, oneLead);
        if (D.table) minutes = D.table.minutes ? tableValue(D.table, D.table.minutes, i, oneLead) : Infinity;
      } else if (G.leads.length > 1) {
        km = Infinity;
        G.leads.forEach(function (l) { km = Math.min(km, pairKm(D, i, l)); });
      }
      G.memberKm.push(km);
      G.memberMinutes.push(minutes);
      if (D.table) {  // evaluate/_frame.road_figures: the straight line beside the road
        G.memberStraight.push(oneLead >= 0 ? Math.hypot(D.x[i] - D.x[oneLead], D.y[i] - D.y[oneLead]) / 1000
          : NaN);
      }
      ctx.km[i] = km;
    });
    G.leads.forEach(function (i) { ctx.km[i] = 0; });
    figuresOf(ctx, G);
    G.rows = {};
    RULES.forEach(function (rule) {
      if (rule.group) {
        var rows = rule.group(ctx, G);
        if (rows.length) G.rows[rule.name] = rows;
      }
    });
    return G;
  }

  /** The per-group figures of group_metrics, and the sums the plan's figures are made of. */
  // --- the engine: state, caches and what an edit touches ------------------------------------

  function Engine(data) {
    var D = prepare(data);
    this.D = D;
    this.P = D.policy;
    this.groupNames = D.state.groupNames.slice();
    this.groupCode = new Map(this.groupNames.map(function (name, g) { return [name, g]; }));
    this.group = Int32Array.from(D.state.group);
    this.role = D.state.role.slice();
    this.reason = D.state.reason.slice();
    this.fixed = D.state.fixed.slice();
    this.anyLocked = this.fixed.some(function (f) { return f !== null; });
    this.km = new Float64Array(D.n).fill(NaN);
    this.roster = this.groupNames.map(function () { return []; });
    for (var i = 0; i < D.n; i++) if (this.group[i] >= 0) this.roster[this.group[i]].push(i);
    this.unitRoster = D.unitNames.map(function () { return []; });
    for (i = 0; i < D.n; i++) if (D.unit[i] >= 0) this.unitRoster[D.unit[i]].push(i);
    this.cache = [];
    this.unitRows = [];
    this._order = null;
    this._plan = null;
    var self = this;
    this.groupNames.forEach(function (_, g) { self.cache[g] = computeGroup(self, g); });
    D.unitNames.forEach(function (_, u) { self.unitRows[u] = computeUnit(self, u); });
  }

  function computeUnit(ctx, u) {
    var rows = {};
    RULES.forEach(function (rule) {
      if (rule.unit) {
        var r = rule.unit(ctx, u);
        if (r.length) rows[rule.name] = r;
      }
    });
    return rows;
  }

  /** Arrays of the data as typed arrays (NaN for missing numbers), and the plan's constants. */
  function prepare(data) {
    var D = Object.assign({}, data);
    var floats = function (a) { return a ? Float64Array.from(a, function (v) { return v === null ? NaN : v; }) : null; };
    D.n = data.ids.length;
    ['quality', 'x', 'y', 'lon', 'lat'].forEach(function (k) { D[k] = floats(data[k]); });
    D.teachers = floats(data.teachers);
    D.students = floats(data.ruleStudents);
    D.capacity = floats(data.capacity);
    D.keyTeachers = floats(data.keyTeachers);
    D.unit = Int32Array.from(data.unit);
    D.byCode = Int32Array.from(data.byCode);
    D.level = data.level ? Int32Array.from(data.level) : null;
    D.sector = data.sector ? Int32Array.from(data.sector) : null;
    D.weak = Uint8Array.from(data.weak);
    D.named = Uint8Array.from(data.named);
    D.mayLead = data.mayLead ? Uint8Array.from(data.mayLead) : null;
    D.urban = data.urban ? Uint8Array.from(data.urban) : null;
    D.rural = data.rural ? Uint8Array.from(data.rural) : null;
    if (data.table) {
      D.table = {indptr: Int32Array.from(data.table.indptr), indices: Int32Array.from(data.table.indices),
                 km: floats(data.table.km), minutes: floats(data.table.minutes)};
    }
    var sum = 0, weak = 0, rural = 0;
    for (var i = 0; i < D.n; i++) {
      sum += D.quality[i];
      weak += D.weak[i];
      if (D.rural) rural += D.rural[i];
    }
    D.qualityMean = D.n ? sum / D.n : NaN;
    D.nWeak = weak;
    D.nRural = rural;
    return D;
  }

  Engine.prototype.assigned = function (i) {
    return this.group[i] >= 0 && this.role[i] !== UNASSIGNED;
  };
  Engine.prototype.isLead = function (i) { return this.assigned(i) && this.role[i] === LEAD; };
  Engine.prototype.hasReason = function (i) {
    var r = this.reason[i];
    return r !== null && r !== undefined && String(r).trim() !== '';
  };

  /** Codes of the groups with a school in them, in the order of their names (Python's). */
  Engine.prototype.usedGroups = function () {
    var self = this;
    if (!this._order) {
      this._order = this.groupNames.map(function (_, g) { return g; }).sort(function (a, b) {
        return cmpStr(self.groupNames[a], self.groupNames[b]);
      });
    }
    return this._order.filter(function (g) { return self.cache[g].size > 0; });
  };

  /** A new group's code. */
  Engine.prototype.addGroup = function (name) {
    if (this.groupCode.has(name)) return this.groupCode.get(name);
    var g = this.groupNames.length;
    this.groupNames.push(name);
    this.groupCode.set(name, g);
    this.roster.push([]);
    this.cache[g] = computeGroup(this, g);
    this._order = null;
    return g;
  };

  function insertSorted(list, value) {
    var lo = 0, hi = list.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid] < value) lo = mid + 1; else hi = mid;
    }
    list.splice(lo, 0, value);
  }

  function removeSorted(list, value) {
    var lo = 0, hi = list.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid] < value) lo = mid + 1; else hi = mid;
    }
    if (list[lo] === value) list.splice(lo, 1);
  }

  /** Apply changes [{i, group, role, reason, fixed}] and recompute only the groups and units
   * they touch. Returns {groups, units}: the codes recomputed. */
  Engine.prototype.apply = function (changes) {
    var groups = new Set(), units = new Set(), self = this;
    changes.forEach(function (c) {
      var i = c.i, old = self.group[i];
      if (old >= 0) groups.add(old);
      if (c.group !== old) {
        if (old >= 0) removeSorted(self.roster[old], i);
        if (c.group >= 0) insertSorted(self.roster[c.group], i);
        self.group[i] = c.group;
      }
      if (c.group >= 0) groups.add(c.group);
      self.role[i] = c.role;
      self.reason[i] = c.reason;
      self.fixed[i] = c.fixed;
      self.km[i] = NaN;
      if (self.D.unit[i] >= 0) units.add(self.D.unit[i]);
    });
    this.anyLocked = this.fixed.some(function (f) { return f !== null; });
    groups.forEach(function (g) { self.cache[g] = computeGroup(self, g); });
    units.forEach(function (u) { self.unitRows[u] = computeUnit(self, u); });
    this._plan = null;
    return {groups: Array.from(groups), units: Array.from(units)};
  };

  /** Every rule the plan breaks, as geogroup.rules.violations lists them. */
  Engine.prototype.violations = function () {
    var self = this, out = [], groups = this.usedGroups();
    RULES.forEach(function (rule) {
      var planRows = rule.plan ? rule.plan(self) : [];
      if (!rule.planLast) out.push.apply(out, planRows);
      if (rule.group) {
        groups.forEach(function (g) {
          var rows = self.cache[g].rows[rule.name];
          if (rows) out.push.apply(out, rows);
        });
      }
      if (rule.unit) {
        self.unitRows.forEach(function (rows) {
          if (rows[rule.name]) out.push.apply(out, rows[rule.name]);
        });
      }
      if (rule.planLast) out.push.apply(out, planRows);
    });
    return out;
  };

  /** The plan's figures (plan_metrics) and each group's (group_metrics). */
  Engine.prototype.metrics = function () {
    var self = this;
    if (!this._plan) {
      var groups = {};
      this.usedGroups().forEach(function (g) {
        var G = self.cache[g];
        if (!G.figures) G.figures = groupFigures(self, G);  // kept until the group changes
        groups[self.groupNames[g]] = G.figures;
      });
      this._plan = {plan: planFigures(this), groups: groups};
    }
    return this._plan;
  };


  R.Engine = Engine;
  root.geogroupEditorEngine = {Engine: Engine};
})(typeof window !== 'undefined' ? window : globalThis);
