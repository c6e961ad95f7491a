// A sentence without its figures: what the alert policy compares when it asks "other words, or
// only other figures?" (a restart must not announce again what was announced). Masking digits
// alone read "for 68 s" and "for 2 min" as other words, so a restarted daemon re-sent a silent
// logger's alert: a figure is a number with its unit, in any unit the engine writes (durations,
// sizes, a percentage), and a date or a time of day. Digits inside a name (RDL/USB0, a file
// data_0012.csv, /media/sd2) are part of the name, not a figure: another file or folder is
// other words.
import { BYTE_UNITS } from './format-bytes.js';
import { DURATION_UNITS } from './format-duration.js';

/** The units a figure may carry: the formatters' own, their long and singular forms. */
const UNITS = [
  ...DURATION_UNITS,
  'day',
  'sec',
  'second',
  'seconds',
  'minute',
  'minutes',
  'hour',
  'hours',
  'week',
  'weeks',
  ...BYTE_UNITS,
  '%',
]
  // Longest first: "days" before "day", "min" before a bare "s" could cut it short.
  .sort((a, b) => b.length - a.length);

/** Part of a name when next to a number: a letter, a digit, or a path's or name's joiner. */
const NAME = String.raw`[\p{L}\p{N}_/\\-]`;

const FIGURE = new RegExp(
  String.raw`(?<!${NAME}|\.)` +
    // A date and time ("2026-12-03 11:02"), a time of day, or a number (with decimals)…
    String.raw`(?:\d{4}-\d\d-\d\d(?:[ T]\d\d?:\d\d(?::\d\d)?)?|\d\d?:\d\d(?::\d\d)?|\d+(?:\.\d+)?)` +
    // …with its unit, if it has one…
    String.raw`(?:\s?(?:${UNITS.join('|')}))?` +
    // …and not run on into a name ("2026-12-03_log.csv"; a full stop ending a sentence is no name).
    String.raw`(?!${NAME}|\.[\p{L}\p{N}])`,
  'gu',
);

/** "No new file from RDL/USB0 for #; the last was RDL/USB0/a1.csv" of any figures. */
export function withoutFigures(sentence: string): string {
  return sentence.replace(FIGURE, '#');
}
