// animeseg web page. Plain ES module, no framework, no build step.
// The page keeps the decoded original and each result's instance masks; toggling characters, composing
// cutouts and downloads all happen here from those masks, so none of them needs a new request.

import { carryToggles, encodeGrayPng, instanceFileName, placeBadges } from '/lib.js';

const $ = (id) => document.getElementById(id);
const PALETTE = ['#e64980', '#1c7ed6', '#37b24d', '#f59f00', '#7048e8', '#0ca678', '#f76707', '#ae3ec9', '#1098ad', '#d6336c'];

const state = {
  mode: 'server', // 'server' | 'browser'
  models: null, // GET /v1/models
  fileName: 'image',
  width: 0,
  height: 0,
  rgba: null, // Uint8ClampedArray of the original, EXIF-oriented
  results: new Map(), // key `${mode}:${refine}:${conf}` -> { instances, timings, refine }
  current: null, // the result on screen
  enabled: new Set(),
  refine: 'none',
  browserSeg: null, // in-browser segmenter (lazy)
  browserSegLoading: null,
  compareAt: null, // [x, y] chosen with shift-click
  busy: 0,
};
// Exposed for tests and the curious: read-only view of what the page shows.
window.animeseg = { state };

function setStatus(text, isError = false) {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

// ---------- start-up ----------
async function init() {
  try {
    const [models, refiners] = await Promise.all([getJson('/v1/models'), getJson('/v1/refiners')]);
    state.models = models;
    const sel = $('refine');
    for (const r of refiners.refiners) {
      const o = document.createElement('option');
      o.value = r.name;
      o.textContent = r.available ? r.name : `${r.name} (unavailable)`;
      o.disabled = !r.available;
      o.dataset.unavailable = r.available ? '0' : '1';
      o.dataset.inBrowser = r.in_browser ? '1' : '0';
      o.title = r.reason ? `${r.description} — ${r.reason}` : r.description;
      sel.append(o);
    }
    sel.value = refiners.default;
    state.refine = refiners.default;
    // The slider starts at the model's own confidence (its recommendation, else the table's default).
    const conf0 = models.active.detect_defaults?.conf;
    if (typeof conf0 === 'number') {
      $('conf').value = String(conf0);
      $('conf-out').value = conf0.toFixed(2);
    }
    $('model-line').textContent = `Model ${models.active.name} (${models.active.licence}); classes ${describeDefaultClasses(models.active)}.`;
  } catch (e) {
    setStatus(`cannot reach the server API: ${e.message}`, true);
  }
  document.body.dataset.ready = '1';
}

function describeDefaultClasses(active) {
  if (!active.default_classes) return 'all';
  return active.default_classes.map((i) => active.classes[i]).join(', ');
}

async function getJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

// ---------- input ----------
const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer.files[0];
  if (f) loadFile(f);
});
drop.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    $('file').click();
  }
});
$('file').addEventListener('change', (e) => {
  const f = e.target.files[0];
  if (f) loadFile(f);
});
document.addEventListener('paste', (e) => {
  const item = [...(e.clipboardData?.items ?? [])].find((i) => i.type.startsWith('image/'));
  if (item) loadFile(item.getAsFile());
});

let currentFile = null;

async function loadFile(file) {
  currentFile = file;
  state.fileName = (file.name || 'image').replace(/\.[^.]+$/, '');
  state.results.clear();
  state.current = null;
  state.compareAt = null;
  let bitmap;
  try {
    // from-image applies EXIF orientation, as the server's decoder does, so masks line up.
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    setStatus(`cannot read ${file.name || 'the pasted data'} as an image`, true);
    return;
  }
  state.width = bitmap.width;
  state.height = bitmap.height;
  const c = $('original');
  c.width = bitmap.width;
  c.height = bitmap.height;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close?.();
  state.rgba = ctx.getImageData(0, 0, c.width, c.height).data;
  await run();
}

$('refine').addEventListener('change', (e) => {
  state.refine = e.target.value;
  if (state.rgba) run();
});
$('conf').addEventListener('input', (e) => ($('conf-out').value = Number(e.target.value).toFixed(2)));
$('conf').addEventListener('change', () => state.rgba && run());
$('crop').addEventListener('change', () => state.current && drawCutout());
for (const r of document.querySelectorAll('input[name=mode]')) {
  r.addEventListener('change', (e) => {
    state.mode = e.target.value;
    markBrowserRefiners();
    document.body.dataset.mode = state.mode;
    if (state.rgba) run();
  });
}

