// One tagged-template binding for every view: JSX-like markup without a compile step for JSX.
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
