/**
 * Contract tests of `train` and `exportOnnx` against the stand-in Ultralytics, which records its argv and
 * writes what Ultralytics writes (results.csv per epoch, weights/best.pt and last.pt, the exported .onnx).
 * Expected command lines are written out by hand from the seed recipe (issue 6); expected metric values come
 * from the stand-in's documented formula (helpers.fakeRow); the exported file is ../shared/models/yolov8n-seg_int8.onnx,
 * whose facts (size, sha256, 320x320 input) are those in ../shared/models/README.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { train, exportOnnx, findUltralytics, type EvaluateFn } from '../../src/train/index.js';
import { resolveModel } from '../../src/models/resolver/index.js';
import { AnimesegError } from '../../src/errors.js';
import { calls, fakeRow, sandbox, FAKE_PYTHON } from './helpers.js';

const SHARED_SHA256 = 'a892891617cbadd34d860f66a866393a8d4c487c49f1474e9b6d9e578332e56a'; // ../shared/models/README.md
const SHARED_BYTES = 3711949;

const noEval: EvaluateFn = async () => ({ note: 'stub' });

test('exact command lines for train and export, seed defaults with overrides and pass-through', async () => {
  const sb = await sandbox();
  try {
    const r = await train({
      data: sb.data,
      epochs: 3,
      project: sb.project,
      extra: ['lr0=0.02', 'mosaic=0.5'],
      env: sb.env,
      progress: 'silent',
      log: () => {},
      evaluateImpl: noEval,
    });
    assert.equal(r.status, 'completed');
    const argv = (await calls(sb.log)).filter((a) => a[0] !== 'version');
    const run = join(sb.project, 'train');
    assert.deepEqual(argv[0], [
      'segment', 'train', `data=${sb.data}`,
      'model=yolov8m-seg.pt', 'epochs=3', 'imgsz=640', 'batch=-1', 'lr0=0.02', 'momentum=0.937',
      'weight_decay=0.0005', 'dropout=0.0', 'mosaic=0.5',
      `project=${sb.project}`, 'name=train', 'exist_ok=True',
    ]);
    assert.deepEqual(argv[1], ['export', `model=${join(run, 'weights', 'best.pt')}`, 'format=onnx', 'imgsz=640', 'opset=12']);
    assert.equal(argv.length, 2);

    // A second run with the same name goes to train2, as Ultralytics' increment_path would.
    const r2 = await train({
      data: sb.data, epochs: 1, imgsz: 320, batch: 8, model: 'yolov8s-seg.pt', device: '0', project: sb.project,
      env: sb.env, progress: 'silent', log: () => {}, evaluate: false, skipCheck: true,
    });
    assert.equal(r2.runDir, join(sb.project, 'train2'));
    const argv2 = (await calls(sb.log)).filter((a) => a[1] === 'train').at(-1)!;
    assert.deepEqual(argv2, [
      'segment', 'train', `data=${sb.data}`,
      'model=yolov8s-seg.pt', 'epochs=1', 'imgsz=320', 'batch=8', 'lr0=0.01', 'momentum=0.937',
      'weight_decay=0.0005', 'dropout=0.0', 'device=0',
      `project=${sb.project}`, 'name=train2', 'exist_ok=True',
    ]);
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('several GPUs without --batch get 16 per GPU (AutoBatch is single-GPU only)', async () => {
  const sb = await sandbox();
  try {
    await train({ data: sb.data, epochs: 1, device: '0,1', project: sb.project, env: sb.env, progress: 'silent', log: () => {}, evaluate: false, skipCheck: true });
    const argv = (await calls(sb.log)).find((a) => a[1] === 'train')!;
    assert.ok(argv.includes('batch=32'));
    assert.ok(argv.includes('device=0,1'));
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('time=H: the epochs Ultralytics refits to the time are what progress, each epoch line and the card say', async () => {
  const sb = await sandbox({ FAKE_YOLO_SLEEP_MS: '150' });
  try {
    const planned: [number, number][] = [];
    // epochs=12 on the command line; the stand-in, like Ultralytics with time=, replans to 2 after epoch 1.
    const r = await train({
      data: sb.data, epochs: 12, extra: ['time=0.01'], project: sb.project, env: sb.env, progress: 'silent', log: () => {}, evaluateImpl: noEval,
      onEpoch: (row, epochs) => planned.push([row.epoch, epochs]),
    });
    // Epoch 1 may be reported before or after the stand-in prints its new plan (polling); epoch 2 after it.
    assert.deepEqual(planned.map(([e]) => e), [1, 2]);
    assert.ok([12, 2].includes(planned[0][1]), `epoch 1 reported with ${planned[0][1]} planned`);
    assert.deepEqual(planned[1], [2, 2]);
    assert.equal(r.rows.length, 2);
    assert.equal(r.card!.training.epochsPlanned, 2);
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('progress: every epoch reported once, while results.csv is still growing, with its values', async () => {
  const sb = await sandbox({ FAKE_YOLO_SLEEP_MS: '200' });
  try {
    const seen: { epoch: number; linesAtThatMoment: number; boxLoss: number; maskMap: number }[] = [];
    const csv = join(sb.project, 'train', 'results.csv');
    await train({
      data: sb.data, epochs: 4, project: sb.project, env: sb.env, progress: 'silent', log: () => {}, evaluateImpl: noEval,
      onEpoch: (row) => {
        const lines = readFileSync(csv, 'utf8').trim().split('\n').length;
        seen.push({ epoch: row.epoch, linesAtThatMoment: lines, boxLoss: row.values['train/box_loss'], maskMap: row.values['metrics/mAP50-95(M)'] });
      },
    });
    assert.deepEqual(seen.map((s) => s.epoch), [1, 2, 3, 4]);
    // Epoch 1 was reported before the file held all 4 rows (header + 4 lines = 5): it was watched, not read at the end.
    assert.ok(seen[0].linesAtThatMoment < 5, `epoch 1 seen when the file had ${seen[0].linesAtThatMoment} lines`);
    for (const s of seen) {
      assert.equal(s.boxLoss, fakeRow(s.epoch).boxLoss);
      assert.equal(s.maskMap, fakeRow(s.epoch).maskMap);
    }
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('Ultralytics 8.0 padded results.csv is read the same', async () => {
  const sb = await sandbox({ FAKE_YOLO_CSV_STYLE: 'padded' });
  try {
    const r = await train({ data: sb.data, epochs: 2, project: sb.project, env: sb.env, progress: 'silent', log: () => {}, evaluate: false, skipCheck: true });
    assert.deepEqual(r.rows.map((x) => x.epoch), [1, 2]);
    assert.equal(r.card!.metrics.final!.maskMap, fakeRow(2).maskMap);
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('failure mid-run: EXTERNAL_FAILED with the exit code, the last output and how to resume', async () => {
  const sb = await sandbox({ FAKE_YOLO_FAIL_AT_EPOCH: '2' });
  try {
    await assert.rejects(
      train({ data: sb.data, epochs: 5, project: sb.project, env: sb.env, progress: 'silent', log: () => {}, skipCheck: true }),
      (e) => {
        assert.ok(e instanceof AnimesegError);
        assert.equal(e.code, 'EXTERNAL_FAILED');
        assert.match(e.message, /exit 1/);
        assert.match(e.message, /after 2 epoch/);
        assert.match(e.hint ?? '', /CUDA out of memory/); // the stand-in's last stderr line
        assert.match(e.hint ?? '', /animeseg-train\.log/);
        assert.match(e.hint ?? '', /--resume/);
        return true;
      },
    );
    // No export was attempted after the failure.
    assert.equal((await calls(sb.log)).filter((a) => a[0] === 'export').length, 0);
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('missing results.csv after a "successful" exit is an error, not a model', async () => {
  const sb = await sandbox({ FAKE_YOLO_NO_RESULTS: '1' });
  try {
    await assert.rejects(
      train({ data: sb.data, epochs: 2, project: sb.project, env: sb.env, progress: 'silent', log: () => {}, skipCheck: true }),
      (e) => {
        assert.ok(e instanceof AnimesegError);
        assert.equal(e.code, 'EXTERNAL_FAILED');
        assert.match(e.message, /no results\.csv rows/);
        return true;
      },
    );
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('no best.pt after training is an error naming the file', async () => {
  const sb = await sandbox({ FAKE_YOLO_NO_BEST: '1' });
  try {
    await assert.rejects(
      train({ data: sb.data, epochs: 1, project: sb.project, env: sb.env, progress: 'silent', log: () => {}, skipCheck: true }),
      (e) => e instanceof AnimesegError && e.code === 'EXTERNAL_FAILED' && /best\.pt is missing/.test(e.message),
    );
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('interrupt forwards SIGINT (last.pt kept), then --resume continues from the next epoch to the end', async () => {
  const sb = await sandbox({ FAKE_YOLO_SLEEP_MS: '150' });
  try {
    const ac = new AbortController();
    const first = await train({
      data: sb.data, epochs: 8, project: sb.project, name: 'run', env: sb.env, progress: 'silent', log: () => {}, skipCheck: true,
      signal: ac.signal,
      onEpoch: (row) => {
        if (row.epoch === 2) ac.abort();
      },
    });
    assert.equal(first.status, 'interrupted');
    assert.ok(first.last, 'last.pt exists');
    assert.equal(first.resumeCommand, `animeseg train --resume --project ${sb.project} --name run`);
    const stoppedAt = first.rows.length;
    assert.ok(stoppedAt >= 2 && stoppedAt < 8, `stopped after ${stoppedAt} epochs`);
    assert.equal(first.exported, undefined, 'nothing exported from an interrupted run');

    const second = await train({ resume: true, project: sb.project, name: 'run', env: sb.env, progress: 'silent', log: () => {}, evaluateImpl: noEval });
    assert.equal(second.status, 'completed');
    assert.deepEqual(second.rows.map((r) => r.epoch), [1, 2, 3, 4, 5, 6, 7, 8]);
    const resumeCall = (await calls(sb.log)).filter((a) => a[1] === 'train').at(-1)!;
    assert.deepEqual(resumeCall, ['segment', 'train', 'resume=True', `model=${join(sb.project, 'run', 'weights', 'last.pt')}`]);
    assert.equal(second.card!.training.resumed, true);
    assert.equal(second.card!.training.epochsTrained, 8);
    // Resume without --name picks the newest run that has last.pt.
    const third = await train({ resume: true, project: sb.project, env: sb.env, progress: 'silent', log: () => {}, evaluate: false });
    assert.equal(third.runDir, join(sb.project, 'run'));
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('model card: data counts, base model and licence, hyper-parameters, metrics, evaluation, ONNX facts', async () => {
  const sb = await sandbox();
  try {
    let evalArgs: unknown;
    const r = await train({
      data: sb.data, epochs: 3, project: sb.project, name: 'cardrun', env: sb.env, progress: 'silent', log: () => {},
      evaluateImpl: async (a) => {
        evalArgs = a;
        return { 'mask mAP50-95': 0.123 };
      },
    });
    const onnx = join(sb.project, 'cardrun', 'cardrun.onnx');
    assert.equal(r.exported!.onnx, onnx);
    assert.deepEqual(evalArgs, { data: sb.data, split: 'val', model: onnx, refine: 'none', out: join(sb.project, 'cardrun', 'eval'), progress: 'silent' });
    const card = JSON.parse(await readFile(join(sb.project, 'cardrun', 'model-card.json'), 'utf8'));
    assert.equal(card.licence, 'AGPL-3.0');
    assert.deepEqual(card.baseModel, { weights: 'yolov8m-seg.pt', licence: 'AGPL-3.0' });
    assert.deepEqual(card.data.classes, ['character']);
    assert.equal(card.data.counts.train.images, 2); // makeDataset writes 2 train and 2 val images
    assert.equal(card.data.counts.val.images, 2);
    assert.equal(card.training.hyperparameters.lr0, '0.01');
    assert.equal(card.training.hyperparameters.weight_decay, '0.0005');
    assert.equal(card.training.epochsPlanned, 3);
    assert.equal(card.training.epochsTrained, 3);
    assert.equal(card.metrics.final.epoch, 3);
    assert.equal(card.metrics.final.maskMap, fakeRow(3).maskMap);
    assert.equal(card.metrics.final.boxMap, fakeRow(3).boxMap);
    // The stand-in's metrics rise every epoch, so the best epoch (Ultralytics fitness) is the last.
    assert.equal(card.metrics.best.epoch, 3);
    assert.deepEqual(card.evaluation, { status: 'done', split: 'val', results: { 'mask mAP50-95': 0.123 } });
    assert.equal(card.model.sha256, SHARED_SHA256);
    assert.equal(card.model.bytes, SHARED_BYTES);
    assert.deepEqual(card.model.imgsz, [320, 320]); // the shared export's input is [1,3,320,320]
    assert.deepEqual(card.model.requested, { imgsz: 640, opset: 12 });
    const md = await readFile(join(sb.project, 'cardrun', 'MODEL.md'), 'utf8');
    assert.match(md, /AGPL-3\.0/);
    assert.match(md, /\| lr0 \| 0\.01 \|/);
    assert.match(md, new RegExp(`\\| final \\(epoch 3\\) .*\\| ${fakeRow(3).maskMap.toFixed(4)} \\|`));
    assert.match(md, /\| train \| 2 \| 2 \|/);
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('a failing evaluation is recorded in the card; the model is still exported', async () => {
  const sb = await sandbox();
  try {
    const r = await train({
      data: sb.data, epochs: 1, project: sb.project, env: sb.env, progress: 'silent', log: () => {}, skipCheck: true,
      evaluateImpl: async () => {
        throw new AnimesegError('BAD_MODEL', 'eval exploded');
      },
    });
    assert.equal(r.evaluation!.status, 'failed');
    assert.match(r.evaluation!.reason!, /eval exploded/);
    assert.ok(await stat(r.exported!.onnx));
    assert.match(await readFile(r.cardFiles!.markdown, 'utf8'), /Evaluation failed: eval exploded/);
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('--register NAME: resolveModel(NAME) then finds the exported ONNX', async () => {
  const sb = await sandbox();
  try {
    const r = await train({
      data: sb.data, epochs: 2, project: sb.project, register: 'my-anime-seg', env: sb.env, progress: 'silent', log: () => {}, evaluate: false, skipCheck: true,
    });
    assert.equal(r.registered!.name, 'my-anime-seg');
    assert.equal(r.registered!.manifest, join(sb.env.ANIMESEG_CONFIG_DIR!, 'models.json'));
    const found = await resolveModel('my-anime-seg', { env: sb.env, download: false });
    assert.equal(found.from, 'registered');
    assert.equal(found.path, join(sb.project, 'train', 'my-anime-seg.onnx'));
    assert.equal(found.entry!.sha256, SHARED_SHA256);
    assert.equal(found.entry!.licence, 'AGPL-3.0');
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('bad inputs are refused before any training starts', async () => {
  const sb = await sandbox();
  try {
    const base = { project: sb.project, env: sb.env, progress: 'silent' as const, log: () => {} };
    // data.yaml without val
    const bad = join(sb.root, 'ds', 'bad.yaml');
    await writeFile(bad, `path: ${join(sb.root, 'ds')}\ntrain: images/train\nnames:\n  0: character\n`);
    await assert.rejects(train({ ...base, data: bad, epochs: 1 }), (e) => e instanceof AnimesegError && e.code === 'BAD_DATASET');
    await assert.rejects(train({ ...base, data: join(sb.root, 'nope.yaml'), epochs: 1 }), (e) => e instanceof AnimesegError && e.code === 'BAD_INPUT');
    await assert.rejects(train({ ...base, data: sb.data, extra: ['project=/elsewhere'] }), /set by animeseg/);
    await assert.rejects(train({ ...base, data: sb.data, extra: ['notapair'] }), /not a key=value/);
    await assert.rejects(train({ ...base, data: sb.data, register: 'yolov8n-seg-int8' }), /built-in/);
    await assert.rejects(train({ ...base, resume: true, name: 'never-ran' }), /nothing to resume/);
    assert.equal((await calls(sb.log)).filter((a) => a[1] === 'train').length, 0, 'the stand-in never trained');
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('training through --python (the Ultralytics entry point) passes the same arguments', async () => {
  const sb = await sandbox();
  try {
    const u = await findUltralytics({ python: FAKE_PYTHON, env: sb.env });
    const r = await train({ data: sb.data, epochs: 1, project: sb.project, ultralytics: u, env: sb.env, progress: 'silent', log: () => {}, evaluate: false, skipCheck: true });
    assert.equal(r.status, 'completed');
    // Shown as the equivalent `yolo` command and the Python that ran it, not as our one-line -c program.
    assert.match(r.command, /^yolo segment train data=\S+ .*\(Ultralytics' entry point run by \S+\/python\)$/);
    assert.doesNotMatch(r.command, /NUM_THREADS/);
    const argv = (await calls(sb.log)).find((a) => a[1] === 'train')!;
    assert.equal(argv[2], `data=${sb.data}`);
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('export alone: --out gets an atomic copy; failures and missing weights are clear errors', async () => {
  const sb = await sandbox();
  try {
    await train({ data: sb.data, epochs: 1, project: sb.project, env: sb.env, progress: 'silent', log: () => {}, evaluate: false, skipCheck: true });
    const best = join(sb.project, 'train', 'weights', 'best.pt');
    const out = join(sb.root, 'exported', 'model.onnx');
    await mkdir(join(sb.root, 'exported'));
    const r = await exportOnnx({ weights: best, imgsz: 320, opset: 17, out, env: sb.env });
    assert.equal(r.onnx, out);
    assert.equal(r.sha256, SHARED_SHA256);
    assert.deepEqual(r.requested, { imgsz: 320, opset: 17 });
    const last = (await calls(sb.log)).at(-1)!;
    assert.deepEqual(last, ['export', `model=${best}`, 'format=onnx', 'imgsz=320', 'opset=17']);

    await assert.rejects(exportOnnx({ weights: best, env: { ...sb.env, FAKE_YOLO_EXPORT_FAIL: '1' } }), (e) => {
      assert.ok(e instanceof AnimesegError);
      assert.equal(e.code, 'EXTERNAL_FAILED');
      assert.match(e.hint ?? '', /export failed \(stand-in\)/);
      return true;
    });
    await assert.rejects(exportOnnx({ weights: join(sb.root, 'none.pt'), env: sb.env }), (e) => e instanceof AnimesegError && e.code === 'BAD_INPUT');
    await assert.rejects(exportOnnx({ weights: best, imgsz: 100, env: sb.env }), /multiple of 32/);
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('CLI: SIGINT to `animeseg train` reaches Ultralytics once, exit 130, and the message says how to resume', async () => {
  const sb = await sandbox({ FAKE_YOLO_SLEEP_MS: '150' });
  try {
    const child = spawn(
      process.execPath,
      [join(process.cwd(), 'bin/animeseg.js'), 'train', '--data', sb.data, '--epochs', '30', '--project', sb.project, '--name', 'cli', '--skip-check'],
      { env: sb.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d) => {
      stderr += d;
      // Interrupt once the second epoch has been reported.
      if (!sent && /epoch 2\/30/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    assert.equal(code, 130, stderr);
    assert.match(stderr, new RegExp(`animeseg train --resume --project ${sb.project} --name cli`));
    const rows = (await readFile(join(sb.project, 'cli', 'results.csv'), 'utf8')).trim().split('\n').length - 1;
    assert.ok(rows >= 2 && rows < 30, `${rows} epochs written before stopping`);
    assert.ok(await stat(join(sb.project, 'cli', 'weights', 'last.pt')));
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('CLI: `animeseg export --weights best.pt --register NAME` prints the ONNX path and registers it', async () => {
  const sb = await sandbox();
  try {
    await train({ data: sb.data, epochs: 1, project: sb.project, env: sb.env, progress: 'silent', log: () => {}, evaluate: false, skipCheck: true });
    const best = join(sb.project, 'train', 'weights', 'best.pt');
    const r = spawnSync(process.execPath, [join(process.cwd(), 'bin/animeseg.js'), 'export', '--weights', best, '--imgsz', '320', '--register', 'exported-one'], {
      env: sb.env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const onnx = join(sb.project, 'train', 'weights', 'best.onnx');
    assert.equal(r.stdout.trim(), onnx);
    assert.match(r.stderr, /input 320x320/);
    const found = await resolveModel('exported-one', { env: sb.env, download: false });
    assert.equal(found.path, onnx);
    assert.equal(found.entry!.licence, 'AGPL-3.0');
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});

test('integration: without an injected evaluator, the eval module scores the exported model and the card shows it', async () => {
  const sb = await sandbox();
  try {
    const r = await train({ data: sb.data, epochs: 1, project: sb.project, name: 'evalrun', env: sb.env, progress: 'silent', log: () => {} });
    // The exported model is the shared COCO model and the images are flat colour, so only the wiring is checked
    // here, not the scores (those are the eval module's own tests).
    assert.equal(r.evaluation!.status, 'done', r.evaluation!.reason);
    const results = r.evaluation!.results as Record<string, unknown>;
    assert.equal(results.images, 2, 'two val images were evaluated');
    assert.ok(!('perImage' in results), 'the per-image list stays out of the card');
    assert.ok(await stat(join(sb.project, 'evalrun', 'eval', 'metrics.json')));
    const md = await readFile(r.cardFiles!.markdown, 'utf8');
    assert.match(md, /Evaluated with `animeseg eval` on the val split/);
  } finally {
    await rm(sb.root, { recursive: true, force: true });
  }
});
