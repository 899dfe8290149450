/**
 * The dashboard's browser code, inlined into the HTML file. Plain ES2019 in a string (it runs in
 * the browser, not in Node), reading the JSON in #dashboard-data and drawing with the global uPlot.
 * The head (summary, top-N tables) is inline; the catalogue and per-SKU series chunks are either
 * inline too or script files beside the page, loaded on demand with <script> elements.
 */
export const clientScript = String.raw`
(function () {
  'use strict';
  var page = JSON.parse(document.getElementById('dashboard-data').textContent);
  var data = page.head;
  var DAY = 86400;
  var t0 = (window.performance && performance.now) ? performance.now() : Date.now();

  // ---- parts: inline, or loaded from the folder beside the page ----
  var parts = {};
  var waiting = {};
  Object.keys(page.inline || {}).forEach(function (name) { parts[name] = page.inline[name]; });
  window.demandDashboardPart = function (name, payload) {
    parts[name] = payload;
    (waiting[name] || []).forEach(function (w) { w.resolve(payload); });
    delete waiting[name];
  };
  function loadPart(name) {
    if (parts[name]) return Promise.resolve(parts[name]);
    return new Promise(function (resolve, reject) {
      var first = !waiting[name];
      (waiting[name] = waiting[name] || []).push({ resolve: resolve, reject: reject });
      if (!first) return;
      if (!page.partsDir) { reject(new Error('part ' + name + ' is missing from this file')); return; }
      var script = document.createElement('script');
      script.src = encodeURI(page.partsDir) + '/' + name + '.js';
      script.onerror = function () {
        (waiting[name] || []).forEach(function (w) { w.reject(new Error('could not load ' + script.src + ': keep the folder ' + page.partsDir + ' beside this file')); });
        delete waiting[name];
      };
      document.head.appendChild(script);
    });
  }
  function chunkName(i) { var s = String(i); while (s.length < 5) s = '0' + s; return 'chunk-' + s; }

  var actionWords = { reorder_now: 'Reorder now', watch: 'Watch', no_stock_data: 'No stock data', ok: 'OK' };
  var driftActionWords = {
    reforecast: 'Re-forecast started',
    challenger: 'Challenger run started',
    none: 'No action',
    'none:cap_reached': 'Not re-forecast: re-forecast cap for this run reached',
    'none:forecast_current': 'No action: the forecast already covers the change',
    'none:accuracy_ok': 'No action: accuracy still within threshold',
  };
  var driftKindWords = {
    data_psi: 'Demand distribution shift (PSI)',
    accuracy_wape: 'Accuracy dropped (WAPE)',
    overall_psi: 'Fleet demand shift (PSI)',
    new_skus: 'New SKUs share',
    vanished_skus: 'Vanished SKUs share',
    stockout_rate: 'Stockout-day share changed',
    fleet: 'Fleet drift',
  };
  function words(map, key) { return map[key] || String(key).replace(/[_:]/g, ' '); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'class') node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    return typeof v === 'number' ? v.toLocaleString('en-GB', { maximumFractionDigits: digits === undefined ? 1 : digits }) : String(v);
  }
  // Ratios like MASE keep two significant digits when small, so 0.004 never reads as "0".
  function fmtRatio(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    if (v !== 0 && Math.abs(v) < 0.01) return v.toPrecision(2);
    return fmt(v, 2);
  }
  function toSec(isoDate) { return Date.parse(isoDate + 'T00:00:00Z') / 1000; }
  function cell(text, cls) { return el('td', { text: text, class: cls || '' }); }
  function emptyRow(cols, text) { return el('tr', {}, [el('td', { colspan: String(cols), class: 'note', text: text })]); }

  // ---- run summary and data quality ----
  function renderSummary() {
    var s = data.summary;
    var cards = [
      ['Run', data.runId || 'none', 'wide'],
      ['SKUs forecast', fmt(s.skus, 0)],
      ['Forecast origin', s.originDate || '–'],
      ['Horizon (days)', fmt(s.horizonDays, 0)],
      // Σ expected units (the mean), not Σ points: points are median-type and under-forecast a fleet.
      ['Fleet forecast (units, horizon)', s.expectedUnits === null || s.expectedUnits === undefined ? '–' : fmt(s.expectedUnits, 0)],
      ['Backtest WAPE', s.wape === null ? '–' : fmt(100 * s.wape, 1) + ' %'],
      ['Median MASE', fmtRatio(s.medianMase)],
      ['Reorder now', fmt(s.actions.reorder_now || 0, 0)],
      ['Stockout within lead time', fmt(s.atRisk, 0)],
      ['Drift events', fmt(s.driftEvents, 0)],
    ];
    var box = document.getElementById('summary');
    cards.forEach(function (c) {
      box.appendChild(el('div', { class: 'card' + (c[2] ? ' ' + c[2] : ''), title: c[1] }, [el('div', { class: 'label', text: c[0] }), el('div', { class: 'value', text: c[1] })]));
    });
    var fams = s.modelFamilies || {};
    var famText = Object.keys(fams).sort(function (a, b) { return fams[b] - fams[a] || a.localeCompare(b); })
      .map(function (f) { return f + ' ' + fmt(fams[f], 0); }).join(' · ');
    var models = document.getElementById('models');
    if (famText) {
      models.textContent = 'Models chosen, by family: ' + famText + '. ';
      var top = Object.keys(s.models).sort(function (a, b) { return s.models[b] - s.models[a] || a.localeCompare(b); });
      var detail = el('details', {}, [el('summary', { text: 'Exact combinations (' + top.length + ')' })]);
      detail.style.display = 'inline';
      detail.appendChild(el('div', { text: top.map(function (m) { return m + ': ' + fmt(s.models[m], 0); }).join(', ') }));
      models.appendChild(detail);
    } else models.textContent = 'No models recorded for this run.';

    var q = document.getElementById('quality');
    var reasons = Object.keys(data.quality.reasons).sort(function (a, b) { return data.quality.reasons[b] - data.quality.reasons[a]; });
    q.appendChild(el('p', { text: fmt(data.quality.quarantined, 0) + ' records quarantined by the newest Silver build' + (reasons.length ? ', by reason:' : ' (nothing rejected).') }));
    if (reasons.length) {
      var max = data.quality.reasons[reasons[0]];
      var tbody = el('tbody');
      reasons.forEach(function (r) {
        var n = data.quality.reasons[r];
        tbody.appendChild(el('tr', {}, [cell(r), cell(fmt(n, 0), 'num'), el('td', {}, [el('div', { class: 'bar', style: 'width:' + Math.max(2, 100 * n / max) + '%' })])]));
      });
      q.appendChild(el('table', { id: 'quality-table' }, [el('thead', {}, [el('tr', {}, [el('th', { text: 'Reason' }), el('th', { text: 'Records' }), el('th', { text: '' })])]), tbody]));
    }
    var c = data.quality.cancellations;
    q.appendChild(el('p', { id: 'cancellations', class: 'note', text: c === null || c === undefined
      ? 'Cancelled order lines: count not known for this run.'
      : fmt(c, 0) + ' cancelled order lines were set aside (not quarantined): they net out the orders they cancel instead of counting as demand.' }));
  }

  // ---- forecast vs actual ----
  var chart = null;
  var currentSku = null;
  var drawn = 0;
  function chartData(s) {
    var xs = [], actual = [], point = [], q05 = [], q25 = [], q75 = [], q95 = [];
    if (s.historyStart) {
      var h0 = toSec(s.historyStart);
      s.units.forEach(function (u, i) {
        xs.push(h0 + i * DAY); actual.push(u); point.push(null); q05.push(null); q25.push(null); q75.push(null); q95.push(null);
      });
    }
    if (s.forecastStart) {
      var f0 = toSec(s.forecastStart);
      s.point.forEach(function (p, i) {
        var x = f0 + i * DAY;
        var at = xs.indexOf(x);
        if (at === -1) { xs.push(x); actual.push(null); point.push(null); q05.push(null); q25.push(null); q75.push(null); q95.push(null); at = xs.length - 1; }
        point[at] = p; q05[at] = s.q05[i]; q25[at] = s.q25[i]; q75[at] = s.q75[i]; q95[at] = s.q95[i];
      });
    }
    return [xs, actual, point, q05, q25, q75, q95];
  }
  function chartSize() {
    var box = document.getElementById('forecast-chart');
    return { width: Math.max(320, box.clientWidth - 8), height: 320 };
  }
  // What the legend shows when the cursor is off the chart: the last actual day and the first forecast day.
  function restingIdxs(d) {
    var lastActual = null, firstForecast = null;
    for (var i = 0; i < d[0].length; i++) {
      if (d[1][i] !== null && d[1][i] !== undefined) lastActual = i;
      if (firstForecast === null && d[2][i] !== null && d[2][i] !== undefined) firstForecast = i;
    }
    var a = lastActual === null ? firstForecast : lastActual;
    var f = firstForecast === null ? lastActual : firstForecast;
    return [a, a, f, f, f, f, f];
  }
  function drawChart(s) {
    var box = document.getElementById('forecast-chart');
    if (chart) { chart.destroy(); chart = null; }
    box.textContent = '';
    var d = chartData(s);
    var hasSales = s.units.some(function (u) { return u !== null && u > 0; });
    if (!hasSales && !s.point.some(function (p) { return p > 0; })) {
      box.appendChild(el('div', { class: 'empty', text: 'Nothing to draw for ' + s.sku + ': no sales in the last ' + data.historyDays + ' days and ' + (s.point.length ? 'a forecast of zero' : 'no forecast in this run') + '.' }));
      return;
    }
    var resting = restingIdxs(d);
    var size = chartSize();
    var opts = {
      width: size.width,
      height: size.height,
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.05)]; } } },
      series: [
        // Daily data: the legend names the day, not a time of day ("2011-12-09 12:00am" read as a timestamp).
        { label: 'Day', value: function (u, v) { return v === null || v === undefined ? '–' : new Date(v * 1000).toISOString().slice(0, 10); } },
        { label: 'Actual units', stroke: '#1f4e79', width: 1.5, points: { show: false } },
        { label: 'Forecast', stroke: '#c0392b', width: 2, dash: [6, 3], points: { show: false } },
        { label: 'q05', stroke: 'rgba(192,57,43,0.35)', width: 1, points: { show: false } },
        { label: 'q25', stroke: 'rgba(192,57,43,0.55)', width: 1, points: { show: false } },
        { label: 'q75', stroke: 'rgba(192,57,43,0.55)', width: 1, points: { show: false } },
        { label: 'q95', stroke: 'rgba(192,57,43,0.35)', width: 1, points: { show: false } },
      ],
      bands: [
        { series: [6, 3], fill: 'rgba(192,57,43,0.10)' },
        { series: [5, 4], fill: 'rgba(192,57,43,0.22)' },
      ],
      axes: [{}, { label: 'units / day' }],
      legend: { live: true },
      hooks: {
        ready: [function (u) { u.setLegend({ idxs: resting }, false); }],
        setLegend: [function (u) { if (u.cursor.idx === null || u.cursor.idx === undefined) u.setLegend({ idxs: resting }, false); }],
      },
    };
    chart = new uPlot(opts, d, box);
    drawn += 1;
  }
  function showSku(s) {
    currentSku = s.sku;
    document.getElementById('chart-title').textContent = 'SKU ' + s.sku + (s.description ? ' — ' + s.description : '');
    var m = s.metrics, a = s.action;
    var facts = [
      ['Model', s.model || '–'],
      ['MASE', m ? fmtRatio(m.mase) : '–'],
      ['WAPE', m && m.wape !== null ? fmt(100 * m.wape, 1) + ' %' : '–'],
      ['90% coverage', m && m.coverage90 !== null ? fmt(100 * m.coverage90, 0) + ' %' : '–'],
      ['On hand', a ? fmt(a.onHand, 0) : '–'],
      ['Days of cover', a ? fmt(a.daysOfCover, 1) : '–'],
      ['Stockout', a ? (a.stockoutDate || 'none projected') : '–'],
      ['Reorder point', a ? fmt(a.reorderPoint, 1) : '–'],
      ['Order qty', a ? fmt(a.orderQty, 0) : '–'],
      ['Action', a ? words(actionWords, a.action) : '–'],
    ];
    var box = document.getElementById('sku-facts');
    box.textContent = '';
    facts.forEach(function (f) { box.appendChild(el('span', { class: 'fact' }, [el('b', { text: f[0] + ': ' }), document.createTextNode(f[1])])); });
    var select = document.getElementById('sku-select');
    if (select.value !== s.sku) select.value = s.sku;
    drawChart(s);
    document.body.setAttribute('data-sku', s.sku);
  }
  var catalogue = null;
  var indexOf = {};
  // Each pick is numbered: a chunk that arrives after a newer pick (a second search while the first
  // one's chunk was still loading) must not put its SKU back in the header and chart.
  var picks = 0;
  function selectSku(sku) {
    var at = indexOf[sku];
    if (at === undefined) return Promise.resolve();
    var pick = ++picks;
    var name = chunkName(Math.floor(at / data.chunkSize));
    document.body.setAttribute('data-loading', name);
    return loadPart(name).then(function (chunk) {
      if (pick !== picks) return;
      document.body.removeAttribute('data-loading');
      var s = chunk.filter(function (x) { return x.sku === sku; })[0];
      if (s) showSku(s);
    }, function (err) { if (pick === picks) showError(err); });
  }
  function showError(err) {
    var box = document.getElementById('forecast-chart');
    box.textContent = '';
    box.appendChild(el('div', { class: 'empty', text: String(err && err.message || err) }));
  }

  // ---- searchable selector over the whole catalogue (at most 200 options shown) ----
  var shownOptions = 200;
  function renderSelector() {
    var select = document.getElementById('sku-select');
    var search = document.getElementById('sku-search');
    var filter = document.getElementById('sku-filter');
    var n = catalogue.sku.length;
    var haystack = new Array(n);
    var needsAction = 0;
    for (var i = 0; i < n; i++) {
      indexOf[catalogue.sku[i]] = i;
      haystack[i] = (catalogue.sku[i] + ' ' + (catalogue.description[i] || '')).toLowerCase();
      if (catalogue.action[i] === 'reorder_now' || catalogue.action[i] === 'watch') needsAction += 1;
    }
    if (!needsAction) filter.value = 'all';
    filter.options[0].textContent = 'Needs action: reorder now, watch (' + fmt(needsAction, 0) + ')';
    filter.options[1].textContent = 'All SKUs (' + fmt(n, 0) + ')';
    function fill() {
      var term = search.value.trim().toLowerCase();
      var onlyAction = filter.value === 'action' && !term;
      select.textContent = '';
      var matches = 0;
      for (var i = 0; i < n; i++) {
        if (onlyAction && catalogue.action[i] !== 'reorder_now' && catalogue.action[i] !== 'watch') continue;
        if (term && haystack[i].indexOf(term) === -1) continue;
        matches += 1;
        if (matches > shownOptions) continue;
        var label = catalogue.sku[i] + (catalogue.description[i] ? ' — ' + catalogue.description[i] : '') + (catalogue.action[i] === 'reorder_now' ? '  (reorder now)' : catalogue.action[i] === 'watch' ? '  (watch)' : '');
        select.appendChild(el('option', { value: catalogue.sku[i], text: label }));
      }
      document.getElementById('sku-count').textContent = matches > shownOptions
        ? 'Showing ' + shownOptions + ' of ' + fmt(matches, 0) + ' matches, most urgent first: type to narrow.'
        : fmt(matches, 0) + (matches === 1 ? ' SKU' : ' SKUs') + (term ? ' match' + (matches === 1 ? 'es' : '') + (onlyAction ? '' : ' in the catalogue') : '') + (onlyAction ? ' need action.' : '.') ;
      if (currentSku) select.value = currentSku;
      return matches;
    }
    search.addEventListener('input', function () {
      if (fill() === 1) selectSku(select.options[0].value);
    });
    filter.addEventListener('change', fill);
    select.addEventListener('change', function () { selectSku(select.value); });
    fill();
  }
  function productCell(sku, description) { return cell(description || '–'); }

  // ---- top movers ----
  function renderMovers() {
    var tbody = document.querySelector('#movers tbody');
    if (!data.movers.length) { tbody.appendChild(emptyRow(7, 'No SKU sold anything in the last 56 days of history, so there are no movers.')); return; }
    var max = data.movers.reduce(function (m, r) { return Math.max(m, Math.abs(r.change)); }, 1);
    data.movers.forEach(function (r) {
      var bar = el('div', { class: 'bar ' + (r.change < 0 ? 'down' : 'up'), style: 'width:' + Math.max(2, 100 * Math.abs(r.change) / max) + '%' });
      var pct = r.changePct === null ? 'no sales before' : (r.changePct > 0 ? '+' : '') + fmt(r.changePct, 1) + ' %';
      var row = el('tr', { class: 'clickable' }, [cell(r.sku), productCell(r.sku, r.description), cell(fmt(r.previous, 0), 'num'), cell(fmt(r.recent, 0), 'num'), cell((r.change > 0 ? '+' : '') + fmt(r.change, 0), 'num'), cell(pct, 'num'), el('td', {}, [bar])]);
      row.addEventListener('click', function () { selectSku(r.sku); });
      tbody.appendChild(row);
    });
  }

  // ---- accuracy distribution (MASE histogram, computed in aggregate) ----
  function renderAccuracy() {
    var box = document.getElementById('accuracy-chart');
    var acc = data.accuracy;
    var total = acc.counts.reduce(function (a, b) { return a + b; }, 0);
    if (!total) { box.appendChild(el('div', { class: 'empty', text: 'No backtest metrics for this run: SKUs with too little history are forecast without a backtest.' })); return; }
    var width = acc.width, bins = acc.counts.length, xs = [];
    for (var i = 0; i < bins; i++) xs.push(i * width);
    new uPlot({
      width: Math.max(280, box.clientWidth - 8),
      height: 220,
      scales: { x: { time: false, range: [-width / 2, bins * width - width / 2] }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      legend: { show: false },
      series: [{ label: 'MASE from' }, { label: 'SKUs', fill: 'rgba(31,78,121,0.6)', stroke: '#1f4e79', paths: uPlot.paths.bars({ size: [0.9, 60] }), points: { show: false } }],
      axes: [{ label: 'MASE (below 1 beats the seasonal naive forecast; last bin: ≥ ' + ((bins - 1) * width) + ')', values: function (u, ticks) { return ticks.map(function (t) { return t.toFixed(2); }); } }, { label: 'SKUs' }],
    }, [xs, acc.counts], box);
  }

  // ---- inventory actions (top rows per action, computed in aggregate) ----
  var urgency = { reorder_now: 0, watch: 1, no_stock_data: 2, ok: 3 };
  function renderActions() {
    var filter = document.getElementById('action-filter');
    var tbody = document.querySelector('#actions tbody');
    var counts = data.summary.actions;
    var total = Object.keys(counts).reduce(function (a, k) { return a + counts[k]; }, 0);
    var noStock = counts.no_stock_data || 0;
    var note = document.getElementById('actions-note');
    if (!total) note.textContent = 'No inventory actions for this run: inventory planning has not run for it (re-forecast and challenger runs plan none).';
    else if (noStock === total) note.textContent = 'No stock on hand is known for any SKU: no inventory snapshot was landed for them, so days of cover, stockout dates and reorder quantities cannot be computed. Land inventory files (sku, on_hand) to get reorder advice.';
    else if (noStock) note.textContent = fmt(noStock, 0) + ' of ' + fmt(total, 0) + ' SKUs have no inventory snapshot, so no cover or reorder advice can be given for them ("No stock data").';
    Array.prototype.forEach.call(filter.options, function (o) {
      if (o.value !== 'all') o.textContent = words(actionWords, o.value) + ' (' + fmt(counts[o.value] || 0, 0) + ')';
    });
    if (counts.reorder_now) filter.value = 'reorder_now';
    function fill() {
      tbody.textContent = '';
      var rows = data.actionRows.filter(function (a) { return filter.value === 'all' || a.action === filter.value; });
      rows.slice(0, 300).forEach(function (a) {
        var row = el('tr', { class: 'clickable action-' + a.action }, [cell(a.sku), productCell(a.sku, a.description), cell(words(actionWords, a.action)), cell(fmt(a.onHand, 0), 'num'), cell(fmt(a.daysOfCover, 1), 'num'), cell(a.stockoutDate || '–'), cell(fmt(a.safetyStock, 1), 'num'), cell(fmt(a.reorderPoint, 1), 'num'), cell(fmt(a.orderQty, 0), 'num')]);
        row.addEventListener('click', function () { selectSku(a.sku); });
        tbody.appendChild(row);
      });
      var all = filter.value === 'all' ? total : (counts[filter.value] || 0);
      if (!rows.length) tbody.appendChild(emptyRow(9, total ? 'No SKU has this action in this run.' : 'No inventory actions for this run.'));
      else if (all > rows.length) tbody.appendChild(emptyRow(9, 'Showing the ' + fmt(Math.min(rows.length, 300), 0) + ' most urgent of ' + fmt(all, 0) + '; search the SKU list for any other.'));
    }
    filter.addEventListener('change', fill);
    fill();
  }

  // ---- drift events ----
  function renderDrift() {
    var tbody = document.querySelector('#drift tbody');
    if (!data.drift.length) { tbody.appendChild(emptyRow(7, 'No drift detected in this run: recent demand and accuracy are within the thresholds.')); return; }
    data.drift.slice(0, 500).forEach(function (d) {
      var at = d.sku === null ? undefined : indexOf[d.sku];
      var name = at === undefined ? null : catalogue.description[at];
      var row = el('tr', { class: d.sku ? 'clickable' : '' }, [cell(d.detectedAt.replace('T', ' ').slice(0, 16)), cell(words(driftKindWords, d.kind)), cell(d.sku || 'whole fleet'), cell(d.sku ? (name || '–') : ''), cell(fmt(d.value, 3), 'num'), cell(fmt(d.threshold, 3), 'num'), cell(words(driftActionWords, d.action))]);
      if (d.sku) row.addEventListener('click', function () { selectSku(d.sku); });
      tbody.appendChild(row);
    });
    if (data.drift.length > 500) tbody.appendChild(emptyRow(7, 'Showing the newest 500 of ' + fmt(data.drift.length, 0) + ' drift events.'));
  }

  renderSummary();
  renderMovers();
  renderAccuracy();
  renderActions();
  window.demandDashboard = {
    selectSku: selectSku,
    currentSku: function () { return currentSku; },
    chartsDrawn: function () { return drawn; },
    ready: loadPart('catalogue').then(function (c) {
      catalogue = c;
      renderSelector();
      renderDrift();
      if (data.firstSku) return selectSku(data.firstSku);
      document.getElementById('chart-title').textContent = 'No SKUs in this run';
      document.getElementById('forecast-chart').appendChild(el('div', { class: 'empty', text: 'This run forecast no SKU: see the run summary and data quality.' }));
    }).then(function () {
      var now = (window.performance && performance.now) ? performance.now() : Date.now();
      document.body.setAttribute('data-ready-ms', String(Math.round(now - t0)));
    }, showError),
  };
  window.addEventListener('resize', function () { if (chart) { var size = chartSize(); chart.setSize(size); } });
})();
`;
