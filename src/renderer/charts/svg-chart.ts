// Small charts as SVG written by hand: a bar chart (files, bytes per hour) and a line chart
// (backlog over time). Pure: it returns a tree of plain nodes, turned into DOM by svg-dom.ts in
// the window and into text by toSvgText in tests. No colours here: every part has a class and
// the stylesheet colours them from the theme, so light and dark both read well (and the CSP,
// which forbids inline styles, is respected).

export interface SvgNode {
  tag: 'svg' | 'g' | 'rect' | 'line' | 'path' | 'circle' | 'text' | 'title';
  attrs: Record<string, string | number>;
  children: (SvgNode | string)[];
}

export interface ChartInput {
  /** One value per slot, oldest first; null = no measurement for that slot (line charts). */
  values: (number | null)[];
  /** Names each slot in its tooltip, e.g. "14:00–15:00". */
  slotLabel: (index: number) => string;
  /** A value as a person reads it, e.g. "12 files", "3.4 MB". */
  valueLabel: (value: number) => string;
  /** Labels under the x axis: slot index → text (e.g. every 6 hours). */
  ticks?: { index: number; text: string }[];
  /** What the chart shows, for screen readers and the empty state. */
  title: string;
  /** Shown instead of the plot when there is nothing to draw. */
  emptyText: string;
  width?: number;
  height?: number;
  /** Extra class on the root, e.g. 'chart-files'. */
  className?: string;
  /** Leave out the axis labels (a small chart in a table row); the baseline stays. */
  compact?: boolean;
}

/** Room for the axis labels around the plot. */
const FULL_PAD = { left: 44, right: 8, top: 10, bottom: 20 } as const;
const COMPACT_PAD = { left: 2, right: 2, top: 2, bottom: 2 } as const;
type Pad = { left: number; right: number; top: number; bottom: number };
const DEFAULT_SIZE = { width: 360, height: 120 } as const;

const node = (
  tag: SvgNode['tag'],
  attrs: SvgNode['attrs'] = {},
  ...children: (SvgNode | string)[]
): SvgNode => ({ tag, attrs, children });

/** Rounds to 2 decimals so the markup stays short and stable. */
const r2 = (n: number): number => Math.round(n * 100) / 100;

/** The top of the value axis: the smallest 1, 2 or 5 × 10^k at or above `max` (1 for 0). */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= max) return step * magnitude;
  return 10 * magnitude;
}

interface Frame {
  pad: Pad;
  width: number;
  height: number;
  plotW: number;
  plotH: number;
  top: number;
}

function frame(input: ChartInput): Frame {
  const width = input.width ?? DEFAULT_SIZE.width;
  const height = input.height ?? DEFAULT_SIZE.height;
  const pad = input.compact ? COMPACT_PAD : FULL_PAD;
  return {
    pad,
    width,
    height,
    plotW: width - pad.left - pad.right,
    plotH: height - pad.top - pad.bottom,
    top: niceMax(Math.max(0, ...input.values.filter((v): v is number => v !== null))),
  };
}

function root(
  input: ChartInput,
  f: Frame,
  kind: string,
  summary: string,
  ...body: SvgNode[]
): SvgNode {
  return node(
    'svg',
    {
      class: ['chart', `chart-${kind}`, input.className].filter(Boolean).join(' '),
      viewBox: `0 0 ${f.width} ${f.height}`,
      width: f.width,
      height: f.height,
      role: 'img',
      'aria-label': `${input.title}: ${summary}`,
    },
    node('title', {}, `${input.title}: ${summary}`),
    ...body,
  );
}

/** Value axis (0 and the top), baseline and the x-axis tick labels. */
function axes(input: ChartInput, f: Frame): SvgNode {
  if (input.compact) {
    const y = f.pad.top + f.plotH;
    return node(
      'g',
      { class: 'axes' },
      node('line', { class: 'baseline', x1: f.pad.left, y1: y, x2: f.pad.left + f.plotW, y2: y }),
    );
  }
  const baseY = f.pad.top + f.plotH;
  const slotW = f.plotW / Math.max(1, input.values.length);
  return node(
    'g',
    { class: 'axes' },
    node('line', {
      class: 'baseline',
      x1: f.pad.left,
      y1: baseY,
      x2: f.pad.left + f.plotW,
      y2: baseY,
    }),
    node('line', {
      class: 'gridline',
      x1: f.pad.left,
      y1: f.pad.top,
      x2: f.pad.left + f.plotW,
      y2: f.pad.top,
    }),
    node(
      'text',
      { class: 'axis-label', x: f.pad.left - 4, y: f.pad.top + 4, 'text-anchor': 'end' },
      input.valueLabel(f.top),
    ),
    node('text', { class: 'axis-label', x: f.pad.left - 4, y: baseY, 'text-anchor': 'end' }, '0'),
    ...(input.ticks ?? []).map((t) =>
      node(
        'text',
        {
          class: 'tick-label',
          x: r2(f.pad.left + (t.index + 0.5) * slotW),
          y: f.height - 4,
          'text-anchor': 'middle',
        },
        t.text,
      ),
    ),
  );
}

