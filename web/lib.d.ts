// Types of web/lib.js for the Node tests that import it (the page itself loads the plain .js).
export interface PageInstance {
  classId: number;
  box: readonly number[];
}
export function instanceFileName(stem: string, id: number, suffix?: string): string;
export function carryToggles(prev: readonly PageInstance[] | null, prevEnabled: ReadonlySet<number>, next: readonly PageInstance[], minIoU?: number): Set<number>;
export function placeBadges(boxes: readonly (readonly number[])[], r: number, w: number, h: number, gap?: number): [number, number][];
export function encodeGrayPng(gray: Uint8Array, w: number, h: number): Promise<Uint8Array>;
