#!/usr/bin/env node
// Draws every icon the app ships (tray icons per status, app icons) from simple shapes, and
// writes them as PNG with a small encoder on node:zlib. Run after changing a shape; the PNGs
// are committed so packaging needs no image tools.
//   node scripts/make-icons.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;

// ---- PNG encoding (8-bit RGBA, no interlace) ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** rgba: Uint8Array of size*size*4. */
export function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const stride = size * 4;
  const raw = Buffer.alloc((stride + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- shapes as signed distance functions on the unit square (0..1, y down) ----

const disc = (cx, cy, r) => (x, y) => Math.hypot(x - cx, y - cy) - r;

function segment(ax, ay, bx, by, halfWidth) {
  return (x, y) => {
    const dx = bx - ax;
    const dy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
    return Math.hypot(x - ax - t * dx, y - ay - t * dy) - halfWidth;
  };
}

function roundedRect(x0, y0, x1, y1, r) {
  return (x, y) => {
    const qx = Math.abs(x - (x0 + x1) / 2) - ((x1 - x0) / 2 - r);
    const qy = Math.abs(y - (y0 + y1) / 2) - ((y1 - y0) / 2 - r);
    return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
  };
}

const union =
  (...shapes) =>
  (x, y) =>
    Math.min(...shapes.map((s) => s(x, y)));

const W = 0.075; // symbol stroke half-width

const SYMBOLS = {
  idle: union(segment(0.3, 0.52, 0.44, 0.66, W), segment(0.44, 0.66, 0.71, 0.36, W)),
  syncing: union(
    segment(0.5, 0.72, 0.5, 0.3, W),
    segment(0.5, 0.28, 0.33, 0.45, W),
    segment(0.5, 0.28, 0.67, 0.45, W),
  ),
  paused: union(roundedRect(0.33, 0.3, 0.45, 0.7, 0.03), roundedRect(0.55, 0.3, 0.67, 0.7, 0.03)),
  attention: union(segment(0.5, 0.27, 0.5, 0.56, W), disc(0.5, 0.71, 0.08)),
  error: union(segment(0.34, 0.34, 0.66, 0.66, W), segment(0.66, 0.34, 0.34, 0.66, W)),
};

const COLORS = {
  idle: [22, 163, 74],
  syncing: [37, 99, 235],
  paused: [100, 116, 139],
  attention: [217, 119, 6],
  error: [220, 38, 38],
};

/** Coverage of a shape at pixel (px, py), supersampled 4x4 for smooth edges. */
function coverage(shape, px, py, size) {
  let inside = 0;
  for (let sy = 0; sy < 4; sy++) {
    for (let sx = 0; sx < 4; sx++) {
      if (shape((px + (sx + 0.5) / 4) / size, (py + (sy + 0.5) / 4) / size) <= 0) inside++;
    }
  }
  return inside / 16;
}

/** A coloured disc with the white symbol on it (Windows, Linux). */
function colourIcon(name, size) {
  const rgba = new Uint8Array(size * size * 4);
  const badge = disc(0.5, 0.5, 0.47);
  const [r, g, b] = COLORS[name];
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const a = coverage(badge, px, py, size);
      const s = coverage(SYMBOLS[name], px, py, size);
      const i = (py * size + px) * 4;
      rgba[i] = Math.round(r + (255 - r) * s);
      rgba[i + 1] = Math.round(g + (255 - g) * s);
      rgba[i + 2] = Math.round(b + (255 - b) * s);
      rgba[i + 3] = Math.round(255 * a);
    }
  }
  return rgba;
}

/** macOS template image: black, shape in alpha only; the symbol is cut out of the disc. */
function templateIcon(name, size) {
  const rgba = new Uint8Array(size * size * 4);
  const badge = disc(0.5, 0.5, 0.45);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const a = coverage(badge, px, py, size) * (1 - coverage(SYMBOLS[name], px, py, size));
      rgba[(py * size + px) * 4 + 3] = Math.round(255 * a);
    }
  }
  return rgba;
}

/** App icon: a blue rounded square with the upload arrow and an SD card outline. */
function appIcon(size) {
  const rgba = new Uint8Array(size * size * 4);
  const tile = roundedRect(0.04, 0.04, 0.96, 0.96, 0.2);
  const arrow = union(
    segment(0.5, 0.6, 0.5, 0.2, 0.055),
    segment(0.5, 0.18, 0.33, 0.35, 0.055),
    segment(0.5, 0.18, 0.67, 0.35, 0.055),
  );
  const cardOuter = roundedRect(0.3, 0.66, 0.7, 0.86, 0.04);
  const cardInner = roundedRect(0.34, 0.7, 0.66, 0.82, 0.02);
  const card = (x, y) => Math.max(cardOuter(x, y), -cardInner(x, y));
  const symbol = union(arrow, card);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const a = coverage(tile, px, py, size);
      const s = coverage(symbol, px, py, size);
      // Gentle vertical gradient so the tile does not look flat.
      const t = py / size;
      const base = [Math.round(37 - 10 * t), Math.round(99 - 25 * t), Math.round(235 - 40 * t)];
      const i = (py * size + px) * 4;
      rgba[i] = Math.round(base[0] + (255 - base[0]) * s);
      rgba[i + 1] = Math.round(base[1] + (255 - base[1]) * s);
      rgba[i + 2] = Math.round(base[2] + (255 - base[2]) * s);
      rgba[i + 3] = Math.round(255 * a);
    }
  }
  return rgba;
}

function write(relPath, size, rgba) {
  const file = join(root, relPath);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, encodePng(size, rgba));
  return relPath;
}

const written = [];
for (const name of Object.keys(SYMBOLS)) {
  // 16 px (+@2x) for Windows and macOS menu bars, 32 px (+@2x) for Linux panels.
  written.push(write(`assets/tray/${name}.png`, 16, colourIcon(name, 16)));
  written.push(write(`assets/tray/${name}@2x.png`, 32, colourIcon(name, 32)));
  written.push(write(`assets/tray/${name}-32.png`, 32, colourIcon(name, 32)));
  written.push(write(`assets/tray/${name}-32@2x.png`, 64, colourIcon(name, 64)));
  written.push(write(`assets/tray/${name}Template.png`, 16, templateIcon(name, 16)));
  written.push(write(`assets/tray/${name}Template@2x.png`, 32, templateIcon(name, 32)));
}
written.push(write('assets/icon.png', 256, appIcon(256)));
written.push(write('build/icon.png', 512, appIcon(512)));
for (const size of [16, 32, 48, 64, 128, 256, 512]) {
  written.push(write(`build/icons/${size}x${size}.png`, size, appIcon(size)));
}
console.log(`wrote ${written.length} icons`);
