// The dashboard's page script (served as is, no build): live updates from the server's event stream, the list's
// filter, ages, the weight chart (uPlot) and the request buttons. Every fragment it inserts was rendered and
// escaped by the server (cli/src/dashboard/views.ts); text from the API's answers is set as text.
'use strict';
(function () {
  const body = document.body;
  const page = body.dataset.page;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const live = document.getElementById('live');

  function ages() {
    const now = Date.now();
    for (const t of document.querySelectorAll('time[data-since]')) {
      const at = Date.parse(t.dataset.since);
      if (Number.isFinite(at)) t.textContent = human(now - at);
    }
  }

  function human(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 120) return s + 's';
    const m = Math.floor(s / 60);
    if (m < 10) return s % 60 ? m + 'm' + (s % 60) + 's' : m + 'm';
    if (m < 180) return m + 'm';
    const h = Math.floor(m / 60);
    if (h < 48) return h + 'h';
    return Math.floor(h / 24) + 'd';
  }

  function filter() {
    const q = (document.getElementById('search').value || '').trim().toLowerCase();
    const phase = document.getElementById('phase').value;
    for (const tr of document.querySelectorAll('#rows tr[data-search]')) {
      const shown = (!q || tr.dataset.search.includes(q)) && (!phase || tr.dataset.phase === phase);
      tr.hidden = !shown;
    }
  }

  let chart;
  function drawChart(data) {
    const el = document.getElementById('chart');
    if (!el || typeof uPlot === 'undefined') return;
    el.dataset.count = String(data[0].length);
    if (chart) return chart.setData(data);
    const opts = {
      width: Math.max(320, el.clientWidth || 800),
      height: 240,
      scales: { y: { range: [0, 100] } },
      series: [{}, { label: 'canary weight %', stroke: '#2f6fdd', width: 2, fill: 'rgba(47,111,221,0.12)', paths: uPlot.paths.stepped({ align: 1 }) }],
      axes: [{}, { label: '%' }],
    };
    chart = new uPlot(opts, data, el);
  }

  function connect() {
    const url = page === 'canary' ? '/events?canary=' + encodeURIComponent(body.dataset.namespace + '/' + body.dataset.name) : '/events';
    const es = new EventSource(url);
    es.onopen = () => {
      live.textContent = 'live';
      live.className = 'live on';
    };
    es.onerror = () => {
      live.textContent = 'reconnecting…';
      live.className = 'live off';
    };
    es.addEventListener('list', (e) => {
      document.getElementById('rows').innerHTML = JSON.parse(e.data).html;
      filter();
      ages();
    });
    es.addEventListener('canary', (e) => {
      const d = JSON.parse(e.data);
      if (d.gone) {
        document.getElementById('detail').textContent = 'This Canary was deleted.';
        return;
      }
      document.getElementById('detail').innerHTML = d.html;
      drawChart(d.points);
      ages();
    });
  }

  async function act(button) {
    const answer = document.getElementById('answer');
    const action = button.dataset.action;
    for (const b of document.querySelectorAll('button[data-action]')) b.disabled = true;
    answer.className = 'pending';
    answer.textContent = action + '…';
    try {
      const url = '/api/canaries/' + encodeURIComponent(body.dataset.namespace) + '/' + encodeURIComponent(body.dataset.name) + '/' + action;
      const res = await fetch(url, { method: 'POST', headers: { 'X-Tollgate-CSRF': csrf } });
      const d = await res.json().catch(() => ({ lines: [res.status + ' ' + res.statusText] }));
      answer.className = res.ok ? 'ok' : 'refused';
      answer.dataset.status = String(res.status);
      answer.textContent = (res.ok ? '' : 'HTTP ' + res.status + ': ') + (d.lines || []).join('\n');
    } catch (err) {
      answer.className = 'refused';
      answer.textContent = 'The dashboard did not answer: ' + err;
    } finally {
      for (const b of document.querySelectorAll('button[data-action]')) b.disabled = false;
    }
  }

  if (page === 'list') {
    document.getElementById('search').addEventListener('input', filter);
    document.getElementById('phase').addEventListener('change', filter);
  }
  if (page === 'canary') {
    const el = document.getElementById('chart');
    drawChart(JSON.parse(el.dataset.points));
    for (const b of document.querySelectorAll('button[data-action]')) b.addEventListener('click', () => act(b));
  }
  if (page === 'list' || page === 'canary') connect();
  setInterval(ages, 5000);
})();
