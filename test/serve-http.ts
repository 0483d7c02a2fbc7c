import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './connect.js';

export interface RunningCli {
  url: string;
  child: ChildProcess;
  /** Everything the server wrote to stderr so far. */
  stderr: () => string;
  stop: () => Promise<void>;
}

/** Starts the built server with --http on a free port and reads its URL from stderr. */
export async function serveHttp(args: string[], env: Record<string, string>): Promise<RunningCli> {
  const child = spawn(process.execPath, [CLI, '--http', '--port', '0', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const look = () => {
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1] as string);
    };
    child.stderr?.on('data', look);
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
  return {
    url,
    child,
    stderr: () => stderr,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
