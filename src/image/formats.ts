/**
 * The image file extensions the project reads, in one place. `segment` takes anything we decode (sharp,
 * plus our own BMP reader); dataset tools take what Ultralytics also loads, since a training set must be
 * readable by the trainer too.
 */
import { extname } from 'node:path';

/** Extensions we decode (sharp; MPO is read as its first JPEG frame; BMP by src/image/bmp.ts). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.avif', '.gif', '.tif', '.tiff', '.bmp', '.mpo'];

/** Ultralytics' IMG_FORMATS (ultralytics/data/utils.py), with the leading dot. */
const ULTRALYTICS_IMG_FORMATS = new Set(['.bmp', '.dng', '.jpeg', '.jpg', '.mpo', '.png', '.tif', '.tiff', '.webp', '.pfm', '.heic']);

/** Extensions a training/evaluation dataset may use: decodable by us and loadable by Ultralytics. */
export const DATASET_IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(IMAGE_EXTENSIONS.filter((e) => ULTRALYTICS_IMG_FORMATS.has(e)));

export const isImagePath = (p: string): boolean => IMAGE_EXTENSIONS.includes(extname(p).toLowerCase());
export const isDatasetImagePath = (p: string): boolean => DATASET_IMAGE_EXTENSIONS.has(extname(p).toLowerCase());
