// The page's entry: styles (ours, the action views' and uPlot's, all bundled into the one app.css: a view fetched
// later brings only code, so nothing waits for a style sheet) and the app mounted into <body>.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import './views-actions.css';
import { render } from 'preact';
import { App } from './app.js';
import { html } from './html.js';

const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);
