// The yaml library (~280 KB of source, about 0.7 MB of the heap once compiled) is loaded the first time a config
// file is read or written: the demo runs on the embedded default and never needs it (issue 10: the demo's memory).
// require, not import(): reading the config is synchronous, and in Node the package is CommonJS either way, so this is
// the very module an `import from 'yaml'` would give.
import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');

let loaded: Yaml | undefined;

export function yaml(): Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as Yaml;
  return loaded;
}
