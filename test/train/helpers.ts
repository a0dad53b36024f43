/**
 * Shared set-up for the training contract tests: a tiny YOLO-seg dataset in a temp folder and an environment
 * whose PATH finds the stand-in Ultralytics (test/fixtures/fake-ultralytics) first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import sharp from 'sharp';

export const FAKE_DIR = resolve('test/fixtures/fake-ultralytics');
export const FAKE_YOLO = join(FAKE_DIR, 'yolo');
export const FAKE_PYTHON = join(FAKE_DIR, 'python');

/** The real training stack of the tests that run it: Debian's torch and the vendored Ultralytics. */
export const REAL_PYTHON = '/usr/bin/python3';
export const REAL_VENDOR = resolve('../shared/vendor/ultralytics-8.2.103');

/** Why the real stack cannot run here (the test skips, saying so), or null when it can. */
export function realTorchProblem(): string | null {
  if (!existsSync(REAL_VENDOR)) return `no vendored Ultralytics at ${REAL_VENDOR}`;
  const r = spawnSync(REAL_PYTHON, ['-c', 'import torch, onnx'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return `${REAL_PYTHON} cannot run (${r.error.message})`;
  if (r.status !== 0) return `${REAL_PYTHON} cannot import torch/onnx (apt-get install python3-torch python3-onnx ...; see ../shared/vendor/README.md)`;
  return null;
}

/** Two train and two val images (64x48 PNG) with one polygon each. */
export async function makeDataset(root: string): Promise<string> {
  for (const split of ['train', 'val']) {
    await mkdir(join(root, 'images', split), { recursive: true });
    await mkdir(join(root, 'labels', split), { recursive: true });
    for (const n of ['a', 'b']) {
      await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 100, b: 50 } } })
        .png()
        .toFile(join(root, 'images', split, `${n}.png`));
      await writeFile(join(root, 'labels', split, `${n}.txt`), '0 0.1 0.1 0.5 0.1 0.5 0.6 0.1 0.6\n');
    }
  }
  const yaml = join(root, 'data.yaml');
  await writeFile(yaml, `path: ${root}\ntrain: images/train\nval: images/val\nnames:\n  0: character\n`);
  return yaml;
}

export interface Sandbox {
  root: string;
  data: string;
  project: string;
  log: string;
  env: NodeJS.ProcessEnv;
}

/** A fresh folder with a dataset, a runs folder, a config dir and the stand-in on PATH. */
export async function sandbox(extraEnv: NodeJS.ProcessEnv = {}): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), 'animeseg-train-'));
  const data = await makeDataset(join(root, 'ds'));
  const log = join(root, 'yolo-calls.jsonl');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // The stand-ins are `#!/usr/bin/env node` scripts, so node's own folder must be on PATH too.
    PATH: [FAKE_DIR, dirname(process.execPath), process.env.PATH ?? ''].join(delimiter),
    ANIMESEG_CONFIG_DIR: join(root, 'config'),
    ANIMESEG_PYTHON: '',
    FAKE_YOLO_LOG: log,
    FAKE_YOLO_SLEEP_MS: '20',
    ...extraEnv,
  };
  return { root, data, project: join(root, 'runs'), log, env };
}

/** The argv of every stand-in call, in order. */
export async function calls(log: string): Promise<string[][]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { argv: string[] }).argv);
}

/** The values the stand-in writes for an epoch (test/fixtures/fake-ultralytics/fake-yolo.mjs, row()). */
export function fakeRow(epoch: number) {
  const round5 = (x: number) => Number(x.toFixed(5));
  return {
    boxLoss: round5(1.2 / epoch),
    segLoss: round5(2.4 / epoch),
    maskMap: round5(Math.min(0.99, 0.25 + 0.01 * epoch)),
    maskMap50: round5(Math.min(0.99, 0.42 + 0.01 * epoch)),
    boxMap: round5(Math.min(0.99, 0.3 + 0.01 * epoch)),
  };
}
