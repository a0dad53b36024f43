/** YOLO-seg label rows: parse and validate (`cls x1 y1 x2 y2 ...`, coordinates normalised to [0,1]). */

export interface LabelRow {
  cls: number;
  /** Flat normalised [x0, y0, x1, y1, ...]. */
  points: number[];
}

export interface LabelProblem {
  line: number; // 1-based
  message: string;
}

export interface ParsedLabel {
  rows: LabelRow[];
  errors: LabelProblem[];
  warnings: LabelProblem[];
}

/**
 * Parse one label file. Checks what Ultralytics' verify_image_label asserts for segment labels (numbers,
 * coordinates in [0,1], class within names) plus what it would silently mangle (box-only rows, odd
 * coordinate counts, < 3 points). Duplicate rows are a warning (Ultralytics drops them).
 */
export function parseLabelText(text: string, validClass: (c: number) => boolean): ParsedLabel {
  const rows: LabelRow[] = [];
  const errors: LabelProblem[] = [];
  const warnings: LabelProblem[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const parts = line.split(/\s+/);
    const nums = parts.map(Number);
    const bad = parts.findIndex((p, k) => !Number.isFinite(nums[k]));
    if (bad >= 0) {
      errors.push({ line: i + 1, message: `'${parts[bad]}' is not a number` });
      continue;
    }
    const cls = nums[0];
    if (!Number.isInteger(cls) || cls < 0) {
      errors.push({ line: i + 1, message: `class '${parts[0]}' is not a non-negative integer` });
      continue;
    }
    if (!validClass(cls)) {
      errors.push({ line: i + 1, message: `class ${cls} is not in data.yaml names` });
      continue;
    }
    const coords = nums.slice(1);
    if (coords.length === 4) {
      errors.push({ line: i + 1, message: 'box-only row (cls x y w h): a segmentation label needs a polygon of >= 3 points' });
      continue;
    }
    if (coords.length % 2 !== 0) {
      errors.push({ line: i + 1, message: `odd number of coordinates (${coords.length})` });
      continue;
    }
    if (coords.length < 6) {
      errors.push({ line: i + 1, message: `polygon has ${coords.length / 2} points, needs >= 3` });
      continue;
    }
    let outside = -1;
    for (let k = 0; k < coords.length; k++) {
      if (coords[k] < 0 || coords[k] > 1) {
        outside = k;
        break;
      }
    }
    if (outside >= 0) {
      errors.push({ line: i + 1, message: `coordinate ${coords[outside]} outside [0, 1] (coordinates must be normalised)` });
      continue;
    }
    if (seen.has(line)) {
      warnings.push({ line: i + 1, message: 'duplicate row (Ultralytics drops it)' });
      continue;
    }
    seen.add(line);
    rows.push({ cls, points: coords });
  }
  return { rows, errors, warnings };
}

/** One label row as text: class then coordinates with 6 decimals, like Ultralytics' reference label files. */
export function formatLabelRow(cls: number, normalisedPoints: ArrayLike<number>): string {
  let s = String(cls);
  for (let i = 0; i < normalisedPoints.length; i++) s += ' ' + normalisedPoints[i].toFixed(6);
  return s;
}
