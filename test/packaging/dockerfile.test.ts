import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/redis-server.js';

/*
 * No container runtime is available here, so this runs what the Dockerfile's final stage runs: on a
 * clean copy of the package files and the built dist/ (stage 1's output, built by `npm test`), its
 * RUN command (`npm ci --omit=dev`), then its CMD with its ENV, and checks that /healthz answers.
 * The commands are read from the Dockerfile, so the test follows it when it changes.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'oamcp-docker-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function finalStage(): { run: string; cmd: string[]; env: Record<string, string> } {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stages = text.split(/^FROM /m);
  const last = stages[stages.length - 1] as string;
  const run = /^RUN (.+)$/m.exec(last)?.[1];
  const cmd = /^CMD (\[.+\])$/m.exec(last)?.[1];
  if (!run || !cmd) throw new Error('the Dockerfile has no RUN or CMD in its final stage');
  const env: Record<string, string> = {};
  for (const [, body] of last.matchAll(/^ENV (.+)$/gm)) {
    for (const [, key, value] of (body as string).matchAll(/(\w+)=(\S+)/g)) env[key as string] = value as string;
  }
  return { run, cmd: JSON.parse(cmd) as string[], env };
}

describe('the Dockerfile', () => {
  it('runs as a non-root user with a health check, and its final stage starts a server whose /healthz answers', { timeout: 600_000 }, async () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    // The build stage copies every input of `npm run build` (tsconfig.build.json's include list).
    const buildStage = dockerfile.split(/^FROM /m)[1] as string;
    const copied = [...buildStage.matchAll(/^COPY (.+) \S+$/gm)].flatMap(([, sources]) => (sources as string).split(/\s+/));
    for (const source of copied) expect(existsSync(join(root, source)), source).toBe(true);
    const { include } = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    for (const dir of include) expect(copied, `tsconfig.build.json includes ${dir}`).toContain(dir);
    const { run, cmd, env } = finalStage();
    expect(run).toMatch(/^npm ci --omit=dev/);
    for (const file of ['package.json', 'package-lock.json']) cpSync(join(root, file), join(work, file));
    cpSync(join(root, 'dist'), join(work, 'dist'), { recursive: true });
    execFileSync('sh', ['-c', run], { cwd: work, stdio: 'ignore', env: { ...process.env, NODE_ENV: 'production', npm_config_prefer_offline: 'true' } });

    const port = await freePort();
    const [program, ...args] = cmd;
    expect(program).toBe('node');
    const child = spawn(process.execPath, args, {
      cwd: work,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        // Loopback here rather than every interface; the rest is the image's environment.
        OPENAI_ADMIN_MCP_HOST: '127.0.0.1',
        OPENAI_ADMIN_MCP_PORT: String(port),
        OPENAI_ADMIN_KEY: 'sk-admin-docker-test',
        OPENAI_ADMIN_MCP_HTTP_TOKEN: 'docker-test-token-0123456789',
      },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      for (;;) {
        if (child.exitCode !== null) throw new Error(`the server exited ${child.exitCode}: ${stderr}`);
        const health = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => (r.ok ? r.json() : undefined), () => undefined);
        if (health) {
          expect(health).toMatchObject({ status: 'ok' });
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      child.kill('SIGTERM');
    }
  });
});
