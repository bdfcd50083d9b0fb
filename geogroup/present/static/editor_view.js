/* geogroup plan editor: the page -- the map, the selected school and what can be done to it,
 * the violations, the figures with their change from the proposal, and window.geogroupEditor.
 *
 * Every text from the plan reaches the page through textContent or an attribute set by the
 * DOM, never through innerHTML: a school's name cannot become markup.
 *
 * The JavaScript API (window.geogroupEditor on the page; PlanEditor in a notebook):
 *   move(schoolId, groupId)  into a group, as a member (groupId null: out of every group)
 *   setLead(schoolId)        lead of its group; the group's lead becomes a member
 *   newGroup(schoolId)       a new group led by the school; returns its name
 *   lock(schoolId[, on])     lock in its group (fixed_group); lock(id, false) or unlock(id)
 *   unassign(schoolId[, reason])
 *   undo(), redo()           each returns true when there was an edit to undo or redo
 *   metrics()                {plan: plan_metrics, groups: {group: group_metrics}} as Python's
 *   violations()             [{rule, group_id, school_ids, detail}] as geogroup.check_plan
 *   exportCSV(), exportJSON() the files' text; exportXLSX() the workbook, base64
 *   select(schoolId), state(), edits(), moved(), nearbyGroups(schoolId, k)
 * An edit the plan cannot take (a locked school, an unknown id) throws an Error and changes
 * nothing.
 */
