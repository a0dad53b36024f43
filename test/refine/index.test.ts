/** The refiner registry: names, descriptions, errors for unknown names and unavailable back-ends. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRefiner, listRefiners, REFINER_NAMES, resolveSoftEdge, runRefineStage } from '../../src/refine/index.js';
import { AnimesegError } from '../../src/errors.js';
import type { Instance } from '../../src/pipeline/types.js';
import type { RawImage } from '../../src/image/types.js';

const image: RawImage = { data: new Uint8Array(8 * 8 * 3).fill(100), width: 8, height: 8, channels: 3 };
const mask = { data: new Uint8Array(64).fill(1), width: 8, height: 8 };
const inst: Instance = { classId: 0, className: 'person', score: 0.5, box: [0, 0, 8, 8], mask, maskSource: 'yolo' };

test('listRefiners names the four refiners with one-line descriptions', () => {
  const list = listRefiners();
  assert.deepEqual(list.map((r) => r.name).sort(), ['box', 'none', 'regions', 'vote']);
  assert.deepEqual([...REFINER_NAMES].sort(), ['box', 'none', 'regions', 'vote']);
  for (const r of list) assert.ok(r.description.length > 10 && !r.description.includes('\n'));
  assert.deepEqual(list.filter((r) => r.needs === 'nothing').map((r) => r.name).sort(), ['none', 'regions']);
});

test("'none' returns the instances unchanged; the stage's softEdge only adds alpha", async () => {
  const none = await createRefiner('none');
  assert.equal(none.name, 'none');
  const [same] = await none.refine(image, [inst]);
  assert.equal(same, inst);
  const { instances: [soft] } = await runRefineStage(none, image, [inst], resolveSoftEdge(true));
  assert.equal(soft.mask, inst.mask);
  // Uniform image and a full mask: the guided filter returns the mask (constant p → q = p), so alpha = 255.
  assert.ok(soft.alpha!.every((v) => v === 255));
});

test("'regions' needs no model and reports its name", async () => {
  const r = await createRefiner('regions', { vote: { threshold: 0.5 }, regions: { maxSide: 64 } });
  assert.equal(r.name, 'regions');
  const [out] = await r.refine(image, [inst]);
  assert.equal(out.mask.width, 8);
});

test('unknown names and bad options are BAD_OPTION errors that list the choices', async () => {
  await assert.rejects(createRefiner('magic'), (e: unknown) => {
    assert.ok(e instanceof AnimesegError && e.code === 'BAD_OPTION');
    for (const n of ['none', 'vote', 'box', 'regions']) assert.ok(e.hint!.includes(n));
    return true;
  });
  await assert.rejects(createRefiner('regions', { vote: { threshold: 2 } }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
  assert.throws(() => resolveSoftEdge({ radius: 0 }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
});

test("'vote' with SAM model files that do not exist fails with an AnimesegError, not a crash", async () => {
  await assert.rejects(
    createRefiner('vote', { sam: { encoder: '/nonexistent/enc.onnx', decoder: '/nonexistent/dec.onnx' } }),
    (e: unknown) => e instanceof AnimesegError,
  );
});

test("'box' with SAM model files that do not exist fails with an AnimesegError", async () => {
  await assert.rejects(
    createRefiner('box', { box: { encoderPath: '/nonexistent/enc.onnx', decoderPath: '/nonexistent/dec.onnx' } }),
    (e: unknown) => e instanceof AnimesegError,
  );
});

test("'vote' checks its own options before loading any SAM model", async () => {
  // With a bad threshold the answer is BAD_OPTION even though the model paths do not exist either.
  await assert.rejects(
    createRefiner('vote', { vote: { threshold: 5 }, sam: { encoder: '/nonexistent/enc.onnx', decoder: '/nonexistent/dec.onnx' } }),
    (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && e.message.includes('threshold'),
  );
});
