import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseConfig, UsageError } from '../../src/config.js';
import { standaloneHtml, DATA_ELEMENT_ID } from '../../src/views/resource.js';
import { CLI } from '../connect.js';

/* `view TOOL [JSON] --out FILE.html`: the flags it takes and refuses, and the file it embeds the data in. */

const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });

describe('view command', () => {
  it('parses the tool, its JSON and --out', () => {
    const config = parseConfig(['view', 'spend_report', '{"period":"last_month"}', '--out', 'spend.html', '--sandbox'], {});
    expect(config).toMatchObject({ command: 'view', args: ['spend_report', '{"period":"last_month"}'], out: 'spend.html', sandbox: true });
  });

  it('refuses --out on any other command', () => {
    expect(() => parseConfig(['call', 'spend_report', '--out', 'x.html'], {})).toThrow(new UsageError("--out applies only to 'view'."));
  });

  it('names what is missing or wrong, with exit status 2', () => {
    const noOut = run('view', 'spend_report', '--sandbox');
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toMatch(/'view' needs --out FILE\.html/);
    const noView = run('view', 'projects_list', '--sandbox', '--out', 'x.html');
    expect(noView.status).toBe(2);
    expect(noView.stderr).toMatch(/projects_list has no view; 'view' takes one of spend_report, usage_report, access_review/);
    const badJson = run('view', 'spend_report', '{period', '--sandbox', '--out', 'x.html');
    expect(badJson.status).toBe(2);
    expect(badJson.stderr).toMatch(/not valid JSON/);
  });

  it('embeds the data so that no string in it can end the script element or expand a replacement', () => {
    const page = standaloneHtml('access_review', {}, { project: { name: '</script><script>alert(1)</script> $& $`' } });
    const embedded = page.slice(page.indexOf(`id="${DATA_ELEMENT_ID}">`));
    const json = embedded.slice(embedded.indexOf('>') + 1, embedded.indexOf('</script>'));
    expect(JSON.parse(json)).toEqual({ tool: 'access_review', arguments: {}, structuredContent: { project: { name: '</script><script>alert(1)</script> $& $`' } } });
    expect(page).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-/);
  });
});
