import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConsoleAssets, CONSOLE_CSS_PATH, CONSOLE_JS_PATH } from '../../../../../local/console/ui/build';

const UI = join(__dirname, '..', '..', '..', '..', '..', 'local', 'console', 'ui');

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('buildConsoleAssets', () => {
  it('bundles the app into one script, with the stylesheet and a page loading both (no inline script)', async () => {
    // Act
    const assets = await buildConsoleAssets();

    // Assess
    expect(assets.js.length).toBeGreaterThan(1000);
    expect(assets.js).not.toMatch(/^\s*(import|export)\s/m);
    expect(assets.css).toContain('.chart-svg');
    expect(assets.html).toContain(`<script src="${CONSOLE_JS_PATH}" defer></script>`);
    expect(assets.html).toContain(`<link rel="stylesheet" href="${CONSOLE_CSS_PATH}">`);
    // Every <script> has a src (the CSP allows no inline script) and there is no inline style.
    expect(assets.html.match(/<script\b[^>]*>/g)).toEqual([`<script src="${CONSOLE_JS_PATH}" defer>`]);
    expect(assets.html).not.toMatch(/<style|style=/);
  });

  it('is built once per process', async () => {
    // Act
    const [first, second] = await Promise.all([buildConsoleAssets(), buildConsoleAssets()]);

    // Assess
    expect(second).toBe(first);
  });

  it('refers to no other origin (works offline: no CDN, fonts or scripts from elsewhere)', async () => {
    // Arrange
    const assets = await buildConsoleAssets();

    // Assess: SVG's namespace is an identifier, never fetched.
    for (const text of [assets.js, assets.css, assets.html]) {
      const urls = (text.match(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)]*/gi) ?? []).filter(
        (url) => url !== 'http://www.w3.org/2000/svg',
      );
      expect(urls).toEqual([]);
      expect(text).not.toMatch(/@import|url\(\s*['"]?(https?:)?\/\//i);
    }
  });

  it('never writes markup from strings: no innerHTML, outerHTML, insertAdjacentHTML or document.write in the sources', async () => {
    // Arrange
    const files = await sources(UI);
    expect(files.some((file) => file.endsWith('.ts'))).toBe(true);

    // Assess
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      expect({
        file,
        found: text.match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment/g),
      }).toEqual({ file, found: null });
    }
  });

  it('keeps out innerHTML in the bundle too (nothing bundled writes markup either)', async () => {
    // Arrange
    const assets = await buildConsoleAssets();

    // Assess
    expect(assets.js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });
});
