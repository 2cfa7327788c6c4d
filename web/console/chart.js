// chart.js: a horizontal bar chart as inline SVG, drawn by the page (no
// chart library). Bars are sized in a viewBox and the SVG scales to its
// box, so it fits a 360 px phone. The chart is an image with a title for
// screen readers; the page shows the same numbers in a table beside it.

import { el } from '/assets/ui.js';

const W = 600;
const ROW = 34;
const LABEL = 210;
const PAD = 8;

// An <svg> for rows [{ key, label, value }], titled title.
export function barChart(rows, title, id) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const h = rows.length * ROW + PAD * 2;
  const span = W - LABEL - 70;
  const svg = el('svg:svg', {
    viewBox: `0 0 ${W} ${h}`, class: 'chart', role: 'img', 'aria-labelledby': `${id}-title`,
    preserveAspectRatio: 'xMinYMin meet',
  }, el('svg:title', { id: `${id}-title` }, title));
  rows.forEach((r, i) => {
    const y = PAD + i * ROW;
    const w = Math.round((r.value / max) * span);
    svg.append(
      el('svg:text', { x: LABEL - 8, y: y + ROW / 2 + 4, 'text-anchor': 'end' }, r.label),
      el('svg:rect', {
        class: `bar state-${r.key}`, x: LABEL, y: y + 6, width: Math.max(w, r.value ? 2 : 0),
        height: ROW - 12, rx: 3, 'data-state': r.key, 'data-value': r.value,
      }),
      el('svg:text', { x: LABEL + w + 6, y: y + ROW / 2 + 4 }, String(r.value)));
  });
  svg.append(el('svg:line', { class: 'axis', x1: LABEL, y1: PAD, x2: LABEL, y2: h - PAD }));
  return svg;
}
