// The restore's state for the restore view and the overview's line: fetched, then kept current by the stream.
import { useEffect, useState } from 'preact/hooks';
import type { RestoreApiView, RestoreStateView } from '../../api-types/restore.js';
import { getJson } from '../api.js';
import { onLive, onReconnect } from '../live.js';
import { errorText } from './problems.js';

export const RESTORE_TONE: Record<RestoreStateView, 'ok' | 'bad' | 'warn' | 'unknown'> = {
  none: 'unknown',
  waiting: 'warn',
  running: 'warn',
  interrupted: 'bad',
  restored: 'ok',
  incomplete: 'bad',
  disabled: 'unknown',
};

export const RESTORE_WORDS: Record<RestoreStateView, string> = {
  none: 'nothing to restore',
  waiting: 'waiting',
  running: 'restoring',
  interrupted: 'interrupted',
  restored: 'restored',
  incomplete: 'incomplete',
  disabled: 'disabled',
};

/** GET /api/restore, then each `restore` message of the live stream (and again after a gap in it). */
export function useRestore(): { data: RestoreApiView | null; error: string | null } {
  const [data, setData] = useState<RestoreApiView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const load = (): void => {
      getJson<RestoreApiView>('/api/restore').then(
        (r) => {
          if (live) {
            setData(r);
            setError(null);
          }
        },
        (e: unknown) => {
          if (live) setError(errorText(e));
        },
      );
    };
    load();
    const offLive = onLive('restore', (r) => {
      if (live) setData(r as RestoreApiView);
    });
    const offReconnect = onReconnect(load);
    return () => {
      live = false;
      offLive();
      offReconnect();
    };
  }, []);
  return { data, error };
}