(function (root) {
  'use strict';
  var S = root.geogroupEditorState, X = root.geogroupEditorExport, M = root.geogroupEditorMap;
  var FIGURES = ['schools', 'groups', 'leads', 'members', 'unassigned', 'coverage',
    'group_size_mean', 'group_size_min', 'group_size_max', 'quality_mean', 'group_mean_min',
    'group_mean_max', 'group_mean_sd', 'group_mean_range', 'theil_total', 'theil_between',
    'theil_within', 'quality_gap_mean', 'distance_mean_km', 'distance_p95_km', 'distance_max_km',
    'straight_distance_mean_km', 'travel_mean_min', 'travel_max_min',
    'mixed_groups', 'mixed_groups_share', 'rural_with_urban_lead', 'rural_with_urban_lead_share',
    'weak_schools', 'weak_covered', 'weak_coverage', 'teachers', 'teachers_quota'];
  var FIGURE_LABEL = {schools: 'schools_n', groups: 'groups_n'};
  var GROUP_COLUMNS = ['size', 'members', 'mean_quality', 'quality_gap', 'mean_distance_km',
    'max_distance_km', 'n_weak', 'n_urban', 'n_rural'];
  var SHOWN_ROWS = 100;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  // rounded by kind, as the report and the workbook round (geogroup/present/_numbers.py):
  // shares as percentages to 0.1, km and quality to 0.1, indices to 0.001, counts whole
  var DIGITS = {km: 1, quality: 1, index: 3};

  function fmt(v, digits, kind) {
    if (v === null || v === undefined || (typeof v === 'number' && isNaN(v))) return '–';
    if (typeof v === 'boolean') return v ? '✓' : '–';
    if (typeof v !== 'number') return String(v);
    if (kind === 'share') return (100 * v).toFixed(1).replace(/\.0$/, '') + '%';
    if (kind && DIGITS[kind] !== undefined) return v.toFixed(DIGITS[kind]);
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    return v.toFixed(digits === undefined ? 3 : digits);
  }

  function delta(now, then, kind) {
    if (typeof now !== 'number' || typeof then !== 'number' || isNaN(now) || isNaN(then)) return '';
    var d = now - then;
    if (Math.abs(d) < 1e-9) return '';
    return (d > 0 ? '+' : '−') + fmt(Math.abs(d), undefined, kind);
  }

  function fill(template, args) {
    return String(template).replace(/\{(\w+)\}/g, function (m, k) {
      return args[k] === undefined || args[k] === null ? m : String(args[k]);
    });
  }

  function base64(bytes) {
    var s = '';
    for (var i = 0; i < bytes.length; i += 0x8000) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return root.btoa(s);
  }

  function View(container, data, options) {
    var t0 = root.performance.now();
    this.options = options || {};
    this.data = data;
    this.ui = (data.labels && data.labels.ui) || {};
    this.report = (data.labels && data.labels.report) || {};
    this.editor = new S.Editor(data);
    this.container = container;
    this.selected = -1;
    this.groupFilter = 'fault';
    this.message = null;
    this.timings = {};
    this.touchedGroups = new Set();  // groups an edit has touched: the others are as proposed
    this._build();
    var self = this;
    this.editor.on(function (event) { self._changed(event); });
    this.map.onClick = function (i) { self._clicked(i); };
    this.map.onHover = function (i, p) { self._hover(i, p); };
    this.refresh();
    this.timings.openMs = root.performance.now() - t0;
  }

  View.prototype.t = function (key) {
    return this.ui[key] !== undefined ? this.ui[key] : (this.report[key] !== undefined ? this.report[key] : key);
  };

  View.prototype.ruleName = function (rule) {
    return this.ui['rule:' + rule] || this.report['rule:' + rule] || rule;
  };

  View.prototype.value = function (code) {
    return this.report['v:' + code] !== undefined ? this.report['v:' + code] : code;
  };

  View.prototype._button = function (parent, key, handler, cls) {
    var b = el('button', 'gge-button' + (cls ? ' ' + cls : ''), this.t(key));
    b.type = 'button';
    b.setAttribute('data-action', key);
    var self = this;
    b.addEventListener('click', function () { self._try(handler); });
    parent.appendChild(b);
    return b;
  };

  View.prototype._build = function () {
    var root_ = el('div', 'gge');
    this.container.appendChild(root_);
    var mapBox = el('div', 'gge-map');
    root_.appendChild(mapBox);
    var side = el('aside', 'gge-side');
    root_.appendChild(side);
    this.map = new M.MapView(mapBox, this.editor, {tiles: this.data.tiles || null});
    var tools = el('div', 'gge-tools');
    mapBox.appendChild(tools);
    var self = this;
    this._button(tools, 'zoom_in', function () { self.map.zoom(1.5); });
    this._button(tools, 'zoom_out', function () { self.map.zoom(1 / 1.5); });
    this._button(tools, 'zoom_all', function () { self.map.fit(); });
    this.tip = el('div', 'gge-tip');
    mapBox.appendChild(this.tip);
    this.toast = el('div', 'gge-toast');
    this.toast.setAttribute('role', 'status');
    mapBox.appendChild(this.toast);
    this.legend = el('div', 'gge-legend');
    mapBox.appendChild(this.legend);
    [['gge-key-fault', 'legend_fault'], ['gge-key-moved', 'legend_moved'],
     ['gge-key-lead', 'legend_lead'], ['gge-key-none', 'legend_unassigned']].forEach(function (k) {
      var item = el('div', 'gge-legend-item');
      item.appendChild(el('span', 'gge-key ' + k[0]));
      item.appendChild(el('span', null, self.t(k[1])));
      self.legend.appendChild(item);
    });

    var head = el('header', 'gge-head');
    side.appendChild(head);
    head.appendChild(el('h1', 'gge-title', this.data.title || this.t('title')));
    this.summary = el('div', 'gge-summary');
    head.appendChild(this.summary);
    var actions = el('div', 'gge-actions');
    head.appendChild(actions);
    this.undoButton = this._button(actions, 'undo', function () { self.api.undo(); });
    this.redoButton = this._button(actions, 'redo', function () { self.api.redo(); });
    this._button(actions, 'export_csv', function () { self.download('csv'); }, 'gge-export');
    this._button(actions, 'export_xlsx', function () { self.download('xlsx'); }, 'gge-export');
    this._button(actions, 'export_json', function () { self.download('json'); }, 'gge-export');

    this.schoolBox = el('section', 'gge-school');
    side.appendChild(this.schoolBox);
    this.violationBox = el('section', 'gge-violations');
    side.appendChild(this.violationBox);
    this.figureBox = el('section', 'gge-figures');
    side.appendChild(this.figureBox);
    this.groupBox = el('section', 'gge-groups');
    side.appendChild(this.groupBox);
  };

  View.prototype._try = function (action) {
    try {
      this._say(null);
      return action();
    } catch (err) {
      if (err && err.name === 'EditError') {
        this._say(this._errorText(err), true);
        return null;
      }
      throw err;
    }
  };

  View.prototype._errorText = function (err) {
    var key = 'error_' + err.code;
    return this.ui[key] ? this.ui[key] + ' (' + err.message + ')' : err.message;
  };

  View.prototype._say = function (text, bad) {
    this.toast.textContent = text || '';
    this.toast.className = 'gge-toast' + (text ? ' gge-show' : '') + (bad ? ' gge-bad' : '');
  };

  View.prototype._clicked = function (i) {
    if (this.picking && i >= 0 && this.selected >= 0) {
      var e = this.editor.engine, self = this, from = this.selected;
      this.picking = false;
      if (!e.assigned(i)) { this._say(this.t('pick_none'), true); return; }
      this._try(function () { self.editor.move(self.editor.data.ids[from], e.groupNames[e.group[i]]); });
      this.select(from);
      return;
    }
    this.picking = false;
    this.select(i);
  };

  View.prototype._hover = function (i, p) {
    if (i < 0) { this.tip.style.display = 'none'; return; }
    this.tip.textContent = this.data.names[i];
    this.tip.style.display = 'block';
    this.tip.style.left = (p[0] + 12) + 'px';
    this.tip.style.top = (p[1] + 12) + 'px';
  };

  View.prototype.select = function (i) {
    this.selected = i;
    this.map.selected = i;
    this.map.request();
    this._schoolCard();
    this._groupTable();
  };

  /** After an edit the engine has recomputed what it touched; the panels and the map follow
   * in the next frame (several edits in one frame cost one refresh). */
  View.prototype._changed = function (event) {
    var self = this, e = this.editor.engine;
    if (event.touched) {
      event.touched.groups.forEach(function (g) { self.touchedGroups.add(e.groupNames[g]); });
    }
    if (!this._pending) {
      this._pending = true;
      (root.requestAnimationFrame || setTimeout)(function () {
        self._pending = false;
        var t0 = root.performance.now();
        self.refresh();
        self.timings.lastRefreshMs = root.performance.now() - t0;
        self.map.flush();
        self.timings.refreshedAt = root.performance.now();
      });
    }
    if (this.options.onChange) this.options.onChange(event);
  };

  /** Recompute what the panels show; the engine has already recomputed the touched groups. */
  View.prototype.refresh = function () {
    var e = this.editor.engine, D = e.D;
    this.violations = e.violations();
    this.map.fault.fill(0);
    var self = this;
    this.faultGroups = new Set();
    this.violations.forEach(function (v) {
      v.school_ids.forEach(function (id) { self.map.fault[self.editor.index.get(id)] = 1; });
      if (v.group_id !== null) {
        v.group_id.split(', ').forEach(function (g) {
          if (e.groupCode.has(g)) {
            self.faultGroups.add(g);
            var G = e.cache[e.groupCode.get(g)];
            if (G && !v.school_ids.length) G.at.forEach(function (i) { self.map.fault[i] = 1; });
          }
        });
      }
    });
    this.map.movedSet.fill(0);
    this.moved = this.editor.moved();
    this.moved.forEach(function (i) { self.map.movedSet[i] = 1; });
    this.map.request();
    this._summary(D);
    this._schoolCard();
    this._violationList();
    this._figureTable();
    this._groupTable();
  };

  View.prototype._summary = function (D) {
    var m = this.editor.engine.metrics().plan;
    clear(this.summary);
    var policy = this.data.policy.name;
    this.summary.appendChild(el('div', null, fill(this.t('summary_line'), {
      schools: fmt(m.schools), groups: fmt(m.groups), policy: policy,
      violations: fmt(this.violations.length), moved: fmt(this.moved.length)})));
    this.undoButton.disabled = !this.editor.history.length;
    this.redoButton.disabled = !this.editor.future.length;
  };

  View.prototype._row = function (table, label, value) {
    var tr = el('tr');
    tr.appendChild(el('th', null, label));
    tr.appendChild(el('td', null, value));
    table.appendChild(tr);
  };

  View.prototype._schoolCard = function () {
    var box = this.schoolBox, i = this.selected, e = this.editor.engine, D = e.D, self = this;
    clear(box);
    box.appendChild(el('h2', null, this.t('school')));
    if (i < 0) { box.appendChild(el('p', 'gge-hint', this.t('select_hint'))); return; }
    box.appendChild(el('div', 'gge-name', this.data.names[i]));
    var table = el('table', 'gge-card');
    box.appendChild(table);
    var g = e.assigned(i) ? e.groupNames[e.group[i]] : null;
    this._row(table, this.t('school_id'), D.ids[i]);
    this._row(table, this.t('group_id'), g === null ? this.value('unassigned') : g);
    this._row(table, this.t('role'), this.value(e.role[i] || '?'));
    this._row(table, this.t('quality'), fmt(D.quality[i], 2));
    if (D.area) this._row(table, this.t('area'), this.value(D.area[i] || '–'));
    if (D.level) this._row(table, this.t('level'), D.levelNames[D.level[i]]);
    this._row(table, this.t('weak'), this.value(D.weak[i] ? 'true' : 'false'));
    if (D.mayLead) this._row(table, this.t('allowed_lead'), this.value(D.mayLead[i] ? 'true' : 'false'));
    if (e.assigned(i)) this._row(table, this.t('distance_km'), fmt(e.km[i], 2));
    if (e.reason[i]) this._row(table, this.t('reason'), e.reason[i]);
    if (e.fixed[i] !== null) this._row(table, this.t('locked'), e.fixed[i]);
    var then = this.editor.baseline;
    var was = then.group[i] >= 0 && then.role[i] !== 'unassigned' ? then.groupNames[then.group[i]] : null;
    if (was !== g) this._row(table, this.t('proposal_group'), was === null ? this.value('unassigned') : was);

    var moveBox = el('div', 'gge-move');
    box.appendChild(moveBox);
    var select = el('select', 'gge-target');
    select.setAttribute('aria-label', this.t('move_to'));
    this.editor.nearbyGroups(D.ids[i], 8).forEach(function (n) {
      var lead = n.lead !== null ? self.data.names[self.editor.index.get(n.lead)] : '–';
      var option = el('option', null, n.group + ' · ' + n.km.toFixed(1) + ' km · ' + lead);
      option.value = n.group;
      select.appendChild(option);
    });
    moveBox.appendChild(select);
    this._button(moveBox, 'move', function () {
      if (select.value) self.editor.move(D.ids[i], select.value);
    });
    this._button(moveBox, 'pick_on_map', function () {
      self.picking = true;
      self._say(self.t('pick_hint'));
    });
    var more = el('div', 'gge-more');
    box.appendChild(more);
    this._button(more, 'make_lead', function () { self.editor.setLead(D.ids[i]); });
    this._button(more, 'new_group', function () { self.editor.newGroup(D.ids[i]); });
    this._button(more, e.fixed[i] !== null ? 'unlock' : 'lock', function () {
      self.editor.lock(D.ids[i], e.fixed[i] === null);
    });
    this._button(more, 'unassign', function () { self.editor.unassign(D.ids[i], self.t('unassigned_reason')); });
  };

  View.prototype.detail = function (v) {
    if (this.data.lang === 'en' || !v.args) return v.detail;
    var template = this.ui['detail:' + v.rule + (v.args.variant ? ':' + v.args.variant : '')];
    if (v.args.cannot !== undefined) return this.t('cannot') + ' ' + v.detail;
    return template ? fill(template, Object.assign({group: v.group_id, ids: v.school_ids.join(', ')},
      v.args)) : v.detail;
  };

  View.prototype._violationList = function () {
    var box = this.violationBox, self = this, e = this.editor.engine;
    clear(box);
    box.appendChild(el('h2', null, this.t('violations') + ' (' + this.violations.length + ')'));
    if (!this.violations.length) { box.appendChild(el('p', 'gge-ok', this.t('no_violations'))); return; }
    var list = el('ol', 'gge-violation-list');
    box.appendChild(list);
    var before = new Set(this.editor.baseline.violations.map(function (v) {
      return v.rule + '|' + v.group_id + '|' + v.school_ids.join(',');
    }));
    this.violations.slice(0, SHOWN_ROWS).forEach(function (v) {
      var item = el('li', 'gge-violation');
      item.setAttribute('data-rule', v.rule);
      if (v.group_id !== null) item.setAttribute('data-group', v.group_id);
      if (!before.has(v.rule + '|' + v.group_id + '|' + v.school_ids.join(','))) item.classList.add('gge-new');
      item.appendChild(el('span', 'gge-rule', self.ruleName(v.rule)));
      if (v.group_id !== null) item.appendChild(el('span', 'gge-group', v.group_id));
      item.appendChild(el('div', 'gge-detail', self.detail(v)));
      item.addEventListener('click', function () {
        var at = v.school_ids.map(function (id) { return self.editor.index.get(id); });
        var g = v.group_id !== null ? e.groupCode.get(v.group_id.split(', ')[0]) : undefined;
        if (g !== undefined && e.cache[g].at.length) at = e.cache[g].at;
        if (!at.length) return;
        self.select(g !== undefined && e.cache[g].leads.length ? e.cache[g].leads[0] : at[0]);
        self.map.fit(at);
      });
      list.appendChild(item);
    });
    if (this.violations.length > SHOWN_ROWS) {
      box.appendChild(el('p', 'gge-hint', fill(this.t('more_rows'), {n: this.violations.length - SHOWN_ROWS})));
    }
  };

  View.prototype._figureTable = function () {
    var box = this.figureBox, now = this.editor.engine.metrics().plan, then = this.editor.baseline.metrics.plan;
    var self = this;
    if (!this._figureCells) {  // built once; each refresh rewrites the cells
      this._figureCells = {};
      box.appendChild(el('h2', null, this.t('figures')));
      var table = el('table', 'gge-table');
      box.appendChild(table);
      var head = el('tr');
      ['', 'proposal', 'now', 'change'].forEach(function (k) { head.appendChild(el('th', null, k ? self.t(k) : '')); });
      table.appendChild(head);
      FIGURES.forEach(function (key) {
        if (now[key] === undefined || (now[key] === null && then[key] === null)) return;
        var tr = el('tr');
        tr.setAttribute('data-key', key);
        tr.appendChild(el('th', null, self.t(FIGURE_LABEL[key] || key)));
        var cells = [el('td'), el('td'), el('td')];
        cells.forEach(function (c) { tr.appendChild(c); });
        self._figureCells[key] = cells;
        table.appendChild(tr);
      });
    }
    var kinds = this.data.numberKinds || {};
    Object.keys(this._figureCells).forEach(function (key) {
      var cells = self._figureCells[key], kind = kinds[key], d = delta(now[key], then[key], kind);
      cells[0].textContent = fmt(then[key], undefined, kind);
      cells[1].textContent = fmt(now[key], undefined, kind);
      cells[2].textContent = d;
      cells[2].className = d ? 'gge-delta' : '';
    });
  };

  View.prototype._groupTable = function () {
    var box = this.groupBox, e = this.editor.engine, self = this;
    var now = e.metrics().groups, then = this.editor.baseline.metrics.groups;
    clear(box);
    box.appendChild(el('h2', null, this.t('groups')));
    var filter = el('select', 'gge-filter');
    ['fault', 'changed', 'all'].forEach(function (k) {
      var o = el('option', null, self.t('show_' + k));
      o.value = k;
      if (k === self.groupFilter) o.selected = true;
      filter.appendChild(o);
    });
    filter.addEventListener('change', function () { self.groupFilter = filter.value; self._groupTable(); });
    box.appendChild(filter);
    var selGroup = this.selected >= 0 && e.assigned(this.selected) ? e.groupNames[e.group[this.selected]] : null;
    var changed = function (g) {
      if (!self.touchedGroups.has(g)) return false;
      if (!now[g] || !then[g]) return true;
      return GROUP_COLUMNS.some(function (c) { return delta(now[g][c], then[g][c]) !== ''; }) ||
        now[g].lead_id !== then[g].lead_id;
    };
    var names;
    if (this.groupFilter === 'all') {
      names = Object.keys(now).concat(Object.keys(then).filter(function (g) { return !now[g]; }));
    } else {
      var wanted = new Set(this.groupFilter === 'changed' ? [] : this.faultGroups);
      this.touchedGroups.forEach(function (g) { if (changed(g)) wanted.add(g); });
      if (selGroup !== null) wanted.add(selGroup);
      names = Array.from(wanted).filter(function (g) { return now[g] || then[g]; });
    }
    var shown = names.sort(root.geogroupEditorRules.cmpStr);
    var table = el('table', 'gge-table gge-group-table');
    box.appendChild(table);
    var head = el('tr');
    ['group_id', 'lead_name'].concat(GROUP_COLUMNS).forEach(function (c) { head.appendChild(el('th', null, self.t(c))); });
    table.appendChild(head);
    var rows = this._rows || (this._rows = new Map()), fragment = document.createDocumentFragment();
    shown.slice(0, SHOWN_ROWS).forEach(function (g) {
      var cls = (self.faultGroups.has(g) ? 'gge-fault' : '') + (g === selGroup ? ' gge-selected' : '');
      var kept = rows.get(g);
      if (kept && kept.figures === now[g]) {  // the group is as when its row was made
        kept.tr.className = cls;
        fragment.appendChild(kept.tr);
        return;
      }
      var tr = el('tr', cls);
      rows.set(g, {figures: now[g], tr: tr});
      tr.setAttribute('data-group', g);
      var row = now[g] || {}, old = then[g] || {};
      tr.appendChild(el('td', null, g));
      tr.appendChild(el('td', null, row.lead_name === undefined ? (now[g] ? '–' : self.t('dissolved')) : row.lead_name || '–'));
      GROUP_COLUMNS.forEach(function (c) {
        var kind = (self.data.numberKinds || {})[c];
        var td = el('td', null, fmt(row[c], 2, kind));
        var d = delta(row[c], old[c], kind);
        if (d) td.appendChild(el('span', 'gge-delta', ' (' + d + ')'));
        tr.appendChild(td);
      });
      tr.addEventListener('click', function () {
        var code = e.groupCode.get(g);
        if (code === undefined || !e.cache[code].at.length) return;
        var G = e.cache[code];
        self.select(G.leads.length ? G.leads[0] : G.at[0]);
        self.map.fit(G.at);
      });
      fragment.appendChild(tr);
    });
    table.appendChild(fragment);
    if (shown.length > SHOWN_ROWS) {
      box.appendChild(el('p', 'gge-hint', fill(this.t('more_rows'), {n: shown.length - SHOWN_ROWS})));
    }
  };

  View.prototype.download = function (kind) {
    var stem = this.data.fileStem || 'plan-edited', body, type;
    if (kind === 'csv') { body = this.api.exportCSV(); type = 'text/csv;charset=utf-8'; }
    else if (kind === 'json') { body = this.api.exportJSON(); type = 'application/json'; }
    else {
      body = X.xlsx(this.editor, [this.t('sheet_plan'), this.t('sheet_edits')]);
      type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    }
    var url = URL.createObjectURL(new Blob([body], {type: type}));
    var a = el('a');
    a.href = url;
    a.download = stem + '.' + kind;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  };

  /** A copy of figures with NaN as null (as metrics.json writes it); infinities kept. */
  function plain(value) {
    if (typeof value === 'number') return isNaN(value) ? null : value;
    if (value === null || typeof value !== 'object') return value;
    var out = {};
    Object.keys(value).forEach(function (k) { out[k] = plain(value[k]); });
    return out;
  }

  function publicRows(rows) {
    return rows.map(function (v) {
      return {rule: v.rule, group_id: v.group_id, school_ids: v.school_ids.slice(), detail: v.detail};
    });
  }

  /** window.geogroupEditor: the scripted edits (see the header). */
  View.prototype._api = function () {
    var self = this, ed = this.editor;
    var timed = function (f) {
      return function () {
        var t0 = root.performance.now();
        var out = f.apply(null, arguments);
        self.timings.lastEditMs = root.performance.now() - t0;
        return out;
      };
    };
    return {
      move: timed(function (id, group) { return ed.move(id, group) !== null; }),
      setLead: timed(function (id) { return ed.setLead(id) !== null; }),
      newGroup: timed(function (id) { return ed.newGroup(id); }),
      lock: timed(function (id, on) { return ed.lock(id, on) !== null; }),
      unlock: timed(function (id) { return ed.lock(id, false) !== null; }),
      unassign: timed(function (id, reason) { return ed.unassign(id, reason) !== null; }),
      undo: timed(function () { return ed.undo() !== null; }),
      redo: timed(function () { return ed.redo() !== null; }),
      load: timed(function (state) { return ed.load(state) !== null; }),
      metrics: function () { return plain(ed.engine.metrics()); },
      violations: function () { return publicRows(ed.engine.violations()); },
      proposal: function () {
        return {metrics: plain(ed.baseline.metrics),
                violations: publicRows(ed.baseline.violations)};
      },
      exportCSV: function () { return X.csv(ed); },
      exportJSON: function () { return X.json(ed); },
      exportXLSX: function () { return base64(X.xlsx(ed, [self.t('sheet_plan'), self.t('sheet_edits')])); },
      select: function (id) { self.select(ed.pos(id)); return true; },
      state: function () { return ed.state(); },
      edits: function () { return ed.edits(); },
      moved: function () { return self.editor.moved().map(function (i) { return ed.data.ids[i]; }); },
      nearbyGroups: function (id, k) { return ed.nearbyGroups(id, k); },
      timings: function () { return Object.assign({drawMs: self.map.lastDrawMs}, self.timings); },
      draw: function () { self.map.draw(); return self.map.lastDrawMs; },
    };
  };

  function mount(container, data, options) {
    var view = new View(container, data, options);
    view.api = view._api();
    return view;
  }

  root.geogroupEditorView = {mount: mount, View: View};
})(typeof window !== 'undefined' ? window : globalThis);
