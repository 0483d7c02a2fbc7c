import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/*
 * A real redis-server for the tests, on a free loopback port, with nothing persisted. `.ci/run`
 * installs Debian's redis-server when it is missing; a machine without it fails these tests rather
 * than skipping them.
 */

const CANDIDATES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'];

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the process; `start` brings it back on the same port, empty. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP), as a stalled host or a debugger would; `resume` thaws it. */
  pause(): void;
  resume(): void;
}

export function redisServerPath(): string {
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found) throw new Error('redis-server is not installed: run `apt-get install -y redis-server` (.ci/run does this on CI).');
  return found;
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export async function startRedis(): Promise<RedisServer> {
  const binary = redisServerPath();
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const proc = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const look = (chunk: Buffer) => {
        output += chunk.toString();
        if (/Ready to accept connections/.test(output)) resolve();
      };
      proc.stdout?.on('data', look);
      proc.stderr?.on('data', look);
      proc.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${output}`)));
    });
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  };
  const signal = (name: NodeJS.Signals) => {
    if (!child || child.exitCode !== null) throw new Error('redis-server is not running');
    child.kill(name);
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start, pause: () => signal('SIGSTOP'), resume: () => signal('SIGCONT') };
}
