import { stat } from 'node:fs/promises';

/** Whether anything (file, folder, link target) is at `p`; any stat error counts as no. */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
