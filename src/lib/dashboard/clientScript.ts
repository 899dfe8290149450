/**
 * The dashboard's browser code, inlined into the HTML file. Plain ES2019 in a string (it runs in
 * the browser, not in Node), reading the JSON in #dashboard-data and drawing with the global uPlot.
 */
export const clientScript = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('dashboard-data').textContent);
  var DAY = 86400;
  var bySku = {};
  data.skus.forEach(function (s) { bySku[s.sku] = s; });

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
  function toSec(isoDate) { return Date.parse(isoDate + 'T00:00:00Z') / 1000; }
  function cell(text, cls) { return el('td', { text: text, class: cls || '' }); }

  // ---- run summary and data quality ----
  function renderSummary() {
    var s = data.summary;
    var cards = [
      ['Run', data.runId || 'none'],
      ['SKUs forecast', fmt(s.skus, 0)],
      ['Forecast origin', s.originDate || '–'],
      ['Horizon (days)', fmt(s.horizonDays, 0)],
      ['Backtest WAPE', s.wape === null ? '–' : fmt(100 * s.wape, 1) + ' %'],
      ['Median MASE', fmt(s.medianMase, 2)],
      ['Reorder now', fmt(s.actions.reorder_now || 0, 0)],
      ['Stockout within lead time', fmt(s.atRisk, 0)],
      ['Drift events', fmt(s.driftEvents, 0)],
    ];
    var box = document.getElementById('summary');
    cards.forEach(function (c) {
      box.appendChild(el('div', { class: 'card' }, [el('div', { class: 'label', text: c[0] }), el('div', { class: 'value', text: c[1] })]));
    });
    var models = Object.keys(s.models).sort().map(function (m) { return m + ': ' + s.models[m]; }).join(', ');
    document.getElementById('models').textContent = models ? 'Models: ' + models : '';
    var q = document.getElementById('quality');
    var reasons = Object.keys(data.quality.reasons).sort(function (a, b) { return data.quality.reasons[b] - data.quality.reasons[a]; });
    q.appendChild(el('p', { text: fmt(data.quality.quarantined, 0) + ' records quarantined in this run' + (reasons.length ? ', by reason:' : '.') }));
    if (reasons.length) {
      var max = data.quality.reasons[reasons[0]];
      var tbody = el('tbody');
      reasons.forEach(function (r) {
        var n = data.quality.reasons[r];
        tbody.appendChild(el('tr', {}, [cell(r), cell(fmt(n, 0), 'num'), el('td', {}, [el('div', { class: 'bar', style: 'width:' + Math.max(2, 100 * n / max) + '%' })])]));
      });
      q.appendChild(el('table', { id: 'quality-table' }, [el('thead', {}, [el('tr', {}, [el('th', { text: 'Reason' }), el('th', { text: 'Records' }), el('th', { text: '' })])]), tbody]));
    }
  }

  // ---- forecast vs actual ----
  var chart = null;
  var currentSku = null;
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
        if (at === -1) { xs.push(x); actual.push(null); at = xs.length - 1; }
        point[at] = p; q05[at] = s.q05[i]; q25[at] = s.q25[i]; q75[at] = s.q75[i]; q95[at] = s.q95[i];
      });
    }
    return [xs, actual, point, q05, q25, q75, q95];
  }
  function chartSize() {
    var box = document.getElementById('forecast-chart');
    return { width: Math.max(320, box.clientWidth - 8), height: 320 };
  }
  function drawChart(s) {
    var box = document.getElementById('forecast-chart');
    if (chart) { chart.destroy(); chart = null; }
    box.textContent = '';
    var size = chartSize();
    var opts = {
      width: size.width,
      height: size.height,
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.05)]; } } },
      series: [
        {},
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
    };
    chart = new uPlot(opts, chartData(s), box);
  }
  function selectSku(sku) {
    var s = bySku[sku];
    if (!s) return;
    currentSku = sku;
    document.getElementById('chart-title').textContent = 'SKU ' + s.sku + (s.description ? ' — ' + s.description : '');
    var m = s.metrics, a = s.action;
    var facts = [
      ['Model', s.model || '–'],
      ['MASE', m ? fmt(m.mase, 2) : '–'],
      ['WAPE', m && m.wape !== null ? fmt(100 * m.wape, 1) + ' %' : '–'],
      ['90% coverage', m && m.coverage90 !== null ? fmt(100 * m.coverage90, 0) + ' %' : '–'],
      ['On hand', a ? fmt(a.onHand, 0) : '–'],
      ['Days of cover', a ? fmt(a.daysOfCover, 1) : '–'],
      ['Stockout', a ? (a.stockoutDate || 'none projected') : '–'],
      ['Reorder point', a ? fmt(a.reorderPoint, 1) : '–'],
      ['Order qty', a ? fmt(a.orderQty, 0) : '–'],
      ['Action', a ? a.action : '–'],
    ];
    var box = document.getElementById('sku-facts');
    box.textContent = '';
    facts.forEach(function (f) { box.appendChild(el('span', { class: 'fact' }, [el('b', { text: f[0] + ': ' }), document.createTextNode(f[1])])); });
    var select = document.getElementById('sku-select');
    if (select.value !== sku) select.value = sku;
    drawChart(s);
    document.body.setAttribute('data-sku', sku);
  }

  // ---- searchable selector ----
  function renderSelector() {
    var select = document.getElementById('sku-select');
    var search = document.getElementById('sku-search');
    function fill() {
      var term = search.value.trim().toLowerCase();
      select.textContent = '';
      data.skus.forEach(function (s) {
        var label = s.sku + (s.description ? ' — ' + s.description : '');
        if (term && label.toLowerCase().indexOf(term) === -1) return;
        select.appendChild(el('option', { value: s.sku, text: label }));
      });
      if (currentSku) select.value = currentSku;
    }
    search.addEventListener('input', function () {
      fill();
      if (select.options.length === 1) selectSku(select.options[0].value);
    });
    select.addEventListener('change', function () { selectSku(select.value); });
    fill();
  }

  // ---- top movers ----
  function renderMovers() {
    var tbody = document.querySelector('#movers tbody');
    var max = data.movers.reduce(function (m, r) { return Math.max(m, Math.abs(r.change)); }, 1);
    data.movers.forEach(function (r) {
      var bar = el('div', { class: 'bar ' + (r.change < 0 ? 'down' : 'up'), style: 'width:' + Math.max(2, 100 * Math.abs(r.change) / max) + '%' });
      var row = el('tr', { class: 'clickable' }, [cell(r.sku), cell(fmt(r.previous, 0), 'num'), cell(fmt(r.recent, 0), 'num'), cell((r.change > 0 ? '+' : '') + fmt(r.change, 0), 'num'), cell(r.changePct === null ? 'new' : fmt(r.changePct, 1) + ' %', 'num'), el('td', {}, [bar])]);
      row.addEventListener('click', function () { selectSku(r.sku); });
      tbody.appendChild(row);
    });
  }

  // ---- accuracy distribution (MASE histogram) ----
  function renderAccuracy() {
    var values = data.skus.map(function (s) { return s.metrics ? s.metrics.mase : null; }).filter(function (v) { return v !== null; });
    var box = document.getElementById('accuracy-chart');
    if (!values.length) { box.textContent = 'No backtest metrics for this run.'; return; }
    var width = 0.25, bins = 12, xs = [], counts = [];
    for (var i = 0; i < bins; i++) { xs.push(i * width); counts.push(0); }
    values.forEach(function (v) { counts[Math.min(bins - 1, Math.floor(v / width))] += 1; });
    new uPlot({
      width: Math.max(280, box.clientWidth - 8),
      height: 220,
      scales: { x: { time: false, range: [-width / 2, bins * width - width / 2] }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      series: [{ label: 'MASE from' }, { label: 'SKUs', fill: 'rgba(31,78,121,0.6)', stroke: '#1f4e79', paths: uPlot.paths.bars({ size: [0.9, 60] }), points: { show: false } }],
      axes: [{ label: 'MASE (last bin: ≥ ' + ((bins - 1) * width) + ')', values: function (u, ticks) { return ticks.map(function (t) { return t.toFixed(2); }); } }, { label: 'SKUs' }],
    }, [xs, counts], box);
  }

  // ---- inventory actions ----
  var urgency = { reorder_now: 0, watch: 1, no_stock_data: 2, ok: 3 };
  function renderActions() {
    var filter = document.getElementById('action-filter');
    var tbody = document.querySelector('#actions tbody');
    function fill() {
      tbody.textContent = '';
      data.skus.filter(function (s) { return s.action && (filter.value === 'all' || s.action.action === filter.value); })
        .sort(function (a, b) {
          return (urgency[a.action.action] - urgency[b.action.action]) ||
            ((a.action.daysOfCover === null ? Infinity : a.action.daysOfCover) - (b.action.daysOfCover === null ? Infinity : b.action.daysOfCover)) ||
            a.sku.localeCompare(b.sku);
        })
        .slice(0, 300)
        .forEach(function (s) {
          var a = s.action;
          var row = el('tr', { class: 'clickable action-' + a.action }, [cell(s.sku), cell(a.action), cell(fmt(a.onHand, 0), 'num'), cell(fmt(a.daysOfCover, 1), 'num'), cell(a.stockoutDate || '–'), cell(fmt(a.safetyStock, 1), 'num'), cell(fmt(a.reorderPoint, 1), 'num'), cell(fmt(a.orderQty, 0), 'num')]);
          row.addEventListener('click', function () { selectSku(s.sku); });
          tbody.appendChild(row);
        });
      if (!tbody.children.length) tbody.appendChild(el('tr', {}, [el('td', { colspan: '8', text: 'No inventory actions for this run.' })]));
    }
    filter.addEventListener('change', fill);
    fill();
  }

  // ---- drift events ----
  function renderDrift() {
    var tbody = document.querySelector('#drift tbody');
    if (!data.drift.length) { tbody.appendChild(el('tr', {}, [el('td', { colspan: '6', text: 'No drift events in this run.' })])); return; }
    data.drift.forEach(function (d) {
      tbody.appendChild(el('tr', {}, [cell(d.detectedAt.replace('T', ' ').slice(0, 16)), cell(d.kind), cell(d.sku || 'fleet'), cell(fmt(d.value, 3), 'num'), cell(fmt(d.threshold, 3), 'num'), cell(d.action)]));
    });
  }

  renderSummary();
  renderSelector();
  renderMovers();
  renderAccuracy();
  renderActions();
  renderDrift();
  var first = data.skus.filter(function (s) { return s.action && s.action.action === 'reorder_now'; })[0] || data.skus[0];
  if (first) selectSku(first.sku);
  else document.getElementById('chart-title').textContent = 'No SKUs in this run';
  window.addEventListener('resize', function () { if (chart) { var size = chartSize(); chart.setSize(size); } });
  window.demandDashboard = { selectSku: selectSku, currentSku: function () { return currentSku; } };
})();
`;
