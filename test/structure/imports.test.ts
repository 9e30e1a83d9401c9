/**
 * Each Lambda is bundled from its own folder: code two functions share lives in lambdas/shared, never in
 * one function's folder, and lambdas/shared depends on no function.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const LAMBDAS = resolve(__dirname, '../../lambdas');
const SHARED = 'shared';

/** Every .ts file under `directory`, recursively. */
function sources(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The relative module specifiers of a file: static imports, re-exports and dynamic imports. */
function relativeSpecifiers(text: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\1/g;
  return [...text.matchAll(pattern)].map((match) => match[2] ?? '');
}

/** The top-level folder under lambdas/ that `path` is in, or undefined when it is outside lambdas/. */
function folderOf(path: string): string | undefined {
  const inside = relative(LAMBDAS, path);
  if (inside.startsWith('..')) return undefined;
  return inside.split(sep)[0];
}

/** `file imports target` for each import that leaves the file's function folder (other than into shared/). */
function crossImports(): string[] {
  return sources(LAMBDAS).flatMap((file) => {
    const own = folderOf(file);
    return relativeSpecifiers(readFileSync(file, 'utf8'))
      .filter((specifier) => {
        const target = folderOf(resolve(dirname(file), specifier));
        if (target === undefined || target === own) return false;
        return own === SHARED || target !== SHARED;
      })
      .map((specifier) => `${relative(LAMBDAS, file)} imports ${specifier}`);
  });
}

describe('lambda folders', () => {
  it('finds relative imports, re-exports and dynamic imports', () => {
    // Prepare
    const text = [
      "import { a } from '../x/a';",
      "import type { B } from './b';",
      'export { c } from "../../shared/c";',
      "const d = await import('../d');",
      "import './side-effect';",
      "import { e } from '@aws-sdk/client-s3';",
    ].join('\n');

    // Act
    const specifiers = relativeSpecifiers(text);

    // Assess
    expect(specifiers).toEqual(['../x/a', './b', '../../shared/c', '../d', './side-effect']);
  });

  it('import nothing from another function folder; lambdas/shared imports no function folder', () => {
    // Act
    const found = crossImports();

    // Assess
    expect(found).toEqual([]);
  });
});
