// The page's entry: styles (ours and uPlot's, bundled into app.css) and the app mounted into <body>.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { fetchEarly } from './api.js';
import { App } from './app.js';
import { html } from './html.js';

// The overview's data, asked for at once: most visits are by someone still logged in.
if (location.hash === '' || location.hash === '#/') {
  fetchEarly('/api/status');
  fetchEarly('/api/decision');
}

const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);
