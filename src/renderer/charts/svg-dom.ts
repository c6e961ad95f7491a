// Turns a chart tree (svg-chart.ts) into SVG elements. Text goes in as text nodes, never markup,
// so a site name or file name in a tooltip can never inject anything.
import type { SvgNode } from './svg-chart.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

export function toSvgElement(n: SvgNode): SVGElement {
  const el = document.createElementNS(SVG_NS, n.tag);
  for (const [k, v] of Object.entries(n.attrs)) el.setAttribute(k, String(v));
  for (const child of n.children) {
    el.appendChild(
      typeof child === 'string' ? document.createTextNode(child) : toSvgElement(child),
    );
  }
  return el;
}
