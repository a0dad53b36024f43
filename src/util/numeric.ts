/**
 * numpy.linspace(start, stop, num) with endpoint=True: start + i*step, the last value forced to stop.
 * Shared by the SAM point grids and the Ultralytics metric port, which both need numpy's exact values.
 */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/**
 * Round half to even: Python's round() (Ultralytics' letterbox and metrics) and OpenCV's cvRound on the
 * fixed-point resize weights. One implementation for all of them.
 */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
