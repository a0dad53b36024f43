// Pure helpers of the curation-report page (web/curate.html): no DOM, so Node tests check them
// (test/web/curate-lib.test.ts). The report is DIR/.curate/report.json of `animeseg dataset curate`.

/** Check a parsed JSON is a curate report; returns it or throws an Error saying what is wrong. */
export function checkReport(doc) {
  if (!doc || typeof doc !== 'object' || doc.tool !== 'animeseg dataset curate') {
    throw new Error("not a curation report: open the .curate/report.json that 'animeseg dataset curate' wrote");
  }
  for (const k of ['kept', 'dropped', 'groups']) if (!Array.isArray(doc[k])) throw new Error(`the report has no '${k}' list`);
  return doc;
}

/**
 * What the page shows: a line of totals, a row per drop reason (count, share of all items, a few examples
 * with their detail), and the near-duplicate groups (kept key, the others with their distance), largest first.
 */
export function summarizeReport(doc, examples = 5) {
  const r = checkReport(doc);
  const items = r.kept.length + r.dropped.length;
  const byReason = new Map();
  for (const d of r.dropped) {
    if (!byReason.has(d.reason)) byReason.set(d.reason, []);
    byReason.get(d.reason).push(d);
  }
  const reasons = [...byReason.entries()]
    .map(([reason, list]) => ({ reason, count: list.length, share: items ? list.length / items : 0, examples: list.slice(0, examples).map((d) => `${d.key}: ${d.detail}`) }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
  const groups = r.groups
    .map((g) => ({ kept: g.kept, others: g.members.filter((m) => m.key !== g.kept).map((m) => `${m.key} (${m.distance} bits)`) }))
    .sort((a, b) => b.others.length - a.others.length);
  return {
    totals: `${items} item(s): kept ${r.kept.length}, dropped ${r.dropped.length}; ${r.groups.length} near-duplicate group(s)`,
    reasons,
    groups,
    sheets: r.sheets ?? {},
  };
}
