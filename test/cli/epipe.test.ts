// Issue 21 item 11: `animeseg segment - < img.png | head -c 20` and `animeseg models list | head -c 20`
// ended in an unhandled EPIPE stack trace. A reader that closes the pipe early ends the command quietly
// (exit 0, nothing on stderr). The pipe is closed by this test before the CLI writes anything (the read
// end is destroyed at spawn; the CLI first starts, and for segment loads a model), so every write of the
// CLI meets a closed pipe, as the writes after `head` exits do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const BIN = resolve('bin/animeseg.js');
const MODEL = resolve('../shared/models/yolov8n-seg_int8.onnx');
const IMAGE = resolve('../shared/data/illustrations/images/aladdin_1.jpg');

/** Run the CLI with its stdout closed by the reader at once; bounded (SIGKILL after 60 s), killed in finally. */
async function withClosedStdout(args: string[], stdin?: Buffer): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ANIMESEG_MODELS: resolve('../shared/models') } });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    return { code, stderr };
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

test('segment - with its stdout closed by the reader ends quietly (PNG and --json)', async () => {
  const img = readFileSync(IMAGE);
  for (const extra of [[], ['--json']]) {
    const r = await withClosedStdout(['segment', '-', '--model', MODEL, ...extra], img);
    assert.equal(r.stderr, '', `segment - ${extra.join(' ')}: ${r.stderr}`);
    assert.equal(r.code, 0);
  }
});

test('models list with its stdout closed by the reader ends quietly', async () => {
  const r = await withClosedStdout(['models', 'list']);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
});
