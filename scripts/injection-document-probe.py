#!/usr/bin/env python3
"""A never-trained document probe for the injection model's recipe (dev only).

`testdata/injection/team-augment-r8.jsonl` (round 8's team-written mails and error reports, clean
and with planted instructions) is outside the default training set. Its 64 near-duplicate families
are split in two by hash; the recipe is trained (the trainer's default run, into a scratch
directory) with one half added to the training set and scored on the other half, both ways: how
many clean documents of families it never saw the model alone flags at its own calibrated cut,
and how many sit within one logit of it. Round 8: the grouped dev estimate said a model change
left documents flat (4.2 -> 4.0 of 61) while test's went 7 -> 11 of 71; this probe showed the
change running hotter on unseen documents (flagged 7 -> 10, within one logit 17 -> 28 of 256).

    python3 scripts/injection-document-probe.py [--trainer PATH]

`--trainer` scores another checkout's recipe (its `scripts/train-injection-model.py`; the data
files are this checkout's). About a minute per recipe on a 2-core machine."""

import argparse
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROBE = os.path.join(ROOT, "testdata/injection/team-augment-r8.jsonl")
BASE_AUGMENT = [os.path.join(ROOT, "testdata/injection/benign-augment.jsonl"),
                os.path.join(ROOT, "testdata/injection/team-augment.jsonl")]


def load_module(path):
    spec = importlib.util.spec_from_file_location("trainer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def constants(weights_rs):
    text = open(weights_rs, encoding="utf-8").read()

    def get(name):
        m = re.search(rf"pub const {name}: f32 = ([-0-9.e]+);", text)
        if not m:
            sys.exit(f"{weights_rs}: no {name}")
        return float(m.group(1))

    return get("SCALE"), get("BIAS"), get("OFFSET")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trainer", default=os.path.join(HERE, "train-injection-model.py"))
    args = ap.parse_args()
    # This checkout's venv, whichever recipe is scored.
    load_module(os.path.join(HERE, "train-injection-model.py")).ensure_deps(__file__)
    import numpy as np

    t = load_module(args.trainer)

    rows = [json.loads(line) for line in open(PROBE, encoding="utf-8") if line.strip()]
    fams = t.families([r["text"] for r in rows])
    side = [int(hashlib.sha256(f"r8:{f}".encode()).hexdigest()[:8], 16) % 2 for f in fams]
    totals = [0, 0, 0, 0, 0]  # clean, clean flagged, clean within one logit, planted, planted flagged
    with tempfile.TemporaryDirectory() as tmp:
        for held in (0, 1):
            train_half = os.path.join(tmp, f"half{1 - held}.jsonl")
            with open(train_half, "w", encoding="utf-8") as f:
                for r, s in zip(rows, side):
                    if s != held:
                        f.write(json.dumps(r, ensure_ascii=False) + "\n")
            out = os.path.join(tmp, f"model{held}")
            cmd = [sys.executable, args.trainer, "--augment", *BASE_AUGMENT, train_half, "--out", out, "--probe"]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            q = np.frombuffer(open(os.path.join(out, "weights.bin"), "rb").read(), dtype=np.int8).astype(float)
            scale, bias, offset = constants(os.path.join(out, "weights.rs"))
            part = [r for r, s in zip(rows, side) if s == held]
            z = [t.score_doc((q, scale, bias), t.windows(r["text"])) - offset for r in part]
            clean = [x for x, r in zip(z, part) if r["label"] == "benign"]
            planted = [x for x, r in zip(z, part) if r["label"] == "attack"]
            counts = [len(clean), sum(x >= 0 for x in clean), sum(x >= -1 for x in clean),
                      len(planted), sum(x >= 0 for x in planted)]
            totals = [a + b for a, b in zip(totals, counts)]
            print(f"half {held} held out: clean flagged {counts[1]} of {counts[0]} ({counts[2]} within one logit), "
                  f"planted flagged {counts[4]} of {counts[3]}", flush=True)
    print(f"both halves: clean flagged {totals[1]} of {totals[0]} ({totals[2]} within one logit), "
          f"planted flagged {totals[4]} of {totals[3]}  [{os.path.relpath(args.trainer, ROOT)}]")


if __name__ == "__main__":
    main()
