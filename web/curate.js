// The curation-report page: open a .curate/report.json (read in the browser, nothing is uploaded) and
// show its totals, drop reasons and near-duplicate groups (web/curate-lib.js does the counting).
import { summarizeReport } from '/curate-lib.js';

const $ = (id) => document.getElementById(id);
const el = (tag, text) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  return e;
};

function show(summary) {
  $('totals').textContent = summary.totals;
  const reasons = $('reasons');
  reasons.replaceChildren();
  for (const r of summary.reasons) {
    const tr = el('tr');
    tr.append(el('td', r.reason), el('td', String(r.count)), el('td', `${(100 * r.share).toFixed(1)} %`), el('td', r.examples.join('; ')));
    reasons.append(tr);
  }
  const groups = $('groups');
  groups.replaceChildren();
  for (const g of summary.groups) groups.append(el('li', `kept ${g.kept}; dropped ${g.others.join(', ')}`));
  $('sheets').textContent = Object.keys(summary.sheets).length
    ? `Contact sheets beside the report: ${Object.values(summary.sheets).join(', ')}`
    : 'No contact sheets in this report.';
  $('report').hidden = false;
}

$('file').addEventListener('change', async () => {
  const f = $('file').files[0];
  if (!f) return;
  $('error').textContent = '';
  try {
    show(summarizeReport(JSON.parse(await f.text())));
  } catch (e) {
    $('report').hidden = true;
    $('error').textContent = `${f.name}: ${e.message}`;
  }
});
