// A throw-away redis-server for the queue tests: 127.0.0.1, a free port, a random password, a temp dir, no
// persistence.
// Tests skip (with this reason) only when no redis-server binary can be found.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function findRedisServer(): string | null {
  for (const bin of [process.env.REDIS_SERVER, 'redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (bin && spawnSync(bin, ['--version'], { encoding: 'utf8' }).status === 0) return bin;
  }
  return null;
}

export const redisSkipReason = (): string | false => (findRedisServer() ? false : 'redis-server not found (apt-get install redis-server, or set REDIS_SERVER)');

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export async function startRedis(): Promise<TestRedis> {
  const bin = findRedisServer();
  if (!bin) throw new Error('redis-server not found');
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    // A password of this run's own: a worker left over from another run (another worktree, an aborted
    // test) that still reconnects to this port after its own redis-server went cannot take these jobs.
    const password = randomBytes(12).toString('hex');
    const child: ChildProcess = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', password, '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (d) => (log += d));
    const ready = await new Promise<boolean>((res) => {
      const t = setTimeout(() => res(false), 5000);
      child.stdout!.on('data', () => {
        if (/Ready to accept connections/.test(log)) {
          clearTimeout(t);
          res(true);
        }
      });
      child.once('exit', () => {
        clearTimeout(t);
        res(false);
      });
    });
    if (ready) {
      return {
        url: `redis://:${password}@127.0.0.1:${port}`,
        port,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            const gone = new Promise((r) => child.once('exit', r));
            child.kill('SIGTERM');
            // Bounded: a redis-server that does not stop within 5 s is killed.
            const t = setTimeout(() => child.kill('SIGKILL'), 5000);
            await gone;
            clearTimeout(t);
          }
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    child.kill('SIGKILL');
    if (attempt >= 3) throw new Error(`redis-server did not start: ${log.slice(-500)}`);
  }
}
