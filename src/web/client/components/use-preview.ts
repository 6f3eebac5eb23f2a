// The editors' server-side check: a draft is sent for preview a moment after the last edit, so a keystroke is not a
// request, and an answer that comes back after a newer edit is dropped.
import { useEffect } from 'preact/hooks';
import { send } from '../api.js';
import { errorText } from './problems.js';

const PREVIEW_DELAY_MS = 400;

export interface PreviewHandlers<P> {
  readonly answer: (preview: P) => void;
  readonly error: (message: string) => void;
}

/**
 * POSTs `body` to `url` once `deps` have stopped changing for a moment; a null body asks nothing. `deps` are what the
 * body is made from (the body itself is a new object on every render).
 */
export function usePreview<P>(url: string, body: unknown, deps: readonly unknown[], on: PreviewHandlers<P>): void {
  useEffect(() => {
    if (body === null) return;
    let live = true;
    const timer = setTimeout(() => {
      send<P>('POST', url, body).then(
        (p) => {
          if (live) on.answer(p);
        },
        (err: unknown) => {
          if (live) on.error(errorText(err));
        },
      );
    }, PREVIEW_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, deps);
}
