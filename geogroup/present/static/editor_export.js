/* geogroup plan editor: the edited plan as files -- CSV (plan.csv as geogroup writes it), XLSX
 * (a workbook written here, without a library) and JSON (plan.json, the CSV's companion).
 *
 * Mirrors: geogroup/plan.py  Plan.to_csv (UTF-8 with BOM, CRLF, formula-like text quoted as
 * csv_safe does; formula_like), Plan._meta (plan.json). Every cell the editor does not change
 * is written as Python wrote it; the page writes group_id, role, lead_id, distance_km, reason
 * and fixed_group. Saved side by side as NAME.csv and NAME.json, geogroup.read_plan reads the
 * pair back with its policy.
 */
(function (root) {
  'use strict';

  var FORMULA_START = ['=', '+', '-', '@', '\t', '\r'];
  var NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

  /** geogroup.plan.formula_like */
  function formulaLike(text) {
    text = text.replace(/^'+/, '');
    return FORMULA_START.indexOf(text.charAt(0)) >= 0 && text.length > 0 && !NUMBER.test(text);
  }

  function quoted(text) { return formulaLike(text) ? "'" + text : text; }
  function unquoted(text) {
    return text.charAt(0) === "'" && formulaLike(text.slice(1)) ? text.slice(1) : text;
  }

  /** A field as Python's csv module writes it (QUOTE_MINIMAL). */
  function field(text) {
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  /** Python's repr of a float: whole numbers keep ".0". */
  function pyFloat(v) {
    if (Number.isInteger(v) && Math.abs(v) < 1e16) return v.toFixed(1);
    var s = String(v);
    var m = /^(-?\d(?:\.\d+)?)e([+-])(\d+)$/.exec(s);  // 1e-7 -> 1e-07
    return m ? m[1] + 'e' + m[2] + (m[3].length < 2 ? '0' + m[3] : m[3]) : s;
  }

  /** numpy.round(v, 3): rint(v * 1000) / 1000, half to even. */
  function round3(v) {
    var y = v * 1000, r = Math.round(y);
    if (Math.abs(y % 1) === 0.5 && r % 2 !== 0) r -= 1;
    return r / 1000;
  }

  /** The cells the editor writes, for school i: {column name: text}. */
  function dynamicCells(ed, i) {
    var e = ed.engine, D = e.D, g = e.group[i];
    var lead = '';
    if (g >= 0 && e.role[i] !== 'unassigned' && e.cache[g].leads.length) lead = D.ids[e.cache[g].leads[0]];
    var km = e.assigned(i) ? e.km[i] : NaN;
    return {
      group_id: g >= 0 ? e.groupNames[g] : '',
      role: e.role[i],
      lead_id: lead,
      distance_km: isFinite(km) ? pyFloat(round3(km)) : '',
      reason: e.reason[i] === null || e.reason[i] === undefined ? '' : String(e.reason[i]),
      fixed_group: e.fixed[i] === null ? '' : String(e.fixed[i]),
    };
  }

  /** A static column's cells as a list (the data may hold them as a reference to another of
   * its arrays, or as distinct values and codes: _editor_data._cells). */
  function cells(data, column) {
    if (Array.isArray(column)) return column;
    if (column.ref) return data[column.ref];
    return column.codes.map(function (k) { return column.values[k]; });
  }

  /** The table: header and rows of {text, numeric} cells, unquoted (for the workbook) or as
   * the CSV holds them. */
  function table(ed, forCsv) {
    var C = ed.data.csv, e = ed.engine, n = e.D.n, fixed = {};
    Object.keys(C.static).forEach(function (j) { fixed[j] = cells(ed.data, C.static[j]); });
    var header = C.header.slice(), text = C.text.slice();
    var dynamic = Object.assign({}, C.dynamic);
    var addFixed = dynamic.fixed_group === undefined && e.anyLocked;
    if (addFixed) {
      dynamic.fixed_group = header.length;
      header.push('fixed_group');
      text.push(true);
    }
    var names = {};
    Object.keys(dynamic).forEach(function (k) { names[dynamic[k]] = k; });
    var rows = [];
    for (var i = 0; i < n; i++) {
      var mine = dynamicCells(ed, i), out = new Array(header.length);
      for (var j = 0; j < header.length; j++) {
        var value;
        if (names[j] !== undefined) {
          value = mine[names[j]];
          if (forCsv && text[j]) value = quoted(value);
        } else {
          value = fixed[j][i];
        }
        out[j] = forCsv || !text[j] ? value : unquoted(value);
      }
      rows.push(out);
    }
    C.extra.forEach(function (r) {
      var out = r.slice();
      if (addFixed) out.push('');
      rows.push(forCsv ? out : out.map(function (v, j) { return text[j] ? unquoted(v) : v; }));
    });
    return {header: forCsv ? header : header.map(unquoted), rows: rows, text: text,
            dynamic: dynamic};
  }

  function csv(ed) {
    var t = table(ed, true), lines = [t.header.map(field).join(',')];
    t.rows.forEach(function (r) { lines.push(r.map(field).join(',')); });
    return '\ufeff' + lines.join('\r\n') + '\r\n';
  }

  /** plan.json: the proposal's, with the counts of the edited plan and the edits made. */
  function json(ed) {
    var meta = JSON.parse(JSON.stringify(ed.data.meta || {}));
    var m = ed.engine.metrics().plan;
    meta.status = 'edited';
    meta.objective = null;
    meta.bound = null;
    meta.gap = null;
    meta.objective_parts = {};
    meta.groups = m.groups;
    meta.leads = m.leads;
    meta.members = m.members;
    meta.unassigned = m.unassigned;
    meta.moved = ed.moved().length;
    meta.edits = ed.edits();
    return JSON.stringify(meta, null, 2) + '\n';
  }

  // --- a workbook: the smallest valid XLSX (stored ZIP entries, inline strings) ----------------

  var CRC_TABLE = (function () {
    var t = new Uint32Array(256);
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t[n] = c >>> 0;
    }
    return t;
  })();

  function crc32(bytes) {
    var c = 0xffffffff;
    for (var i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }

  function utf8(text) { return new TextEncoder().encode(text); }

  /** A ZIP archive of stored (uncompressed) files: [{name, data: Uint8Array}]. */
  function zip(files) {
    var parts = [], central = [], offset = 0;
    var u16 = function (v) { return [v & 0xff, (v >>> 8) & 0xff]; };
    var u32 = function (v) { return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]; };
    var DATE = [0x00, 0x00, 0x21, 0x28];  // 2000-01-01 00:00: the same bytes for the same plan
    files.forEach(function (f) {
      var name = utf8(f.name), crc = crc32(f.data), size = f.data.length;
      var local = [].concat([0x50, 0x4b, 0x03, 0x04], u16(20), u16(0x0800), u16(0), DATE, u32(crc),
        u32(size), u32(size), u16(name.length), u16(0));
      parts.push(new Uint8Array(local), name, f.data);
      central.push([].concat([0x50, 0x4b, 0x01, 0x02], u16(20), u16(20), u16(0x0800), u16(0), DATE,
        u32(crc), u32(size), u32(size), u16(name.length), u16(0), u16(0), u16(0), u16(0), u32(0),
        u32(offset)), name);
      offset += local.length + name.length + size;
    });
    var start = offset, centralSize = 0;
    central.forEach(function (p) {
      var bytes = p instanceof Uint8Array ? p : new Uint8Array(p);
      parts.push(bytes);
      centralSize += bytes.length;
    });
    parts.push(new Uint8Array([].concat([0x50, 0x4b, 0x05, 0x06], u16(0), u16(0), u16(files.length),
      u16(files.length), u32(centralSize), u32(start), u16(0))));
    var total = parts.reduce(function (a, p) { return a + p.length; }, 0);
    var out = new Uint8Array(total), at = 0;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }

  function xmlText(text) {
    // XML 1.0 has no place for most control characters: they become U+FFFD
    return String(text).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
      .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  }

  function columnName(j) {
    var s = '';
    for (j += 1; j > 0; j = Math.floor((j - 1) / 26)) s = String.fromCharCode(65 + (j - 1) % 26) + s;
    return s;
  }

  function sheetXml(header, rows, numeric) {
    var out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
      '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'];
    [header].concat(rows).forEach(function (r, k) {
      out.push('<row r="' + (k + 1) + '">');
      r.forEach(function (v, j) {
        if (v === '' || v === null || v === undefined) return;
        var ref = columnName(j) + (k + 1);
        if (k > 0 && numeric[j] && NUMBER.test(v) && isFinite(Number(v))) {
          out.push('<c r="' + ref + '"><v>' + v + '</v></c>');
        } else {
          out.push('<c r="' + ref + '" t="inlineStr"><is><t xml:space="preserve">' + xmlText(v) +
            '</t></is></c>');
        }
      });
      out.push('</row>');
    });
    out.push('</sheetData></worksheet>');
    return out.join('');
  }

  function xlsx(ed, sheetNames) {
    var t = table(ed, false);
    var numeric = t.text.map(function (isText) { return !isText; });
    var edits = ed.edits().map(function (x) {
      return [x.kind, x.school_id || '', x.from || '', x.to || ''];
    });
    var names = sheetNames || ['plan', 'edits'];
    var sheets = [sheetXml(t.header, t.rows, numeric),
                  sheetXml(['edit', 'school_id', 'from', 'to'], edits, [false, false, false, false])];
    var ns = 'http://schemas.openxmlformats.org/';
    var files = [
      {name: '[Content_Types].xml', data: utf8('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
        '<Types xmlns="' + ns + 'package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        sheets.map(function (_, k) {
          return '<Override PartName="/xl/worksheets/sheet' + (k + 1) + '.xml" ContentType="application/' +
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>';
        }).join('') + '</Types>')},
      {name: '_rels/.rels', data: utf8('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
        '<Relationships xmlns="' + ns + 'package/2006/relationships"><Relationship Id="rId1" ' +
        'Type="' + ns + 'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>' +
        '</Relationships>')},
      {name: 'xl/workbook.xml', data: utf8('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
        '<workbook xmlns="' + ns + 'spreadsheetml/2006/main" xmlns:r="' + ns +
        'officeDocument/2006/relationships"><sheets>' + sheets.map(function (_, k) {
          return '<sheet name="' + xmlText(names[k]) + '" sheetId="' + (k + 1) + '" r:id="rId' + (k + 1) + '"/>';
        }).join('') + '</sheets></workbook>')},
      {name: 'xl/_rels/workbook.xml.rels', data: utf8('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
        '<Relationships xmlns="' + ns + 'package/2006/relationships">' + sheets.map(function (_, k) {
          return '<Relationship Id="rId' + (k + 1) + '" Type="' + ns +
            'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet' + (k + 1) + '.xml"/>';
        }).join('') + '</Relationships>')},
    ];
    sheets.forEach(function (xml, k) {
      files.push({name: 'xl/worksheets/sheet' + (k + 1) + '.xml', data: utf8(xml)});
    });
    return zip(files);
  }

  root.geogroupEditorExport = {csv: csv, json: json, xlsx: xlsx, formulaLike: formulaLike,
                               crc32: crc32};
})(typeof window !== 'undefined' ? window : globalThis);
