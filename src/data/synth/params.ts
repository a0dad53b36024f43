/** Every knob of a synthesis run. Plain data: it travels to the workers and into synth.json. */
export type SynthMode = 'simple' | 'enhanced';

export interface SynthParams {
  mode: SynthMode;
  seed: number;
  /** enhanced: 1..maxForegrounds characters per image. */
  maxForegrounds: number;
  /** enhanced: probability of cropping a foreground, and the kept fraction per side. */
  cropProb: number;
  cropKeep: [number, number];
  /** enhanced: scale factor range, relative to the scale at which the foreground just fits the canvas. */
  scale: [number, number];
  /** enhanced: rotation drawn from [-rotate, rotate] degrees. */
  rotate: number;
  flipProb: number;
  /** enhanced: PIL-style colour (saturation), brightness, contrast and sharpness factor range. */
  jitter: [number, number];
  /** enhanced: Gaussian noise sigma drawn from [0, noise] (8-bit units). */
  noise: number;
  /** Extras (SkyTNT-style), both modes: probability of a grayscale image. */
  grayscaleProb: number;
  /** Extras: probability of down- then up-sampling (blur), and the down factor range. */
  resampleProb: number;
  resampleRange: [number, number];
  /** enhanced: probability that a character after the first is placed next to an earlier one, overlapping
   * it (pairs that touch or hug, a weak spot on real illustrations), and the centre offset range as a
   * fraction of the earlier character's pasted width. */
  overlapProb: number;
  overlapOffset: [number, number];
  /** enhanced: probability that a character is a close-up (its top part, bust or face, kept and scaled up),
   * the kept height fraction range, and the scale factor range (on the fit-to-image size of the crop). */
  closeupProb: number;
  closeupKeep: [number, number];
  closeupScale: [number, number];
  /** Extras: probability of a line-art/sketch image (dark edges on white, from the composite's gradients). */
  lineartProb: number;
  /** Extras: probability of speech bubbles over the image (1-3 white balloons with text-like strokes that
   * hide whatever is under them, characters included). */
  bubbleProb: number;
  /** Extras: probability of a light/colour cast (per-channel gain and offset over the whole image), and
   * its strength (gains drawn from [1 - s, 1 + s], offsets from [-64 s, 64 s]). */
  castProb: number;
  castStrength: number;
  /** enhanced: probability that a character takes on its scene's colour (its mean colour moved toward the
   * mean of the background under it by a fraction drawn from harmonizeStrength), as a drawn character is lit
   * by its scene while a pasted cut-out keeps its own light. */
  harmonizeProb: number;
  harmonizeStrength: [number, number];
  /** Output JPEG quality range (inclusive); 'png' writes lossless PNG instead. */
  format: 'jpg' | 'png';
  jpegQuality: [number, number];
  /** An instance with fewer visible pixels gets no label row. */
  minVisiblePixels: number;
  /** Visible parts (and holes) smaller than this are not traced. */
  minPartPixels: number;
  /** Polygon simplification tolerance (px), cv2.approxPolyDP semantics. */
  epsilon: number;
}

export const DEFAULT_PARAMS: SynthParams = {
  mode: 'enhanced',
  seed: 0,
  maxForegrounds: 8,
  cropProb: 0.1,
  cropKeep: [0.5, 1],
  scale: [0.5, 1.5],
  rotate: 30,
  flipProb: 0.5,
  jitter: [0.5, 1.5],
  noise: 32,
  grayscaleProb: 0,
  resampleProb: 0,
  resampleRange: [0.5, 0.9],
  overlapProb: 0,
  overlapOffset: [0.25, 0.6],
  closeupProb: 0,
  closeupKeep: [0.25, 0.6],
  closeupScale: [1.3, 2.2],
  lineartProb: 0,
  bubbleProb: 0,
  castProb: 0,
  castStrength: 0.25,
  harmonizeProb: 0,
  harmonizeStrength: [0.15, 0.45],
  format: 'jpg',
  jpegQuality: [95, 95],
  minVisiblePixels: 64,
  minPartPixels: 16,
  epsilon: 0.75,
};
