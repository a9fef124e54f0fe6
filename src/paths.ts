import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, found from this file whether it runs from src/ or from dist/src/. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('overpay: package.json not found above ' + dir);
    dir = parent;
  }
  return dir;
}

export const ROOT = findRoot();
export const SQL_DIR = join(ROOT, 'sql');

/** True when running TypeScript sources directly (tests, tsx) rather than the build. */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** Path of a piscina task entry under workers/, for sources or the build. */
export function workerFile(name: string): string {
  return FROM_SOURCE
    ? join(ROOT, 'workers', `${name}.ts`)
    : join(ROOT, 'dist', 'workers', `${name}.js`);
}