function empty(input: ChartInput, f: Frame, kind: string): SvgNode {
  // Too small for a sentence: the baseline alone, the summary in the accessible label.
  if (input.compact) return root(input, f, kind, input.emptyText, axes(input, f));
  return root(
    input,
    f,
    kind,
    input.emptyText,
    node(
      'text',
      { class: 'empty-text', x: f.width / 2, y: f.height / 2, 'text-anchor': 'middle' },
      input.emptyText,
    ),
  );
}

/** One bar per slot; a slot of 0 (or null) draws no bar but keeps its place. */
export function barChart(input: ChartInput): SvgNode {
  const f = frame(input);
  const values = input.values.map((v) => v ?? 0);
  const total = values.reduce((a, b) => a + b, 0);
  if (values.length === 0 || total === 0) return empty(input, f, 'bars');
  const slotW = f.plotW / values.length;
  const barW = Math.max(1, slotW * 0.8);
  const bars = values.map((v, i) => {
    const h = (v / f.top) * f.plotH;
    return node(
      'rect',
      {
        class: 'bar',
        x: r2(f.pad.left + i * slotW + (slotW - barW) / 2),
        y: r2(f.pad.top + f.plotH - h),
        width: r2(barW),
        height: r2(h),
        'data-value': v,
      },
      node('title', {}, `${input.slotLabel(i)}: ${input.valueLabel(v)}`),
    );
  });
  return root(
    input,
    f,
    'bars',
    `${input.valueLabel(total)} in total, at most ${input.valueLabel(Math.max(...values))} in one slot`,
    axes(input, f),
    node('g', { class: 'bars' }, ...bars),
  );
}

/**
 * A line through the measured slots (a gap where a slot has no measurement), with a dot on each
 * point so a single measurement still shows.
 */
export function lineChart(input: ChartInput): SvgNode {
  const f = frame(input);
  const measured = input.values
    .map((v, i) => ({ v, i }))
    .filter((p): p is { v: number; i: number } => p.v !== null);
  if (measured.length === 0) return empty(input, f, 'line');
  const slotW = f.plotW / Math.max(1, input.values.length);
  const x = (i: number) => r2(f.pad.left + (i + 0.5) * slotW);
  const y = (v: number) => r2(f.pad.top + f.plotH - (v / f.top) * f.plotH);
  let d = '';
  let previous = -2;
  for (const p of measured) {
    d += `${p.i === previous + 1 ? 'L' : 'M'}${x(p.i)} ${y(p.v)} `;
    previous = p.i;
  }
  const latest = measured[measured.length - 1]!;
  return root(
    input,
    f,
    'line',
    `now ${input.valueLabel(latest.v)}, at most ${input.valueLabel(Math.max(...measured.map((p) => p.v)))}`,
    axes(input, f),
    node('path', { class: 'line', d: d.trim() }),
    node(
      'g',
      { class: 'points' },
      ...measured.map((p) =>
        node(
          'circle',
          { class: 'point', cx: x(p.i), cy: y(p.v), r: 2.5, 'data-value': p.v },
          node('title', {}, `${input.slotLabel(p.i)}: ${input.valueLabel(p.v)}`),
        ),
      ),
    ),
  );
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const escape = (text: string): string => text.replace(/[&<>"]/g, (c) => ESCAPES[c]!);

/** The chart as SVG markup (tests, and anywhere a string is wanted). */
export function toSvgText(n: SvgNode | string): string {
  if (typeof n === 'string') return escape(n);
  const attrs = Object.entries(n.attrs)
    .map(([k, v]) => ` ${k}="${escape(String(v))}"`)
    .join('');
  const xmlns = n.tag === 'svg' ? ' xmlns="http://www.w3.org/2000/svg"' : '';
  return `<${n.tag}${xmlns}${attrs}>${n.children.map(toSvgText).join('')}</${n.tag}>`;
}