// ---------- segmentation ----------
function conf() {
  return Number($('conf').value);
}

// Refiners that also run in the page (GET /v1/refiners in_browser: pure TypeScript); SAM-based ones need the server.
function runsInBrowser(name) {
  return [...$('refine').options].some((o) => o.value === name && o.dataset.inBrowser === '1');
}
function markBrowserRefiners() {
  for (const o of $('refine').options) {
    const serverOnly = state.mode === 'browser' && o.dataset.inBrowser !== '1';
    o.disabled = serverOnly || o.dataset.unavailable === '1';
  }
}
function effectiveRefine() {
  return state.mode === 'browser' && !runsInBrowser(state.refine) ? 'none' : state.refine;
}

async function getResult(mode, refine) {
  const key = `${mode}:${refine}:${conf()}`;
  const hit = state.results.get(key);
  if (hit) return hit;
  const res = mode === 'browser' ? await segmentInBrowser(refine) : await segmentOnServer(refine);
  state.results.set(key, res);
  return res;
}

async function run() {
  const myTurn = ++state.busy;
  document.body.dataset.done = '0';
  const refine = effectiveRefine();
  setStatus(state.mode === 'browser' ? `running the model in this browser (${refine})…` : `segmenting on the server (${refine})…`);
  try {
    const res = await getResult(state.mode, refine);
    if (myTurn !== state.busy) return; // a newer request replaced this one
    // Characters the user switched off stay off under another refinement or confidence (matched by box).
    state.enabled = carryToggles(state.current?.instances ?? null, state.enabled, res.instances);
    state.current = res;
    render();
    const t = res.timings;
    setStatus(`${res.instances.length} character${res.instances.length === 1 ? '' : 's'} found${res.backend ? ` (in browser, ${res.backend})` : ''}`);
    $('timings').textContent = t ? 'Timings (ms): ' + Object.entries(t).map(([k, v]) => `${k} ${Math.round(v)}`).join(' · ') : '';
    document.body.dataset.done = '1';
    updateCompare(refine);
  } catch (e) {
    if (myTurn !== state.busy) return;
    setStatus(e.message, true);
    document.body.dataset.done = 'error';
  }
}

async function segmentOnServer(refine) {
  const form = new FormData();
  form.append('file', currentFile, currentFile.name || 'image');
  form.append('format', 'json');
  form.append('refine', refine);
  form.append('conf', String(conf()));
  const r = await fetch('/v1/segment', { method: 'POST', body: form });
  const body = await r.json().catch(() => null);
  if (!r.ok) {
    const err = body?.error;
    throw new Error(err ? `${err.message}${err.hint ? ` (${err.hint})` : ''}` : `server answered HTTP ${r.status}`);
  }
  if (body.width !== state.width || body.height !== state.height) {
    throw new Error(`server decoded ${body.width}x${body.height}, the browser ${state.width}x${state.height}`);
  }
  return {
    refine: body.settings.refine,
    timings: body.timings_ms,
    instances: body.instances.map((j) => ({ classId: j.class_id, className: j.class_name, score: j.score, box: j.box, mask: rleToMask(j.rle), json: j })),
  };
}

async function segmentInBrowser(refine) {
  // One load shared by overlapping calls (a quick mode switch must not load the model twice).
  state.browserSegLoading ??= (async () => {
    setStatus('loading onnxruntime-web and the model (first time only)…');
    const mod = await import('/dist/animeseg-browser.js').catch((e) => {
      throw new Error(`in-browser mode is not available: ${e.message}`);
    });
    const a = state.models.active;
    state.browserSeg = await mod.createBrowserSegmenter({
      modelUrl: a.browser_url,
      ortBase: '/ort/',
      classNames: a.classes,
      defaultClasses: a.default_classes ?? undefined,
      recommended: a.recommended,
      // ?ep=wasm forces WASM (tests; machines whose WebGPU misbehaves).
      provider: new URLSearchParams(location.search).get('ep') ?? 'auto',
    });
  })().catch((e) => {
    state.browserSegLoading = null; // let a later attempt retry
    throw e;
  });
  await state.browserSegLoading;
  const out = await state.browserSeg.segment({ data: state.rgba, width: state.width, height: state.height, channels: 4 }, { conf: conf(), refine });
  return { refine, timings: out.timings, backend: out.backend, instances: out.instances };
}

