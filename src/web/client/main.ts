// The page's entry: styles (ours and uPlot's, bundled into app.css) and the app mounted into <body>.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { App } from './app.js';
import { html } from './html.js';

const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);
