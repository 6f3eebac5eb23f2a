import { isPlain, plainAt, textAt, type SetupDraft } from './draft.js';
import type { Prompter } from './prompt.js';

const PACKAGE_CONFIG_DIR = '/etc/upsguard';

/** Where the store lives and the port the console listens on (the rest of `web:` and `store:` stays as it is). */
export async function serviceStep(p: Prompter, draft: SetupDraft): Promise<void> {
  const store = plainAt(draft.existing, 'store');
  const path = await p.ask({
    flag: 'store',
    text: 'The store (history, events, runs) file',
    default:
      textAt(store, 'path') ?? (draft.dir === PACKAGE_CONFIG_DIR ? '/var/lib/upsguard/upsguard.db' : 'upsguard.db'),
  });
  if (path !== textAt(store, 'path')) draft.store = { ...(isPlain(store) ? store : {}), path };
  const web = plainAt(draft.existing, 'web');
  const port = await p.ask({
    flag: 'web-port',
    text: 'The web console port',
    default: textAt(web, 'port') ?? '8080',
    check: (v) => (/^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65_535 ? null : 'a port from 1 to 65535'),
  });
  if (Number(port) !== plainAt(web, 'port')) draft.web = { ...(isPlain(web) ? web : {}), port: Number(port) };
}
