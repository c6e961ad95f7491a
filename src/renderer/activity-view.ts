// The Status tab's pictures: files and bytes synced per hour over the last 24 hours, and the
// backlog (files waiting) over the same hours, drawn by charts/svg-chart.ts. Each chart also
// carries its numbers as text (tooltips, an accessible summary), never only as shapes.
import type { Activity, HourBucket } from '../shared/engine-types.js';
import { barChart, lineChart, type ChartInput } from './charts/svg-chart.js';
import { toSvgElement } from './charts/svg-dom.js';
import { h } from './dom.js';
import { bytes, plural } from './format.js';

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** "14:00–15:00" in local time. */
function hourLabel(b: HourBucket): string {
  const start = new Date(b.startMs);
  const end = new Date(b.startMs + 3_600_000);
  return `${pad2(start.getHours())}:00–${pad2(end.getHours())}:00`;
}

/** A label under every sixth hour (local midnight, 06:00, 12:00, 18:00). */
export function hourTicks(hours: HourBucket[]): { index: number; text: string }[] {
  return hours
    .map((b, index) => ({ index, hour: new Date(b.startMs).getHours() }))
    .filter((t) => t.hour % 6 === 0)
    .map((t) => ({ index: t.index, text: `${pad2(t.hour)}:00` }));
}

export function hourChartInput(
  hours: HourBucket[],
  values: (number | null)[],
  rest: Pick<ChartInput, 'title' | 'emptyText' | 'valueLabel' | 'className'> & Partial<ChartInput>,
): ChartInput {
  return {
    values,
    slotLabel: (i) => hourLabel(hours[i]!),
    ticks: hourTicks(hours),
    ...rest,
  };
}

export function activityCard(a: Activity | null): HTMLElement {
  const body: Node[] = [];
  if (!a) {
    body.push(h('p', { class: 'muted', text: 'Loading the last 24 hours…' }));
  } else {
    const files = hourChartInput(
      a.hours,
      a.hours.map((b) => b.files),
      {
        title: 'Files synced per hour',
        emptyText: 'No files synced in the last 24 hours',
        valueLabel: (v) => plural(v, 'file'),
        className: 'chart-files',
      },
    );
    const size = hourChartInput(
      a.hours,
      a.hours.map((b) => b.bytes),
      {
        title: 'Bytes synced per hour',
        emptyText: 'No bytes synced in the last 24 hours',
        valueLabel: (v) => bytes(v),
        className: 'chart-bytes',
      },
    );
    const backlog = hourChartInput(
      a.hours,
      a.hours.map((b) => b.backlog),
      {
        title: 'Files waiting (highest each hour)',
        emptyText: 'No queue measured yet',
        valueLabel: (v) => plural(v, 'file'),
        className: 'chart-backlog',
      },
    );
    for (const [id, label, chart] of [
      ['chart-files', 'Files per hour', barChart(files)],
      ['chart-bytes', 'Bytes per hour', barChart(size)],
      ['chart-backlog', 'Waiting (backlog)', lineChart(backlog)],
    ] as const) {
      body.push(
        h(
          'figure',
          { class: 'chart-figure', id },
          toSvgElement(chart),
          h('figcaption', { text: label }),
        ),
      );
    }
  }
  return h(
    'section',
    { class: 'card', id: 'activity', attrs: { 'aria-labelledby': 'card-last-24-hours' } },
    h('h3', { id: 'card-last-24-hours', text: 'Last 24 hours' }),
    h('div', { class: 'charts' }, ...body),
  );
}
