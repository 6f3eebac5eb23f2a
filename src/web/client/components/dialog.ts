// A modal confirmation in the page's own <dialog> (never window.confirm/prompt: those are blocked in some browsers,
// unstyled, and cannot ask for a typed confirmation). showModal() makes the rest of the page inert; the Tab handler
// keeps focus cycling inside the dialog, and Escape (the dialog's native `cancel`) closes it as a cancel.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { html } from '../html.js';

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  /** What happens if confirmed, in words. */
  children?: ComponentChildren;
  confirmLabel: string;
  /** When set, the confirm button stays disabled until exactly this text is typed (e.g. the plan's name). */
  typed?: string;
  /** A destructive action gets the danger colour. */
  danger?: boolean;
  /** While the action runs: both buttons disabled. */
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

let dialogCount = 0;

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select, textarea, a[href], [tabindex="0"]';

export function ConfirmDialog(props: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [text, setText] = useState('');
  const opener = useRef<Element | null>(null);
  // Ids unique per dialog: a view may hold several (start and abort), each labelled by its own title.
  const ids = useRef<string | null>(null);
  ids.current ??= `confirm-dialog-${++dialogCount}`;
  const titleId = `${ids.current}-title`;

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      opener.current = document.activeElement;
      setText('');
      d.showModal();
      const first = d.querySelector<HTMLElement>(props.typed === undefined ? 'button.cancel' : 'input');
      first?.focus();
    } else if (!props.open && d.open) {
      d.close();
      // Back where the user was, so a keyboard user does not lose their place.
      if (opener.current instanceof HTMLElement) opener.current.focus();
    }
  }, [props.open]);

  const matches = props.typed === undefined || text === props.typed;

  const onKeyDown = (e: KeyboardEvent): void => {
    if (e.key !== 'Tab' || !ref.current) return;
    const items = Array.from(ref.current.querySelectorAll<HTMLElement>(FOCUSABLE));
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) return;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  const onCancelEvent = (e: Event): void => {
    // Escape: keep the dialog's state in Preact's hands, not the browser's.
    e.preventDefault();
    if (!props.busy) props.onCancel();
  };

  const onSubmit = (e: Event): void => {
    e.preventDefault();
    if (matches && !props.busy) props.onConfirm();
  };

  const inputId = `${ids.current}-input`;
  return html`<dialog
    ref=${ref}
    class="confirm-dialog"
    aria-labelledby=${titleId}
    onKeyDown=${onKeyDown}
    onCancel=${onCancelEvent}
  >
    <form method="dialog" onSubmit=${onSubmit}>
      <h2 id=${titleId}>${props.title}</h2>
      <div class="confirm-dialog-body">${props.children}</div>
      ${
        props.typed !== undefined &&
        html`<label for=${inputId} class="field-label"
            >Type <strong class="mono">${props.typed}</strong> to confirm</label
          >
          <input
            id=${inputId}
            name="confirm"
            autocomplete="off"
            spellcheck=${false}
            value=${text}
            onInput=${(e: Event) => setText((e.currentTarget as HTMLInputElement).value)}
          />`
      }
      <div class="dialog-buttons">
        <button type="button" class="cancel" disabled=${props.busy} onClick=${() => props.onCancel()}>Cancel</button>
        <button type="submit" class=${props.danger ? 'danger' : 'primary'} disabled=${!matches || props.busy}>
          ${props.confirmLabel}
        </button>
      </div>
    </form>
  </dialog>`;
}
