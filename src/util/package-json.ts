import { readFileSync } from 'node:fs';

export interface OwnPackageJson {
  version: string;
  peerDependencies?: Record<string, string>;
}

let cached: OwnPackageJson | undefined;

/** neuromask's own package.json (src/util and dist/util are both two levels under the package root). */
export function ownPackageJson(): OwnPackageJson {
  cached ??= JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as OwnPackageJson;
  return cached;
}
