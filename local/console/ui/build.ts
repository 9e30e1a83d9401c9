/**
 * Builds the console's browser assets: the TypeScript app bundled by esbuild into one script, the
 * stylesheet, and the page that loads them (no inline script or style: the console's CSP is
 * `default-src 'self'`). Built once per process, on first use.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The console's assets, served by the console server at `/` and `/assets/*`. */
export interface ConsoleAssets {
  /** The app, one IIFE script (served at {@link CONSOLE_JS_PATH}). */
  js: string;
  /** The stylesheet (served at {@link CONSOLE_CSS_PATH}). */
  css: string;
  /** The page served at `/`. */
  html: string;
}

/** Where the page loads the script from. */
export const CONSOLE_JS_PATH = '/assets/console.js';
/** Where the page loads the stylesheet from. */
export const CONSOLE_CSS_PATH = '/assets/console.css';

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>mlops console</title>
<link rel="stylesheet" href="${CONSOLE_CSS_PATH}">
<script src="${CONSOLE_JS_PATH}" defer></script>
</head>
<body>
<noscript>The mlops console needs JavaScript; the mlops CLI reads the same data.</noscript>
</body>
</html>
`;

let cached: Promise<ConsoleAssets> | undefined;

/** Builds (once per process; later calls share the result) the console's script, stylesheet and page. */
export function buildConsoleAssets(): Promise<ConsoleAssets> {
  if (!cached) {
    cached = build();
    // A failed build is not cached: the next request tries again (and reports again).
    cached.catch(() => {
      cached = undefined;
    });
  }
  return cached;
}

async function build(): Promise<ConsoleAssets> {
  // Loaded here only: esbuild is a devDependency the runtime needs just for this.
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(__dirname, 'app', 'index.ts')],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const js = result.outputFiles[0]?.text;
  if (js === undefined) throw new Error('esbuild wrote no console script');
  const css = await readFile(join(__dirname, 'styles.css'), 'utf8');
  return { js, css, html: HTML };
}
