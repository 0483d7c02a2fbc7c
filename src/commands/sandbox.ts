import type { ServerConfig } from '../config.js';
import { startSandbox } from '../sandbox/server.js';

/** `openai-admin-mcp sandbox`: the simulated Admin API alone, until SIGINT or SIGTERM. */
export async function runSandbox(config: ServerConfig): Promise<number> {
  const sandbox = await startSandbox({
    seed: config.seed,
    latencyMs: config.latencyMs,
    faultRate: config.faultRate,
    size: config.size,
    rateLimitRpm: config.rateLimitRpm,
    port: config.port,
    host: config.host,
  });
  // The base URL is the first line on stdout, so scripts can read it.
  process.stdout.write(`${sandbox.url}\n`);
  process.stderr.write(
    `openai-admin-mcp sandbox: serving the simulated Admin API (seed ${config.seed}, ${config.size.projects} projects, ${config.size.users} users${config.rateLimitRpm > 0 ? `, ${config.rateLimitRpm} requests a minute` : ''}); use any sk-admin-… key. Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sandbox.close();
  return 0;
}
