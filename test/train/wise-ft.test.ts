/**
 * WiSE-FT weight interpolation (src/train/wise-ft.ts), for real with Debian's torch and the vendored
 * Ultralytics: two one-class YOLOv8n-seg checkpoints (the project's version 1 checkpoint and the recipe's
 * one-class start made from COCO's), mixed at alpha 0.25. The expected weights are recomputed in a separate
 * Python program straight from the two input files, tensor by tensor. Skips, saying why, only where
 * /usr/bin/python3 cannot import torch or the vendored Ultralytics is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { interpolateCheckpoints, checkWiseAlpha } from '../../src/train/wise-ft.js';
import { makeOneClassBase } from '../../src/train/recipe/person-head.js';
import { exportOnnx } from '../../src/train/export.js';
import { findUltralytics } from '../../src/train/ultralytics.js';
import { readOnnxInfo } from '../../src/models/onnx/proto.js';
import { readFile, writeFile } from 'node:fs/promises';
import { AnimesegError } from '../../src/errors.js';
import { REAL_PYTHON, REAL_VENDOR, realTorchProblem } from './helpers.js';

const SHARED = resolve('../shared');
const VENDOR = REAL_VENDOR;
const PYTHON = REAL_PYTHON;
const FINETUNED = join(SHARED, 'models/animeseg-char-n416.pt');
const COCO = join(SHARED, 'models/yolov8n-seg-coco.pt');

function torchProblem(): string | null {
  if (!existsSync(FINETUNED) || !existsSync(COCO)) return `no checkpoints in ${join(SHARED, 'models')}`;
  return realTorchProblem();
}

/** max |R - (a F + (1 - a) P)| over every float tensor, and how far R is from F and from P (independent of wise-ft.ts). */
const CHECK_PY = String.raw`
import json, sys, torch
f, p, r, a = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
sd = lambda path: (lambda c: (c.get("ema") or c["model"]).float().state_dict())(torch.load(path, map_location="cpu"))
F, P, R = sd(f), sd(p), sd(r)
err = max(float((R[k].float() - (a * F[k] + (1 - a) * P[k])).abs().max()) for k in F if F[k].is_floating_point())
scale = max(float((a * F[k] + (1 - a) * P[k]).abs().max()) for k in F if F[k].is_floating_point())
fromF = max(float((R[k].float() - F[k]).abs().max()) for k in F if F[k].is_floating_point())
fromP = max(float((R[k].float() - P[k]).abs().max()) for k in F if F[k].is_floating_point())
print(json.dumps({"err": err, "scale": scale, "fromF": fromF, "fromP": fromP, "keys": sorted(R) == sorted(F)}))
`;

test('alpha outside (0, 1] is a clear option error', () => {
  for (const a of [0, -0.1, 1.5, Number.NaN]) assert.throws(() => checkWiseAlpha(a), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && /--wise-ft/.test(e.message));
  assert.doesNotThrow(() => checkWiseAlpha(1));
});

test('real: weights = 0.25 x fine-tuned + 0.75 x start; another network is refused naming the layer; export gives a one-class ONNX', { timeout: 300_000 }, async (t) => {
  const problem = torchProblem();
  if (problem) {
    t.skip(`skipped: ${problem}`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-wise-'));
  try {
    const env = { ...process.env, PYTHONPATH: VENDOR, YOLO_OFFLINE: 'True', YOLO_CONFIG_DIR: join(dir, 'yolo-cfg') };
    const u = await findUltralytics({ python: PYTHON, env });
    const start = join(dir, 'base.pt');
    await makeOneClassBase(u, COCO, start, 'character', env);
    const out = join(dir, 'mixed.pt');
    const r = await interpolateCheckpoints(u, { finetuned: FINETUNED, pretrained: start, alpha: 0.25, out, env });
    assert.ok(r.tensors > 300, `${r.tensors} float tensors`);
    const c = spawnSync(PYTHON, ['-c', CHECK_PY, FINETUNED, start, out, '0.25'], { encoding: 'utf8', env, timeout: 120_000 });
    assert.equal(c.status, 0, c.stderr);
    const check = JSON.parse(c.stdout.trim().split('\n').at(-1)!) as { err: number; scale: number; fromF: number; fromP: number; keys: boolean };
    assert.ok(check.keys, 'layers differ from the fine-tuned checkpoint');
    // Stored as float16 (as Ultralytics stores weights): relative rounding 2^-11 of the largest value.
    assert.ok(check.err <= check.scale * 2 ** -10, `max error ${check.err} (largest value ${check.scale})`);
    assert.ok(check.fromF > 0.01 && check.fromP > 0.01, 'the result equals one of its inputs');

    // COCO's 80-class checkpoint is another network: a clear error naming the first layer that differs.
    await assert.rejects(interpolateCheckpoints(u, { finetuned: FINETUNED, pretrained: COCO, alpha: 0.5, out: join(dir, 'bad.pt'), env }), (e: unknown) => {
      return e instanceof AnimesegError && e.code === 'EXTERNAL_FAILED' && /layer model\.22\.cv3\.\d\.\d\..* is \(\d+, \d+.*\) in the fine-tuned checkpoint and \(\d+, \d+.*\) in the pretrained one/.test(e.message);
    });
    assert.ok(!existsSync(join(dir, 'bad.pt')) && !existsSync(join(dir, 'bad.pt.animeseg-tmp')), 'a refused mix left a file');

    // Export through --wise-ft: the mix is written beside --out under a name of its own (a user's wise.pt
    // there stays as it was), exported, one class at 64 px.
    const onnx = join(dir, 'wise.onnx');
    await writeFile(join(dir, 'wise.pt'), 'the user\'s own file');
    const e = await exportOnnx({ weights: FINETUNED, imgsz: 64, out: onnx, wise: { alpha: 0.25, pretrained: start }, ultralytics: u, env });
    assert.equal(e.onnx, onnx);
    assert.ok(existsSync(join(dir, 'wise.wise-ft.pt')));
    assert.equal(await readFile(join(dir, 'wise.pt'), 'utf8'), 'the user\'s own file');
    const info = readOnnxInfo(await readFile(onnx));
    assert.deepEqual(info.inputs[0].dims, [1, 3, 64, 64]);
    assert.equal(info.outputs[0].dims[1], 37);
    await assert.rejects(exportOnnx({ weights: FINETUNED, imgsz: 64, out: join(dir, 'x.onnx'), wise: { alpha: 0.5, pretrained: join(dir, 'nope.pt') }, ultralytics: u, env }), /--wise-from\) not found/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
