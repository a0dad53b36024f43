/** Masks written out as text grids in tests: one string per row, '1'/'#' = set, '0'/'.' = clear. */
import type { Mask } from '../../../src/mask/types.js';

export function grid(rows: string[]): Mask {
  const cells = rows.map((r) => r.replace(/\s+/g, ''));
  const width = cells[0].length;
  const height = cells.length;
  const data = new Uint8Array(width * height);
  cells.forEach((r, y) => {
    if (r.length !== width) throw new Error(`grid row ${y} has ${r.length} cells, expected ${width}`);
    for (let x = 0; x < width; x++) data[y * width + x] = r[x] === '1' || r[x] === '#' ? 1 : 0;
  });
  return { data, width, height };
}

/** Rectangle mask: rows y0..y1, cols x0..x1 inclusive. */
export function rect(width: number, height: number, x0: number, y0: number, x1: number, y1: number): Mask {
  const data = new Uint8Array(width * height);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) data[y * width + x] = 1;
  return { data, width, height };
}

export function show(m: Mask): string[] {
  const rows: string[] = [];
  for (let y = 0; y < m.height; y++) rows.push(Array.from(m.data.subarray(y * m.width, (y + 1) * m.width)).join(' '));
  return rows;
}
