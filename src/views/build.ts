import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/*
 * Bundles the report view (src/views/web/) into one self-contained HTML page at build time: the
 * script (ext-apps' App, the MCP SDK pieces it uses and our layouts) and the stylesheet inline, no
 * external reference. esbuild is a devDependency, loaded only here.
 */
export async function buildViewHtml(sourceDir: URL): Promise<string> {
  const { build } = await import('esbuild');
  const bundled = await build({
    entryPoints: [new URL('main.ts', sourceDir).pathname],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    logLevel: 'error',
  });
  const script = (bundled.outputFiles[0]?.text ?? '').trim();
  if (!script) throw new Error('The report view bundle is empty.');
  // No external reference may slip in: the page runs under default-src 'none'.
  if (/<\/script/i.test(script)) throw new Error('The report view bundle contains </script>.');
  const style = readFileSync(new URL('styles.css', sourceDir), 'utf8').trim();
  const hash = (text: string) => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>OpenAI Admin report</title>',
    `<!--hashes:${JSON.stringify({ script: hash(script), style: hash(style) })}-->`,
    `<style>${style}</style>`,
    '</head>',
    '<body>',
    '<main id="app" aria-live="polite" aria-busy="true"><p class="note">Waiting for the report…</p></main>',
    `<script type="module">${script}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
