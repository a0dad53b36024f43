/**
 * WiSE-FT weight interpolation (Wortsman et al., "Robust fine-tuning of zero-shot models", CVPR 2022): the
 * weights  alpha * fine-tuned + (1 - alpha) * pretrained  of two checkpoints of one network. Fine-tuning
 * on composites moves a model away from real illustrations; stepping part of the way back toward its start
 * recovers real-art recall. Issue 20 measured it on the default model: version 2 (epoch 3 of the recipe run)
 * with the recipe's COCO `person` start at alpha 0.8, 0.85 and 0.9 counted found minus extra 44, 45 and 45
 * on the 40 illustrations at its best threshold, against 42 for version 2 itself (docs/TRAINING.md).
 *
 * Every floating-point tensor is interpolated (BatchNorm running statistics too, as in model soups); integer
 * ones (BatchNorm's batch counters) come from the fine-tuned checkpoint. Needs torch: a short Python program
 * through the same Python as Ultralytics, like the recipe's one-class start (person-head.ts).
 */
import { AnimesegError, invalidParameterError } from '../errors.js';
import { capture, type UltralyticsCommand } from './ultralytics.js';

/** argv: FINETUNED.pt PRETRAINED.pt ALPHA OUT.pt. Prints one JSON line; OUT written by temp + rename. */
export const WISE_FT_PY = String.raw`
import json, os, sys, torch
ft_path, pre_path, alpha, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
def net(path):
    ck = torch.load(path, map_location="cpu")
    return ck, (ck.get("ema") or ck["model"]).float()
ck, ft = net(ft_path)
_, pre = net(pre_path)
a, b = ft.state_dict(), pre.state_dict()
for k in a:
    if k not in b:
        sys.exit("the pretrained checkpoint has no layer %s: interpolate two checkpoints of the same network (a one-class model with a one-class start, e.g. the recipe's base.pt)" % k)
    if a[k].shape != b[k].shape:
        sys.exit("layer %s is %s in the fine-tuned checkpoint and %s in the pretrained one: interpolate two checkpoints of the same network (a one-class model with a one-class start, e.g. the recipe's base.pt)" % (k, tuple(a[k].shape), tuple(b[k].shape)))
if len(b) != len(a):
    sys.exit("the pretrained checkpoint has %d layers the fine-tuned one lacks: interpolate two checkpoints of the same network" % (len(b) - len(a)))
mixed = {k: (alpha * v + (1 - alpha) * b[k].float()).to(v.dtype) if v.is_floating_point() else v for k, v in a.items()}
ft.load_state_dict(mixed)
train_args = dict(ck.get("train_args") or {})
tmp = out + ".animeseg-tmp"
torch.save({"model": ft.half(), "epoch": -1, "version": ck.get("version"), "train_args": train_args, "date": ck.get("date")}, tmp)
os.replace(tmp, out)
print(json.dumps({"tensors": sum(1 for v in a.values() if v.is_floating_point())}))
`;

export interface WiseFtOptions {
  finetuned: string;
  pretrained: string;
  /** Weight of the fine-tuned checkpoint, in (0, 1]. */
  alpha: number;
  out: string;
  env?: NodeJS.ProcessEnv;
}

export function checkWiseAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha <= 1)) throw invalidParameterError('--wise-ft', "the fine-tuned weights' share, in (0, 1]", alpha);
}

/** Write OUT.pt = alpha * finetuned + (1 - alpha) * pretrained (see the module comment). */
export async function interpolateCheckpoints(u: UltralyticsCommand, o: WiseFtOptions): Promise<{ tensors: number }> {
  checkWiseAlpha(o.alpha);
  if (u.via === 'yolo-on-path') {
    throw new AnimesegError('MISSING_TOOL', '--wise-ft needs the Python that runs Ultralytics (to read the weights), not only the yolo command', {
      hint: 'pass --python /path/to/python (or set ANIMESEG_PYTHON)',
    });
  }
  const r = await capture(u.command, ['-c', WISE_FT_PY, o.finetuned, o.pretrained, String(o.alpha), o.out], o.env ?? process.env, 10 * 60_000);
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.code !== 0 || !line.startsWith('{')) {
    const why = r.stderr.trim().split('\n').at(-1) ?? r.error?.message ?? `exit ${r.code}`;
    throw new AnimesegError('EXTERNAL_FAILED', `could not interpolate the weights: ${why}`, { file: o.finetuned, hint: `--wise-from ${o.pretrained}` });
  }
  return JSON.parse(line) as { tensors: number };
}
