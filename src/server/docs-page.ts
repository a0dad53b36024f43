/**
 * GET /docs: a small self-contained page that renders /openapi.json (no CDN: nothing outside the machine
 * may be reachable). Plain DOM code; Swagger UI would be the usual choice but it is a remote bundle.
 * Its one inline style and script are allowed by their sha256 in docsCsp(), so the page needs no
 * 'unsafe-inline'.
 */
import { createHash } from 'node:crypto';
const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 1.5rem;color:#222}
h1{margin-bottom:.2rem} .op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.m{display:inline-block;min-width:3.5rem;font-weight:700;color:#fff;border-radius:4px;padding:0 .4rem;text-align:center;margin-right:.5rem}
.get{background:#2a7ab0}.post{background:#2f9e44} code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;max-height:20rem} table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #eee;text-align:left;padding:.2rem .5rem;vertical-align:top} .muted{color:#666}
`;

const SCRIPT = `
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('info').innerHTML = '<p>' + esc(doc.info.description) + '</p>';
  let html = '';
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      html += '<div class="op" id="' + esc(op.operationId) + '"><span class="m ' + method + '">' + method.toUpperCase() + '</span><code>' + esc(path) + '</code> — ' + esc(op.summary);
      if (op.description) html += '<p>' + esc(op.description) + '</p>';
      if (op.parameters && op.parameters.length) {
        html += '<table><tr><th>option</th><th>type</th><th>description</th></tr>';
        for (const p of op.parameters) html += '<tr><td><code>' + esc(p.name) + '</code></td><td>' + esc(p.schema.enum ? p.schema.enum.join(' | ') : p.schema.type) + '</td><td>' + esc(p.schema.description || '') + '</td></tr>';
        html += '</table>';
      }
      if (op.requestBody) html += '<p><b>Body:</b> ' + Object.keys(op.requestBody.content).map((c) => '<code>' + esc(c) + '</code>').join(', ') + '</p>';
      html += '<table><tr><th>status</th><th>description</th><th>content</th></tr>';
      for (const [code, r] of Object.entries(op.responses)) html += '<tr><td>' + esc(code) + '</td><td>' + esc(r.description) + '</td><td>' + Object.keys(r.content || {}).map((c) => '<code>' + esc(c) + '</code>').join(', ') + '</td></tr>';
      html += '</table></div>';
    }
  }
  document.getElementById('ops').innerHTML = html;
  let sh = '';
  for (const [name, s] of Object.entries(doc.components.schemas)) sh += '<h3 id="schema-' + esc(name) + '">' + esc(name) + '</h3><pre>' + esc(JSON.stringify(s, null, 2)) + '</pre>';
  document.getElementById('schemas').innerHTML = sh;
}).catch((e) => { document.getElementById('ops').textContent = 'could not load /openapi.json: ' + e; });
`;

const sha = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

/** The docs page's Content-Security-Policy: its own inline style and script, same-origin fetches, no framing. */
export function docsCsp(): string {
  return `default-src 'none'; script-src ${sha(SCRIPT)}; style-src ${sha(STYLE)}; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

export function docsPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>animeseg API</title>
<style>${STYLE}</style></head><body>
<h1>animeseg API</h1><p class="muted">Rendered from <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). The web page is at <a href="/">/</a>.</p>
<div id="info"></div><div id="ops">loading…</div><h2>Schemas</h2><div id="schemas"></div>
<script>${SCRIPT}</script></body></html>`;
}
