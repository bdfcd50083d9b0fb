/* geogroup plan editor: the edits (move, make lead, new group, lock, unassign), undo and redo.
 *
 * An edit changes some schools' group, role, reason and lock (fixed_group); the engine of
 * editor_rules.js then recomputes the groups and units it touched. The same edits, with the
 * same names for new groups, are made in Python by geogroup/present/_editor_ops.py (the
 * notebook's PlanEditor): keep the two in step.
 */
(function (root) {
  'use strict';
  var R = root.geogroupEditorRules;
  var NAME = /^([\s\S]*?)([0-9]+)$/;

  /** The name of a new group: the numbering of the school's group (or of the first group, by
   * name, that is numbered) continued past every number it uses; G01, G02... otherwise. */
  function nextGroupName(names, current) {
    var template = current !== null && NAME.test(current) ? current : null;
    if (template === null) {
      var numbered = names.filter(function (n) { return NAME.test(n); }).sort(R.cmpStr);
      template = numbered.length ? numbered[0] : null;
    }
    var prefix = 'G', width = 2;
    if (template !== null) {
      var m = NAME.exec(template);
      prefix = m[1];
      width = m[2].length;
    }
    var taken = new Set(names), k = 0;
    names.forEach(function (n) {
      var m = NAME.exec(n);
      if (m && m[1] === prefix) k = Math.max(k, parseInt(m[2], 10));
    });
    for (k += 1; ; k++) {
      var digits = String(k);
      while (digits.length < width) digits = '0' + digits;
      if (!taken.has(prefix + digits)) return prefix + digits;
    }
  }

  function EditError(message, code) {
    var e = new Error(message);
    e.name = 'EditError';
    e.code = code;
    return e;
  }

  function Editor(data) {
    this.data = data;
    this.engine = new R.Engine(data);
    var e = this.engine;
    this.index = new Map(data.ids.map(function (id, i) { return [String(id), i]; }));
    this.baseline = {
      metrics: structuredClone(e.metrics()),
      violations: e.violations(),
      group: Int32Array.from(e.group),
      role: e.role.slice(),
      groupNames: e.groupNames.slice(),
    };
    this.history = [];
    this.future = [];
    this.listeners = [];
    if (data.current) this._load(data.current, 'load', false);
  }

  Editor.prototype.on = function (listener) { this.listeners.push(listener); };

  Editor.prototype._notify = function (event) {
    this.listeners.forEach(function (f) { f(event); });
  };

  Editor.prototype.pos = function (id) {
    var i = this.index.get(String(id));
    if (i === undefined) throw EditError('no school with id ' + JSON.stringify(String(id)), 'unknown');
    return i;
  };

  Editor.prototype._now = function (i) {
    var e = this.engine;
    return {i: i, group: e.group[i], role: e.role[i], reason: e.reason[i], fixed: e.fixed[i]};
  };

  Editor.prototype._commit = function (kind, i, changes, extra, undoable) {
    var self = this;
    var before = changes.map(function (c) { return self._now(c.i); });
    var touched = this.engine.apply(changes);
    var edit = Object.assign({kind: kind, school_id: i === null ? null : this.data.ids[i],
                              before: before, after: changes}, extra || {});
    if (undoable !== false) {
      this.history.push(edit);
      this.future = [];
    }
    this._notify({edit: edit, touched: touched, kind: kind});
    return edit;
  };

  Editor.prototype._locked = function (i, what) {
    if (this.engine.fixed[i] !== null) {
      throw EditError('school ' + this.data.ids[i] + ' is locked (fixed_group ' +
        JSON.stringify(this.engine.fixed[i]) + '): unlock it before you ' + what + ' it', 'locked');
    }
  };

  Editor.prototype.groupName = function (i) {
    var g = this.engine.group[i];
    return g >= 0 ? this.engine.groupNames[g] : null;
  };

  /** Move a school into a group, as a member. */
  Editor.prototype.move = function (schoolId, groupId) {
    var i = this.pos(schoolId), e = this.engine;
    if (groupId === null || groupId === undefined) return this.unassign(schoolId);
    var g = e.groupCode.get(String(groupId));
    if (g === undefined) throw EditError('no group ' + JSON.stringify(String(groupId)), 'unknown');
    if (e.group[i] === g && e.assigned(i)) return null;
    this._locked(i, 'move');
    var from = this.groupName(i);
    var c = this._now(i);
    c.group = g; c.role = 'member'; c.reason = null;
    return this._commit('move', i, [c], {from: from, to: String(groupId)});
  };

  /** Make a school the lead of its group; its lead(s) become members. */
  Editor.prototype.setLead = function (schoolId) {
    var i = this.pos(schoolId), e = this.engine, self = this;
    if (!e.assigned(i)) throw EditError('school ' + schoolId + ' is in no group', 'unassigned');
    if (e.role[i] === 'lead' && e.cache[e.group[i]].leads.length === 1) return null;
    var changes = [];
    e.cache[e.group[i]].leads.forEach(function (l) {
      if (l === i) return;
      var c = self._now(l);
      c.role = 'member';
      changes.push(c);
    });
    var c = this._now(i);
    c.role = 'lead';
    changes.push(c);
    var group = this.groupName(i);
    return this._commit('lead', i, changes, {from: group, to: group});
  };

  /** Start a new group led by the school; returns the new group's name. */
  Editor.prototype.newGroup = function (schoolId) {
    var i = this.pos(schoolId), e = this.engine;
    this._locked(i, 'move');
    var from = this.groupName(i);
    var name = nextGroupName(e.groupNames, e.assigned(i) ? from : null);
    var g = e.addGroup(name);
    var c = this._now(i);
    c.group = g; c.role = 'lead'; c.reason = null;
    this._commit('new_group', i, [c], {from: from, to: name});
    return name;
  };

  /** Lock a school in its group (fixed_group), or unlock it with on = false. */
  Editor.prototype.lock = function (schoolId, on) {
    var i = this.pos(schoolId), e = this.engine;
    on = on === undefined ? true : !!on;
    if (!on) {
      if (e.fixed[i] === null) return null;
      var u = this._now(i);
      u.fixed = null;
      return this._commit('unlock', i, [u], {from: this.groupName(i), to: this.groupName(i)});
    }
    if (e.fixed[i] !== null) return null;
    if (!e.assigned(i)) throw EditError('school ' + schoolId + ' is in no group: only a school ' +
      'in a group can be locked', 'unassigned');
    var labels = new Set();
    e.roster[e.group[i]].forEach(function (j) {
      if (e.assigned(j) && e.fixed[j] !== null) labels.add(e.fixed[j]);
    });
    var c = this._now(i);
    c.fixed = labels.size === 1 ? Array.from(labels)[0] : this.groupName(i);
    return this._commit('lock', i, [c], {from: this.groupName(i), to: this.groupName(i)});
  };

  /** Take a school out of every group, with a reason. */
  Editor.prototype.unassign = function (schoolId, reason) {
    var i = this.pos(schoolId), e = this.engine;
    if (e.group[i] < 0 && e.role[i] === 'unassigned') return null;
    this._locked(i, 'unassign');
    var from = this.groupName(i);
    var c = this._now(i);
    c.group = -1; c.role = 'unassigned';
    c.reason = reason || this.data.unassignedReason || 'unassigned by hand';
    return this._commit('unassign', i, [c], {from: from, to: null});
  };

  Editor.prototype.undo = function () {
    var edit = this.history.pop();
    if (!edit) return null;
    var touched = this.engine.apply(edit.before);
    this.future.push(edit);
    this._notify({edit: edit, touched: touched, kind: 'undo'});
    return edit;
  };

  Editor.prototype.redo = function () {
    var edit = this.future.pop();
    if (!edit) return null;
    var touched = this.engine.apply(edit.after);
    this.history.push(edit);
    this._notify({edit: edit, touched: touched, kind: 'redo'});
    return edit;
  };

  /** Bring the plan to a state {groupNames, group, role, reason, fixed} (from Python). */
  Editor.prototype._load = function (state, kind, undoable) {
    var e = this.engine, changes = [];
    var codes = state.groupNames.map(function (name) { return e.addGroup(name); });
    for (var i = 0; i < e.D.n; i++) {
      var g = state.group[i] >= 0 ? codes[state.group[i]] : -1;
      var fixed = state.fixed[i] === undefined ? null : state.fixed[i];
      if (g !== e.group[i] || state.role[i] !== e.role[i] || state.reason[i] !== e.reason[i] ||
          fixed !== e.fixed[i]) {
        changes.push({i: i, group: g, role: state.role[i], reason: state.reason[i], fixed: fixed});
      }
    }
    if (!changes.length) return null;
    return this._commit(kind, null, changes, {}, undoable);
  };

  Editor.prototype.load = function (state) { return this._load(state, 'load', true); };

  /** The plan's state, as _load reads it and Python's PlanEditor too. */
  Editor.prototype.state = function () {
    var e = this.engine;
    return {groupNames: e.groupNames.slice(), group: Array.from(e.group), role: e.role.slice(),
            reason: e.reason.slice(), fixed: e.fixed.slice()};
  };

  /** The edits made, oldest first (undone ones left out). */
  Editor.prototype.edits = function () {
    return this.history.map(function (edit) {
      return {kind: edit.kind, school_id: edit.school_id, from: edit.from === undefined ? null : edit.from,
              to: edit.to === undefined ? null : edit.to};
    });
  };

  /** Positions of the schools whose group differs from the proposal's. */
  Editor.prototype.moved = function () {
    var e = this.engine, b = this.baseline, out = [];
    for (var i = 0; i < e.D.n; i++) {
      var now = e.assigned(i) ? e.groupNames[e.group[i]] : null;
      var then = b.group[i] >= 0 && b.role[i] !== 'unassigned' ? b.groupNames[b.group[i]] : null;
      if (now !== then) out.push(i);
    }
    return out;
  };

  /** The k groups whose lead (or first school) is nearest the school, its own group left
   * out: ranked on a local plane, then measured as the rules measure (pairKm). */
  Editor.prototype.nearbyGroups = function (schoolId, k) {
    var i = this.pos(schoolId), e = this.engine, D = e.D, out = [];
    var c = Math.cos(D.lat[i] * Math.PI / 180);
    e.usedGroups().forEach(function (g) {
      if (g === e.group[i] && e.assigned(i)) return;
      var leads = e.cache[g].leads;
      var at = leads.length ? leads[0] : e.cache[g].at[0];
      var dx = (D.lon[at] - D.lon[i]) * c, dy = D.lat[at] - D.lat[i];
      out.push({g: g, at: at, rank: dx * dx + dy * dy});
    });
    out.sort(function (a, b) { return a.rank - b.rank; });
    return out.slice(0, Math.max(k || 8, 1) * 2).map(function (o) {
      var km = D.table || D.unit[o.at] === D.unit[i] ? R.pairKm(D, i, o.at)
        : R.ellipsoidKm(D.lon[i], D.lat[i], D.lon[o.at], D.lat[o.at]);
      var leads = e.cache[o.g].leads;
      return {group: e.groupNames[o.g], km: km, lead: leads.length ? D.ids[leads[0]] : null};
    }).sort(function (a, b) { return a.km - b.km || R.cmpStr(a.group, b.group); }).slice(0, k || 8);
  };

  root.geogroupEditorState = {Editor: Editor, nextGroupName: nextGroupName};
})(typeof window !== 'undefined' ? window : globalThis);
