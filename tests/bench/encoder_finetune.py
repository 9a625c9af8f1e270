"""Experiment (`python -m tests.bench.encoder_finetune [DATA_DIR]`, meant for a GPU): does fine-tuning MiniLM beat frozen-embedding heads out of distribution?

Trains on permissive data (+ our synthetic sets), evaluates on sets it never saw:
toxic_chat_train (real user prompts, CC-BY-NC, eval only), alpaca (benign), and
leave-one-source-out for a few public sources.  Metric: ROC-AUC and flag rate at
the threshold that flags 4% of in-training benign rows (a fixed, comparable point).
"""
import sys
import time
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from primeguard.guards.data import NONCOMMERCIAL, PERMISSIVE, load_examples
from primeguard.guards.encoder import model_dir

torch.manual_seed(0); np.random.seed(0)
data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
train_all = load_examples(data, PERMISSIVE, seed=0, max_per_source=4000)
ext = [e for e in load_examples(data, NONCOMMERCIAL, synthetic=False, max_per_source=3000)]
tok = AutoTokenizer.from_pretrained(str(model_dir()))
dev = "cuda" if torch.cuda.is_available() else "cpu"

def auc(y, s):
    o = np.argsort(s); r = np.empty(len(s)); r[o] = np.arange(1, len(s)+1)
    p = y.sum(); n = len(y) - p
    return (r[y == 1].sum() - p*(p+1)/2) / (p*n) if p and n else float("nan")

def embed_frozen(model, texts, bs=256):
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), bs):
            b = tok(texts[i:i+bs], padding=True, truncation=True, max_length=128, return_tensors="pt").to(dev)
            h = model(**b).last_hidden_state; m = b["attention_mask"].unsqueeze(-1).float()
            v = (h*m).sum(1)/m.sum(1); out.append(torch.nn.functional.normalize(v, dim=-1).float().cpu())
    return torch.cat(out)

class Clf(torch.nn.Module):
    def __init__(self, finetune):
        super().__init__(); self.enc = AutoModel.from_pretrained(str(model_dir())); self.ft = finetune
        self.head = torch.nn.Sequential(torch.nn.Linear(384, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
    def forward(self, b):
        with torch.set_grad_enabled(self.ft and self.training):
            h = self.enc(**b).last_hidden_state
        m = b["attention_mask"].unsqueeze(-1).float(); v = torch.nn.functional.normalize((h*m).sum(1)/m.sum(1), dim=-1)
        return self.head(v).squeeze(-1)

def train(examples, finetune, epochs=3):
    model = Clf(finetune).to(dev).train()
    texts = [e.text for e in examples]; y = torch.tensor([float(e.unsafe) for e in examples])
    src = np.array([e.source.split("/")[0] + e.source.split("/")[1] if e.source.startswith("primeguard") else e.source for e in examples])
    names, counts = np.unique(src, return_counts=True); size = dict(zip(names, counts))
    w = torch.tensor([1/np.sqrt(size[s]) for s in src], dtype=torch.float32); w = w / w.mean()
    pos = (w*y).sum(); neg = (w*(1-y)).sum()
    params = [{"params": model.head.parameters(), "lr": 3e-3}] + ([{"params": model.enc.parameters(), "lr": 3e-5}] if finetune else [])
    opt = torch.optim.AdamW(params, weight_decay=0.01)
    g = torch.Generator().manual_seed(0)
    for ep in range(epochs if finetune else 15):
        for idx in torch.randperm(len(texts), generator=g).split(64):
            b = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=128, return_tensors="pt").to(dev)
            logit = model(b); yy = y[idx].to(dev); ww = w[idx].to(dev)
            loss = (torch.nn.functional.binary_cross_entropy_with_logits(logit, yy, reduction="none", pos_weight=(neg/pos).to(dev)) * ww).sum() / ww.sum()
            opt.zero_grad(); loss.backward(); opt.step()
    return model.eval()

def score(model, texts, bs=256):
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), bs):
            b = tok(texts[i:i+bs], padding=True, truncation=True, max_length=128, return_tensors="pt").to(dev)
            out.append(torch.sigmoid(model(b)).float().cpu())
    return torch.cat(out).numpy()

def report(tag, model, train_ex, evals):
    benign = [e.text for e in train_ex if not e.unsafe]
    thr = np.quantile(score(model, benign), 0.96)
    parts = []
    for name, ex in evals.items():
        s = score(model, [e.text for e in ex]); y = np.array([e.unsafe for e in ex])
        flag = s >= thr
        if y.all(): parts.append(f"{name}: recall {flag.mean():.3f}")
        elif not y.any(): parts.append(f"{name}: flagged {flag.mean():.3f}")
        else:
            tp = (flag & y).sum(); p = tp/max(flag.sum(),1); r = tp/y.sum()
            parts.append(f"{name}: AUC {auc(y.astype(int), s):.3f} F1 {2*p*r/max(p+r,1e-9):.3f}")
    print(f"{tag:28s} " + " | ".join(parts), flush=True)

ext_sets = {}
for e in ext: ext_sets.setdefault(e.source, []).append(e)
for finetune in (False, True):
    t = time.time(); m = train(train_all, finetune)
    report(("finetuned" if finetune else "frozen") + " all-permissive", m, train_all, ext_sets)
    print("  train s", round(time.time()-t, 1), flush=True)
for held in ("do_not_answer", "jbb_behaviors", "self_instruct_benign", "strongreject", "primeguard/benign-sensitive"):
    tr = [e for e in train_all if not e.source.startswith(held)]; ev = {held: [e for e in train_all if e.source.startswith(held)]}
    for finetune in (False, True):
        report(("finetuned" if finetune else "frozen") + f" w/o {held}", train(tr, finetune), tr, {**ev, **ext_sets})