/** COCO uncompressed RLE (column-major runs, starting with background) → row-major 0/1 mask. */
function rleToMask(rle) {
  const [h, w] = rle.size;
  const m = new Uint8Array(w * h);
  let p = 0;
  let fg = false;
  for (const c of rle.counts) {
    if (fg) {
      for (let k = p, end = p + c; k < end; k++) {
        const x = (k / h) | 0;
        m[(k - x * h) * w + x] = 1;
      }
    }
    p += c;
    fg = !fg;
  }
  return m;
}

// ---------- drawing ----------
function render() {
  drawOverlay();
  drawCutout();
  drawList();
  for (const id of ['dl-cutout', 'dl-mask', 'dl-overlay', 'dl-json']) $(id).disabled = false;
}

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function drawOverlay() {
  const { width: w, height: h, rgba } = state;
  const c = $('overlay');
  c.width = w;
  c.height = h;
  const ctx = c.getContext('2d');
  const img = new ImageData(new Uint8ClampedArray(rgba), w, h);
  const d = img.data;
  state.current.instances.forEach((inst, i) => {
    if (!state.enabled.has(i)) return;
    const [r, g, b] = hexToRgb(PALETTE[i % PALETTE.length]);
    const m = inst.mask;
    for (let p = 0, q = 0; p < m.length; p++, q += 4) {
      if (m[p]) {
        d[q] = (d[q] * 0.45 + r * 0.55) | 0;
        d[q + 1] = (d[q + 1] * 0.45 + g * 0.55) | 0;
        d[q + 2] = (d[q + 2] * 0.45 + b * 0.55) | 0;
        d[q + 3] = 255;
      }
    }
  });
  ctx.putImageData(img, 0, 0);
  const fontPx = Math.max(14, Math.round(Math.min(w, h) / 28));
  ctx.font = `bold ${fontPx}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'center';
  const r = fontPx * 0.75;
  // Badges carry the character's id (the JSON id and the NAME.instNN file number), placed so none overlap.
  const badges = placeBadges(state.current.instances.map((inst) => inst.box), r, w, h);
  state.badges = badges.map(([x, y]) => ({ x, y, r }));
  state.current.instances.forEach((inst, i) => {
    const on = state.enabled.has(i);
    const color = on ? PALETTE[i % PALETTE.length] : '#888';
    const [x1, y1, x2, y2] = inst.box;
    ctx.lineWidth = Math.max(2, fontPx / 8);
    ctx.setLineDash(on ? [] : [fontPx / 2, fontPx / 3]);
    ctx.strokeStyle = color;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    ctx.setLineDash([]);
    const [cx, cy] = badges[i];
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.arc(cx, cy, r, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = '#fff';
    ctx.fillText(String(i), cx, cy + 1);
  });
}

/** Alpha (0/255) of the chosen instances. */
function unionAlpha(indices) {
  const a = new Uint8Array(state.width * state.height);
  for (const i of indices) {
    const m = state.current.instances[i].mask;
    for (let p = 0; p < m.length; p++) if (m[p]) a[p] = 255;
  }
  return a;
}

function contentBox(alpha, w, h) {
  let x1 = w, y1 = h, x2 = -1, y2 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0, p = y * w; x < w; x++, p++) {
      if (alpha[p]) {
        if (x < x1) x1 = x;
        if (x > x2) x2 = x;
        if (y < y1) y1 = y;
        y2 = y;
      }
    }
  }
  return x2 < 0 ? null : [x1, y1, x2 - x1 + 1, y2 - y1 + 1];
}

/** A canvas with the cutout of `indices` (optionally cropped to them). */
function cutoutCanvas(indices, crop) {
  const { width: w, height: h, rgba } = state;
  const alpha = unionAlpha(indices);
  const img = new ImageData(w, h);
  const d = img.data;
  for (let p = 0, q = 0; p < alpha.length; p++, q += 4) {
    d[q] = rgba[q];
    d[q + 1] = rgba[q + 1];
    d[q + 2] = rgba[q + 2];
    d[q + 3] = alpha[p];
  }
  const c = document.createElement('canvas');
  const box = crop ? contentBox(alpha, w, h) : null;
  if (box) {
    c.width = box[2];
    c.height = box[3];
    c.getContext('2d').putImageData(img, -box[0], -box[1]);
  } else {
    c.width = w;
    c.height = h;
    c.getContext('2d').putImageData(img, 0, 0);
  }
  return c;
}

function drawCutout() {
  const src = cutoutCanvas([...state.enabled], false);
  const c = $('cutout');
  c.width = src.width;
  c.height = src.height;
  c.getContext('2d').drawImage(src, 0, 0);
}

function drawList() {
  const ol = $('instances');
  ol.replaceChildren();
  state.current.instances.forEach((inst, i) => {
    const li = document.createElement('li');
    li.classList.toggle('off', !state.enabled.has(i));
    li.dataset.index = String(i);
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.checked = state.enabled.has(i);
    cb.setAttribute('aria-label', `include character ${i}`);
    cb.addEventListener('change', () => toggle(i, cb.checked));
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = PALETTE[i % PALETTE.length];
    sw.textContent = String(i);
    const label = document.createElement('span');
    label.textContent = `${inst.className} ${(inst.score * 100).toFixed(0)}%`;
    const btn = document.createElement('button');
    btn.textContent = 'Download';
    btn.title = `cutout of character ${i} alone`;
    btn.addEventListener('click', () => download(cutoutCanvas([i], true), instanceFileName(state.fileName, i)));
    li.append(cb, sw, label, btn);
    ol.append(li);
  });
  if (state.current.instances.length === 0) {
    const li = document.createElement('li');
    li.textContent = 'No character found. Try a lower confidence.';
    ol.append(li);
  }
}

function toggle(i, on) {
  if (on) state.enabled.add(i);
  else state.enabled.delete(i);
  drawOverlay();
  drawCutout();
  drawList();
}

// Click on the overlay: toggle the top-most character under the pointer; Shift-click: compare edges there.
$('overlay').addEventListener('click', (e) => {
  if (!state.current) return;
  const c = e.currentTarget;
  const rect = c.getBoundingClientRect();
  const x = Math.floor(((e.clientX - rect.left) / rect.width) * c.width);
  const y = Math.floor(((e.clientY - rect.top) / rect.height) * c.height);
  if (e.shiftKey) {
    state.compareAt = [x, y];
    updateCompare(effectiveRefine());
    return;
  }
  const p = y * state.width + x;
  const hits = state.current.instances.map((inst, i) => (inst.mask[p] ? i : -1)).filter((i) => i >= 0);
  if (hits.length) toggle(hits[0], !state.enabled.has(hits[0]));
});

// ---------- downloads ----------
// File names are the ones `animeseg segment` writes: NAME.png, NAME.mask.png, NAME.overlay.png, NAME.json,
// NAME.instNN.png (NN = the 0-based JSON id shown on the badge).
function saveBlob(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function download(canvas, name) {
  canvas.toBlob((blob) => saveBlob(blob, name), 'image/png');
}

$('dl-cutout').addEventListener('click', () => download(cutoutCanvas([...state.enabled], $('crop').checked), `${state.fileName}.png`));
$('dl-mask').addEventListener('click', async () => {
  // 8-bit grayscale PNG, 0/255, like the CLI's NAME.mask.png and the API's only_mask (a canvas would give RGBA).
  const { width: w, height: h } = state;
  const png = await encodeGrayPng(unionAlpha([...state.enabled]), w, h);
  saveBlob(new Blob([png], { type: 'image/png' }), `${state.fileName}.mask.png`);
});
$('dl-overlay').addEventListener('click', () => download($('overlay'), `${state.fileName}.overlay.png`));
$('dl-json').addEventListener('click', () => {
  const inst = state.current.instances
    .map((x, i) => ({ x, i }))
    .filter(({ i }) => state.enabled.has(i))
    .map(({ x, i }) => x.json ?? { id: i, class_id: x.classId, class_name: x.className, score: x.score, box: x.box });
  const blob = new Blob([JSON.stringify({ image: state.fileName, width: state.width, height: state.height, instances: inst }, null, 1)], { type: 'application/json' });
  saveBlob(blob, `${state.fileName}.json`);
});

// ---------- edge comparison (server mode, refinement other than none) ----------
async function updateCompare(refine) {
  const box = $('compare');
  if (refine === 'none') {
    box.hidden = true;
    return;
  }
  try {
    const base = await getResult(state.mode, 'none');
    const refined = state.current;
    const a = unionOf(base.instances);
    const b = unionOf(refined.instances);
    const [cx, cy] = state.compareAt ?? mostDifferent(a, b, 64);
    drawZoom($('cmp-a'), a, cx, cy, '#fa5252');
    drawZoom($('cmp-b'), b, cx, cy, '#40c057');
    $('cmp-a-label').textContent = 'none (YOLO)';
    $('cmp-b-label').textContent = refine;
    $('compare-note').textContent = `around (${cx}, ${cy})`;
    box.hidden = false;
  } catch (e) {
    $('compare-note').textContent = `cannot compare: ${e.message}`;
  }
}

function unionOf(instances) {
  const u = new Uint8Array(state.width * state.height);
  for (const inst of instances) for (let p = 0; p < u.length; p++) if (inst.mask[p]) u[p] = 1;
  return u;
}

/** Integral image (summed-area table) of a per-pixel 0/1 predicate, (w+1) x (h+1). */
function integral(w, h, pred) {
  const W = w + 1;
  const sat = new Uint32Array(W * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += pred(y * w + x, x, y) ? 1 : 0;
      sat[(y + 1) * W + x + 1] = sat[y * W + x + 1] + row;
    }
  }
  return (x, y, s) => sat[(y + s) * W + x + s] - sat[y * W + x + s] - sat[(y + s) * W + x] + sat[y * W + x];
}

function isEdge(m, p, x, y, w, h) {
  return m[p] === 1 && (x === 0 || y === 0 || x === w - 1 || y === h - 1 || !m[p - 1] || !m[p + 1] || !m[p - w] || !m[p + w]);
}

/**
 * Centre of the win x win window (stride win/4) where masks a and b disagree most while BOTH have an
 * edge in view, so the two zooms show edges to compare rather than a flat area one mask dropped.
 */
function mostDifferent(a, b, win) {
  const { width: w, height: h } = state;
  const xor = integral(w, h, (p) => a[p] !== b[p]);
  const ea = integral(w, h, (p, x, y) => isEdge(a, p, x, y, w, h));
  const eb = integral(w, h, (p, x, y) => isEdge(b, p, x, y, w, h));
  let best = -1, bx = w >> 1, by = h >> 1;
  const step = Math.max(1, win >> 2);
  for (let y = 0; y + win <= h; y += step) {
    for (let x = 0; x + win <= w; x += step) {
      const na = ea(x, y, win), nb = eb(x, y, win);
      if (na === 0 || nb === 0) continue;
      const s = Math.min(na, nb, xor(x, y, win));
      if (s > best) {
        best = s;
        bx = x + (win >> 1);
        by = y + (win >> 1);
      }
    }
  }
  return [bx, by];
}

/** 64x64 pixels around (cx, cy) drawn 4x with the mask's boundary pixels in `color`. */
function drawZoom(canvas, mask, cx, cy, color) {
  const { width: w, height: h, rgba } = state;
  const S = 64;
  const x0 = Math.min(Math.max(0, cx - S / 2), Math.max(0, w - S));
  const y0 = Math.min(Math.max(0, cy - S / 2), Math.max(0, h - S));
  const img = new ImageData(S, S);
  const [r, g, b] = hexToRgb(color);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const X = x0 + x, Y = y0 + y, q = (y * S + x) * 4;
      if (X >= w || Y >= h) continue;
      const p = Y * w + X;
      const inside = mask[p] === 1;
      const edge = inside && (X === 0 || Y === 0 || X === w - 1 || Y === h - 1 || !mask[p - 1] || !mask[p + 1] || !mask[p - w] || !mask[p + w]);
      if (edge) {
        img.data[q] = r; img.data[q + 1] = g; img.data[q + 2] = b;
      } else {
        // Outside the mask is dimmed so the kept region reads at a glance.
        const k = inside ? 1 : 0.45;
        img.data[q] = rgba[p * 4] * k; img.data[q + 1] = rgba[p * 4 + 1] * k; img.data[q + 2] = rgba[p * 4 + 2] * k;
      }
      img.data[q + 3] = 255;
    }
  }
  const tmp = document.createElement('canvas');
  tmp.width = S;
  tmp.height = S;
  tmp.getContext('2d').putImageData(img, 0, 0);
  canvas.width = S * 4;
  canvas.height = S * 4;
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, S * 4, S * 4);
}

init();
