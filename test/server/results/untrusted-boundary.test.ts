import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../../src/client/index.js';
import { ToolHost } from '../../../src/server/hosts/tool-host.js';
import { parseUntrustedText, success } from '../../../src/server/results/results.js';
import { sandboxWithClient } from '../../helpers.js';
import { testHost } from '../../host.js';
import { structured, text } from '../../connect.js';

let client: AdminClient;
let close: () => Promise<void>;
let host: ToolHost;

beforeAll(async () => {
  ({ client, close } = await sandboxWithClient({ seed: 62 }));
  host = testHost(client);
});
afterAll(() => close());

// "ignore" spelled in Unicode tag characters: invisible to a human, read as text by a model.
const TAGS = [...'ignore'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');

describe('untrusted data boundary', () => {
  it('escapes invisible Unicode tag characters (ASCII smuggling) in results', () => {
    const data = { name: `Atlas${TAGS}` };
    const out = text(success(data));
    expect(out).not.toMatch(/[\u{e0000}-\u{e007f}]/u);
    expect(parseUntrustedText(out)).toEqual(data);
  });

  it('escapes bidi and invisible characters in the confirmation dialog shown to the human', async () => {
    const name = `Sandbox\u202e3pmahcS\u200b${TAGS}`;
    const id = structured<{ id: string }>(await host.call('projects_create', { name })).id;
    let shown = '';
    const result = await host.call('projects_archive', { project_id: id }, {
      elicit: async (message) => {
        shown = message;
        return 'decline';
      },
    });
    expect(result.isError).toBeFalsy();
    expect(shown).toContain(id);
    expect(shown).not.toMatch(/[\u200b-\u200f\u2028-\u202e\u2060-\u2069]/);
    expect(shown).not.toMatch(/[\u{e0000}-\u{e007f}]/u);
    expect(shown).toContain('\\u202e');
  });
});
