/**
 * The recipe's starting weights: a COCO YOLOv8-seg checkpoint turned into a one-class model whose class
 * output starts as COCO's `person` score, so fine-tuning begins from a working character detector rather
 * than a random head. A one-class head's class branch is 64 channels wide where COCO's is 80 (Ultralytics:
 * c3 = max(ch0, min(nc, 100))); per scale we keep the 64 hidden channels with the largest |weight| in the
 * `person` row of the last 1x1 conv (their rows and columns in the branch's two 3x3 convs and BatchNorms)
 * and that row as the class output. Everything else is copied as is. A checkpoint that already has one
 * class (the current default, for a further stage) is re-saved unchanged apart from its names.
 *
 * This needs torch, so it runs as a short Python program through the same Python as Ultralytics.
 */
import { AnimesegError } from '../../errors.js';
import { capture, type UltralyticsCommand } from '../ultralytics.js';

/** argv: SRC.pt OUT.pt NAME. Prints one JSON line with what it did. */
export const PERSON_HEAD_PY = String.raw`
import json, sys, copy, torch
from ultralytics.nn.tasks import SegmentationModel
src, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
ck = torch.load(src, map_location="cpu")
m = (ck.get("ema") or ck["model"]).float()
names = getattr(m, "names", {}) or {}
nc = m.model[-1].nc
if nc == 1:
    new, how = m, "one-class checkpoint kept as is"
else:
    person = [k for k, v in (names.items() if isinstance(names, dict) else enumerate(names)) if v == "person"]
    if not person:
        sys.exit("the checkpoint has %d classes and none is named 'person'" % nc)
    p = int(person[0])
    cfg = copy.deepcopy(m.yaml); cfg["nc"] = 1
    new = SegmentationModel(cfg, nc=1, verbose=False).float()
    sd_old, sd_new = m.state_dict(), new.state_dict()
    head = len(m.model) - 1
    kept = []
    for k, v in sd_new.items():
        if k in sd_old and sd_old[k].shape == v.shape:
            sd_new[k] = sd_old[k].clone()
    for i, branch in enumerate(m.model[-1].cv3):
        w = branch[2].weight.detach()[p, :, 0, 0].abs()
        idx = torch.argsort(w, descending=True)[: new.model[-1].cv3[i][2].weight.shape[1]].sort().values
        kept.append(float(w[idx].sum() / w.sum()))
        pre = "model.%d.cv3.%d." % (head, i)
        for j in (0, 1):
            c = pre + "%d.conv.weight" % j
            wt = sd_old[c][idx]
            if j == 1:
                wt = wt[:, idx]
            sd_new[c] = wt.clone()
            for b in ("weight", "bias", "running_mean", "running_var"):
                sd_new[pre + "%d.bn.%s" % (j, b)] = sd_old[pre + "%d.bn.%s" % (j, b)][idx].clone()
        sd_new[pre + "2.weight"] = sd_old[pre + "2.weight"][p : p + 1][:, idx].clone()
        sd_new[pre + "2.bias"] = sd_old[pre + "2.bias"][p : p + 1].clone()
    new.load_state_dict(sd_new)
    new.stride = m.stride
    how = "class head from COCO class %d 'person' (share of |weight| kept per scale: %s)" % (p, ", ".join("%.3f" % x for x in kept))
new.names = {0: name}
# Ultralytics reads the task from train_args (its default is detect, which would train a box-only loss).
train_args = dict(ck.get("train_args") or {}); train_args["task"] = "segment"
new.args = train_args
torch.save({"model": copy.deepcopy(new).half(), "epoch": -1, "version": ck.get("version"), "train_args": train_args, "date": ck.get("date")}, out)
print(json.dumps({"classes_before": int(nc), "how": how}))
`;

export interface OneClassBase {
  classesBefore: number;
  how: string;
}

/** Write OUT.pt, a one-class start for fine-tuning from SRC.pt (see the module comment). */
export async function makeOneClassBase(u: UltralyticsCommand, src: string, out: string, name: string, env: NodeJS.ProcessEnv): Promise<OneClassBase> {
  if (u.via === 'yolo-on-path') {
    throw new AnimesegError('MISSING_TOOL', 'the recipe needs the Python that runs Ultralytics (for the one-class head), not only the yolo command', {
      hint: 'pass --python /path/to/python (or set ANIMESEG_PYTHON)',
    });
  }
  const r = await capture(u.command, ['-c', PERSON_HEAD_PY, src, out, name], env, 10 * 60_000);
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.code !== 0 || !line.startsWith('{')) {
    throw new AnimesegError('EXTERNAL_FAILED', `could not make the one-class start from ${src}`, {
      file: src,
      hint: `${r.error?.message ?? ''}${r.stderr.trim().split('\n').slice(-6).join('\n  ')}`,
    });
  }
  const j = JSON.parse(line) as { classes_before: number; how: string };
  return { classesBefore: j.classes_before, how: j.how };
}

/** argv: MODEL.onnx KEY VALUE [KEY VALUE ...]: adds (or replaces) metadata_props entries, one load and one
 * save, written atomically by rename. */
export const ONNX_METADATA_PY = String.raw`
import os, sys, onnx
path, pairs = sys.argv[1], sys.argv[2:]
m = onnx.load(path)
for key, value in zip(pairs[0::2], pairs[1::2]):
    for p in list(m.metadata_props):
        if p.key == key:
            m.metadata_props.remove(p)
    e = m.metadata_props.add(); e.key = key; e.value = value
tmp = path + ".animeseg-tmp"
onnx.save(m, tmp)
os.replace(tmp, path)
`;

/** Record settings (e.g. recommended_conf) in the ONNX file's metadata, through python3-onnx. */
export async function setOnnxMetadata(u: UltralyticsCommand, onnx: string, entries: Record<string, string>, env: NodeJS.ProcessEnv): Promise<void> {
  const r = await capture(u.command, ['-c', ONNX_METADATA_PY, onnx, ...Object.entries(entries).flat()], env, 5 * 60_000);
  if (r.code !== 0) {
    throw new AnimesegError('EXTERNAL_FAILED', `could not write ${Object.keys(entries).join(', ')} into the ONNX metadata`, { file: onnx, hint: r.stderr.trim().split('\n').slice(-4).join('\n  ') });
  }
}
