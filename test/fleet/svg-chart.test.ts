// The hand-written SVG charts: bar heights and values follow the data, an empty series says so
// instead of drawing, one point still shows, text is escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  barChart,
  lineChart,
  niceMax,
  toSvgText,
  type ChartInput,
  type SvgNode,
} from '../../src/renderer/charts/svg-chart.js';

function input(values: (number | null)[], extra: Partial<ChartInput> = {}): ChartInput {
  return {
    values,
    slotLabel: (i) => `slot ${i}`,
    valueLabel: (v) => `${v} files`,
    title: 'Files per hour',
    emptyText: 'Nothing synced',
    width: 300,
    height: 140,
    ...extra,
  };
}

/** Every node below `n` with this tag and class. */
function find(n: SvgNode, tag: string, cls?: string): SvgNode[] {
  const out: SvgNode[] = [];
  const walk = (x: SvgNode | string): void => {
    if (typeof x === 'string') return;
    if (x.tag === tag && (!cls || String(x.attrs.class).split(' ').includes(cls))) out.push(x);
    x.children.forEach(walk);
  };
  walk(n);
  return out;
}

test('niceMax rounds the axis up to 1, 2 or 5 times a power of ten', () => {
  assert.deepEqual(
    [0, 0.3, 1, 3, 7, 10, 11, 48, 120, 999, 5000].map(niceMax),
    [1, 0.5, 1, 5, 10, 10, 20, 50, 200, 1000, 5000],
  );
});

test('bars: one per slot, heights proportional to the values, values and tooltips on each', () => {
  const chart = barChart(input([0, 5, 10, 2]));
  const bars = find(chart, 'rect', 'bar');
  assert.equal(bars.length, 4);
  assert.deepEqual(
    bars.map((b) => b.attrs['data-value']),
    [0, 5, 10, 2],
  );
  // Plot height = 140 - 10 (top) - 20 (bottom) = 110; the axis top is niceMax(10) = 10.
  assert.deepEqual(
    bars.map((b) => b.attrs.height),
    [0, 55, 110, 22],
  );
  // Bars stand on the baseline (y + height = 120) and sit left to right in equal slots.
  for (const b of bars) assert.equal(Number(b.attrs.y) + Number(b.attrs.height), 120);
  const xs = bars.map((b) => Number(b.attrs.x));
  assert.deepEqual(
    xs,
    [...xs].sort((a, b) => a - b),
  );
  assert.equal(r(xs[1]! - xs[0]!), r((300 - 44 - 8) / 4));
  assert.deepEqual(
    bars.map((b) => (b.children[0] as SvgNode).children[0]),
    ['slot 0: 0 files', 'slot 1: 5 files', 'slot 2: 10 files', 'slot 3: 2 files'],
  );
  // The axis names its top and the summary its total, for eyes and for screen readers.
  assert.ok(find(chart, 'text', 'axis-label').some((t) => t.children[0] === '10 files'));
  assert.equal(
    chart.attrs['aria-label'],
    'Files per hour: 17 files in total, at most 10 files in one slot',
  );
  assert.equal(chart.attrs.role, 'img');
});

const r = (n: number): number => Math.round(n * 100) / 100;

test('an empty or all-zero series draws no bars and says so', () => {
  for (const values of [[], [0, 0, 0], [null, null]]) {
    const chart = barChart(input(values));
    assert.equal(find(chart, 'rect', 'bar').length, 0);
    const [msg] = find(chart, 'text', 'empty-text');
    assert.equal(msg?.children[0], 'Nothing synced');
    assert.equal(chart.attrs['aria-label'], 'Files per hour: Nothing synced');
  }
  const line = lineChart(input([null, null, null]));
  assert.equal(find(line, 'path', 'line').length, 0);
  assert.equal(find(line, 'text', 'empty-text')[0]?.children[0], 'Nothing synced');
});

test('one point: a single full-height bar, and a line chart shows a dot', () => {
  const bars = find(barChart(input([7])), 'rect', 'bar');
  assert.equal(bars.length, 1);
  assert.equal(bars[0]!.attrs['data-value'], 7);
  assert.equal(bars[0]!.attrs.height, r((7 / 10) * 110));
  const line = lineChart(input([null, null, 3, null]));
  const points = find(line, 'circle', 'point');
  assert.equal(points.length, 1);
  assert.equal(points[0]!.attrs['data-value'], 3);
  // Slot 2 of 4 (centre at 2.5 slots), value 3 of an axis of 5.
  assert.equal(points[0]!.attrs.cx, r(44 + 2.5 * (248 / 4)));
  assert.equal(points[0]!.attrs.cy, r(10 + 110 - (3 / 5) * 110));
  assert.equal(find(line, 'path', 'line')[0]!.attrs.d, `M${r(44 + 2.5 * 62)} ${r(54)}`);
});

test('the line breaks where a slot has no measurement', () => {
  const line = lineChart(input([1, 2, null, 4, 5]));
  const d = String(find(line, 'path', 'line')[0]!.attrs.d);
  assert.equal(d.match(/M/g)?.length, 2, d);
  assert.equal(d.match(/L/g)?.length, 2, d);
  assert.equal(find(line, 'circle', 'point').length, 4);
  assert.match(String(line.attrs['aria-label']), /now 5 files, at most 5 files/);
});

test('tick labels sit under their slots; text is escaped in the markup', () => {
  const chart = barChart(
    input([1, 2, 3, 4], { ticks: [{ index: 0, text: '<00:00>' }], title: 'A & B' }),
  );
  const [tick] = find(chart, 'text', 'tick-label');
  assert.equal(tick?.attrs.x, r(44 + 0.5 * 62));
  const text = toSvgText(chart);
  assert.match(text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="chart chart-bars"/);
  assert.match(text, /&lt;00:00&gt;/);
  assert.match(text, /aria-label="A &amp; B: 10 files in total/);
  assert.doesNotMatch(text, /<00:00>/);
  // No colour in the markup: the theme's stylesheet colours every part.
  assert.doesNotMatch(text, /fill=|stroke=|style=/);
});

test('a compact chart (a table row) leaves out axis labels and the empty sentence', () => {
  const chart = barChart(input([1, 0, 3], { compact: true, width: 150, height: 36 }));
  assert.equal(find(chart, 'text').length, 0);
  assert.equal(find(chart, 'rect', 'bar').length, 3);
  // Plot height 36 - 2 - 2 = 32, axis top niceMax(3) = 5.
  assert.equal(find(chart, 'rect', 'bar')[2]!.attrs.height, r((3 / 5) * 32));
  const none = barChart(input([0, 0], { compact: true }));
  assert.equal(find(none, 'text').length, 0);
  assert.equal(find(none, 'line', 'baseline').length, 1);
  assert.equal(none.attrs['aria-label'], 'Files per hour: Nothing synced');
});
