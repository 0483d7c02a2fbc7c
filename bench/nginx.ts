import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';

/*
 * A real nginx, round-robin in front of replicas: a generated config in a temporary folder, run in
 * the foreground on a loopback port. `.ci/run` installs Debian's nginx when it is missing.
 */

export interface Nginx {
  /** The MCP endpoint through nginx. */
  url: string;
  /** nginx's error log so far, for a failure's message. */
  errorLog(): string;
  /**
   * Sends to these replicas from now on (a reload, SIGHUP). A test that must know the public URL
   * before its replicas start starts nginx first, with none, and routes to them once they listen:
   * a port picked in advance could be taken by another process in between.
   */
  route(upstreams: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** With no upstreams it answers 502 until `route` gives it some. */
export async function startNginx(upstreams: string[]): Promise<Nginx> {
  const binary = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
  if (!binary) throw new Error('nginx is not installed: run `apt-get install -y nginx` (.ci/run does this on CI).');
  const dir = mkdtempSync(join(tmpdir(), 'oamcp-nginx-'));
  const port = await freePort();
  const root = process.getuid?.() === 0;
  const writeConfig = (to: string[]) => {
    // Nothing to route to yet: a server that refuses every connection, so nginx answers 502.
    const servers = (to.length > 0 ? to.map((u) => `    server ${new URL(u).host} max_fails=1 fail_timeout=30s;`) : ['    server 127.0.0.1:9;']).join('\n');
    writeFileSync(
      join(dir, 'nginx.conf'),
    `${root ? 'user root;\n' : ''}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream replicas {
${servers}
    keepalive 16;
    # Shorter than the replicas' keep-alive (65 s), so nginx, not the replica, closes an idle connection.
    keepalive_timeout 30s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://replicas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host 127.0.0.1;
      # Streamed answers (SSE) pass through as they come.
      proxy_buffering off;
      proxy_read_timeout 120s;
      # A POST is never sent to a second replica: nginx's default, written down because a
      # confirmation must not be repeated by the load balancer.
      proxy_next_upstream error timeout;
    }
  }
}
`,
  );
  };
  writeConfig(upstreams);
  const child: ChildProcess = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // Ready when it answers: poll the health check through it (any answer, when it routes nowhere yet).
  const answers = async (healthy: boolean) => {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${stderr}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok || !healthy, () => false);
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  await answers(upstreams.length > 0);
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    errorLog: () => {
      try {
        return readFileSync(join(dir, 'error.log'), 'utf8');
      } catch {
        return '';
      }
    },
    route: async (to) => {
      writeConfig(to);
      child.kill('SIGHUP');
      await answers(true);
    },
    stop: async () => {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGQUIT');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
