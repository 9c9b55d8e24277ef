#!/usr/bin/python3
"""Reference training runs for tests/cli/e2e.bats: the networks of
tests/data/e2e/{mlp,cnn,tagger}.yaml trained in PyTorch from the same initial
weights on the same data for the same full-batch steps, so a wrong formula
anywhere in dlc's step (layer, loss, optimizer, schedule, L2, clipping,
normalization, padding) shows as a different loss.

Writes into tests/data/e2e/:
  mlp_train.csv, mlp_dev.csv        4 Gaussian classes in 6-D (the MLP's data)
  tagger_train.txt, tagger_dev.txt  a synthetic corpus whose ambiguous words
                                    need their context to be tagged (tagger and
                                    tagger_sum, which sums the loss over steps)
  NAME_init.safetensors             the initial weights, under dlc's names (the
                                    configs start from them with init_from)
  NAME.expected                     per-epoch train loss (training mode, before
                                    the epoch's step), then train and dev loss
                                    and accuracy in evaluation mode after training

The CNN reads Fashion-MNIST from /usr/share/datasets/fashion-mnist (Debian's
dataset-fashion-mnist).  Run once with Debian's python3-torch (1.13) and
python3-yaml:  /usr/bin/python3 tests/data/make_e2e_reference.py
Hyperparameters come from the YAML files; the script refuses a config whose
layers or keys it does not reproduce.  dlc keeps one bias per LSTM gate, so
PyTorch's bias_hh stays zero and frozen.
"""
import fnmatch
import gzip
import json
import os
import random
import struct

import numpy as np
import torch
import torch.nn.functional as F
import yaml
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(HERE, "e2e")
FMNIST = "/usr/share/datasets/fashion-mnist"
torch.set_num_threads(1)


def write_safetensors(path, tensors):
    """F32 tensors in the given order (dict), as src/io/safetensors.c reads them."""
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        a = t.detach().to(torch.float32).contiguous().numpy()
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    # init_from reads tensors by name from a file whose format says dlc-model;
    # these hold the tensors only (no config, classes or normalization)
    header["__metadata__"] = {"format": "dlc-model-1", "written_by": "tests/data/make_e2e_reference.py",
                              "contents": "initial weights only"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load_config(name):
    with open(os.path.join(E2E, name + ".yaml")) as f:
        return yaml.safe_load(f)


def expect_layers(cfg, want):
    got = [(l["name"], l["type"]) for l in cfg["model"]["layers"]]
    assert got == want, "%s: layers %s, the script reproduces %s" % (cfg["name"], got, want)


def train_keys(cfg, allowed):
    extra = set(cfg["train"]) - set(allowed)
    assert not extra, "%s: train keys %s are not reproduced here" % (cfg["name"], sorted(extra))
    return cfg["train"]


def schedule_lr(tc, epoch):
    """dlc's learning rate of a (1-based) epoch."""
    lr0, s = tc["optimizer"]["lr"], tc.get("schedule", {"type": "constant"})
    if s["type"] == "constant":
        return lr0
    if s["type"] == "exponential":
        return s["base"] ** epoch * lr0
    if s["type"] == "inverse_time":
        return lr0 / (1.0 + s["decay_rate"] * epoch)
    raise ValueError("schedule " + s["type"])


def decayed(cfg, named, role):
    """The parameters dlc's train.no_decay leaves to decay (its default
    [biases, norms]): the first of PyTorch's two parameter groups.  named:
    dlc's name -> parameter; role(name): "biases", "norms" or None."""
    spare = cfg["train"].get("no_decay", ["biases", "norms"])
    spare = [spare] if isinstance(spare, str) else spare
    return {p for name, p in named.items()
            if not any(e == role(name) or (e not in ("biases", "norms") and fnmatch.fnmatchcase(name, e))
                       for e in spare)}


def fit(cfg, params_all, decay, loss_fn, eval_fn):
    """Full-batch training as dlc does it: per epoch, the learning rate of
    the schedule, the loss in training mode, the gradient (+ l2/m W for
    weights), clipping by the global norm, one optimizer step.  Returns the
    per-epoch losses."""
    tc = cfg["train"]
    o = tc["optimizer"]
    m = loss_fn.batch
    wd = tc.get("l2", 0.0) / m
    trainable = [p for p in params_all if p.requires_grad]
    groups = [{"params": [p for p in trainable if p in decay], "weight_decay": wd},
              {"params": [p for p in trainable if p not in decay], "weight_decay": 0.0}]
    if o["type"] == "adam":
        opt = torch.optim.Adam(groups, lr=o["lr"], betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)),
                               eps=o.get("eps", 1e-8))
    elif o["type"] == "adamw":
        # decoupled decay on the weights L2 would apply to; dlc's train.l2
        # beside it is an L2 term, which AdamW has none of
        assert wd == 0, "adamw with train.l2 is not reproduced here"
        groups[0]["weight_decay"] = o.get("weight_decay", 0.01)
        opt = torch.optim.AdamW(groups, lr=o["lr"], betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)),
                                eps=o.get("eps", 1e-8))
    elif o["type"] == "sgd" and o.get("momentum", 0) > 0:
        opt = torch.optim.SGD(groups, lr=o["lr"], momentum=o["momentum"],
                              dampening=o.get("dampening", 0), nesterov=o.get("nesterov", False))
    elif o["type"] == "rmsprop":
        opt = torch.optim.RMSprop(groups, lr=o["lr"], alpha=o.get("rho", 0.9), eps=o.get("eps", 1e-8))
    elif o["type"] == "sgd":
        opt = torch.optim.SGD(groups, lr=o["lr"])
    else:
        raise ValueError("optimizer " + o["type"])
    losses = []
    for epoch in range(1, tc["epochs"] + 1):
        for g in opt.param_groups:
            g["lr"] = schedule_lr(tc, epoch)
        opt.zero_grad()
        loss = loss_fn()
        loss, shown = loss if isinstance(loss, tuple) else (loss, loss)
        losses.append(shown.item())
        loss.backward()
        if tc.get("clip_norm", 0) > 0:
            norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in trainable)).item()
            if norm > tc["clip_norm"]:
                for p in trainable:
                    p.grad.mul_(tc["clip_norm"] / norm)
        opt.step()
    return losses, eval_fn()


def write_expected(name, losses, figures):
    with open(os.path.join(E2E, name + ".expected"), "w") as f:
        f.write("# %s: PyTorch %s, tests/data/make_e2e_reference.py\n" % (name, torch.__version__))
        f.write("# epoch N: train loss of epoch N (training mode, full batch)\n")
        for e, v in enumerate(losses, 1):
            f.write("epoch %d %.7g\n" % (e, v))
        for k in ("train_loss", "train_accuracy", "dev_loss", "dev_accuracy"):
            f.write("%s %.7g\n" % (k, figures[k]))


def split_figures(forward, splits):
    """Mean cross-entropy and accuracy per (name, x, y) split."""
    r = {}
    with torch.no_grad():
        for name, x, y in splits:
            z = forward(x)
            r[name + "_loss"] = F.cross_entropy(z, y).item()
            r[name + "_accuracy"] = (z.argmax(1) == y).double().mean().item()
    return r


def standardize(train, *others):
    """dlc's `normalize: standard`: population statistics of train, shift and
    scale stored as float32, x' = (x - shift) * scale in float32."""
    mean = train.double().mean(0)
    std = ((train.double() - mean) ** 2).mean(0).sqrt()
    shift, scale = mean.float(), (1.0 / std).float()
    return [((t.float() - shift) * scale) for t in (train,) + others]


# ---- MLP ----

def mlp(name="mlp"):
    """The MLP of NAME.yaml (mlp, or mlp_nesterov, mlp_adamw and their parameter-group variants: the same
    data and initial weights, other optimizers)."""
    cfg = load_config(name)
    expect_layers(cfg, [("h1", "dense"), ("h2", "dense"), ("out", "dense")])
    train_keys(cfg, ["epochs", "batch_size", "optimizer", "schedule", "l2", "no_decay", "keep_best"])
    g = torch.Generator().manual_seed(11)
    centres = torch.randn(4, 6, generator=g) * 1.2

    def sample(n):
        y = torch.randint(0, 4, (n,), generator=g)
        x = centres[y] + torch.randn(n, 6, generator=g)
        return (x * 1000).round() / 1000, y  # three decimals, as written

    data = {}
    for split, n in (("train", 240), ("dev", 80)):
        x, y = sample(n)
        with open(os.path.join(E2E, "mlp_%s.csv" % split), "w") as f:
            f.write("x0,x1,x2,x3,x4,x5,label\n")
            for row, lab in zip(x.tolist(), y.tolist()):
                f.write(",".join("%.3f" % v for v in row) + ",c%d\n" % lab)
        data[split] = (torch.tensor(np.loadtxt(os.path.join(E2E, "mlp_%s.csv" % split), delimiter=",",
                                               skiprows=1, usecols=range(6)), dtype=torch.float32), y)
    xtr, xdev = standardize(data["train"][0], data["dev"][0])
    ytr, ydev = data["train"][1], data["dev"][1]

    torch.manual_seed(5)
    h1, h2, out = torch.nn.Linear(6, 16), torch.nn.Linear(16, 16), torch.nn.Linear(16, 4)
    init = {"h1.weight": h1.weight, "h1.bias": h1.bias, "h2.weight": h2.weight, "h2.bias": h2.bias,
            "out.weight": out.weight, "out.bias": out.bias}
    write_safetensors(os.path.join(E2E, "mlp_init.safetensors"), init)

    def forward(x):
        return out(torch.relu(h2(torch.tanh(h1(x)))))

    def loss_fn():
        return F.cross_entropy(forward(xtr), ytr)
    loss_fn.batch = len(ytr)

    def evaluate():
        return split_figures(forward, (("train", xtr, ytr), ("dev", xdev, ydev)))

    decay = decayed(cfg, init, lambda name: "biases" if name.endswith(".bias") else None)
    losses, figs = fit(cfg, list(init.values()), decay, loss_fn, evaluate)
    write_expected(name, losses, figs)


# ---- CNN ----

def idx(path, n, header):
    with gzip.open(path) as f:
        raw = f.read()
    return np.frombuffer(raw, dtype=np.uint8, offset=header)


def cnn():
    cfg = load_config("cnn")
    expect_layers(cfg, [("conv", "conv2d"), ("bn", "batchnorm"), ("relu", "activation"),
                        ("pool", "maxpool"), ("flat", "flatten"), ("out", "dense")])
    train_keys(cfg, ["epochs", "batch_size", "optimizer", "keep_best"])
    ntr, ndev = cfg["data"]["train"]["limit"], cfg["data"]["dev"]["limit"]
    xtr = torch.tensor(idx(FMNIST + "/train-images-idx3-ubyte.gz", ntr, 16)[:ntr * 784].reshape(ntr, 784).copy())
    ytr = torch.tensor(idx(FMNIST + "/train-labels-idx1-ubyte.gz", ntr, 8)[:ntr].astype(np.int64))
    xdev = torch.tensor(idx(FMNIST + "/t10k-images-idx3-ubyte.gz", ndev, 16)[:ndev * 784].reshape(ndev, 784).copy())
    ydev = torch.tensor(idx(FMNIST + "/t10k-labels-idx1-ubyte.gz", ndev, 8)[:ndev].astype(np.int64))
    # one channel: one mean and std over every pixel of the train images
    mean = xtr.double().mean()
    std = ((xtr.double() - mean) ** 2).mean().sqrt()
    shift, scale = mean.float(), (1.0 / std).float()
    xtr = ((xtr.float() - shift) * scale).reshape(ntr, 1, 28, 28)
    xdev = ((xdev.float() - shift) * scale).reshape(ndev, 1, 28, 28)

    torch.manual_seed(6)
    # no bias before batchnorm: its gradient is rounding noise, which RMSprop
    # would turn into steps of full size in both programs, differently
    conv = torch.nn.Conv2d(1, 6, 3, bias=False)
    bn = torch.nn.BatchNorm2d(6, eps=1e-5, momentum=0.1)  # dlc's momentum 0.9
    with torch.no_grad():
        bn.weight.copy_(1.0 + 0.1 * torch.randn(6))
        bn.bias.copy_(0.1 * torch.randn(6))
    out = torch.nn.Linear(6 * 13 * 13, 10)
    init = {"conv.weight": conv.weight, "bn.gamma": bn.weight, "bn.beta": bn.bias,
            "bn.running_mean": bn.running_mean, "bn.running_var": bn.running_var,
            "out.weight": out.weight, "out.bias": out.bias}
    write_safetensors(os.path.join(E2E, "cnn_init.safetensors"), init)

    def forward(x):
        return out(F.max_pool2d(torch.relu(bn(conv(x))), 2).flatten(1))

    def loss_fn():
        bn.train()
        return F.cross_entropy(forward(xtr), ytr)
    loss_fn.batch = ntr

    def evaluate():
        bn.eval()
        return split_figures(forward, (("train", xtr, ytr), ("dev", xdev, ydev)))

    params = [conv.weight, bn.weight, bn.bias, out.weight, out.bias]
    losses, figs = fit(cfg, params, {conv.weight, out.weight}, loss_fn, evaluate)
    write_expected("cnn", losses, figs)


# ---- LSTM tagger ----

LEXICON = {
    "DET": ["the", "a", "every", "this"],
    "ADJ": ["old", "quick", "green", "quiet"],
    "NOUN": ["dog", "river", "teacher", "garden", "song"],
    "VERB": ["sees", "likes", "finds", "hears"],
    "ADV": ["slowly", "today", "again"],
    "PRON": ["she", "they", "we"],
    # ambiguous: a noun after a determiner or adjective, a verb after a subject
    "AMBIG": ["watch", "fly", "play", "light"],
}


def sentence(rng):
    words = []

    def noun_phrase():
        words.append((rng.choice(LEXICON["DET"]), "DET"))
        for _ in range(rng.choice([0, 0, 1])):
            words.append((rng.choice(LEXICON["ADJ"]), "ADJ"))
        if rng.random() < 0.4:
            words.append((rng.choice(LEXICON["AMBIG"]), "NOUN"))
        else:
            words.append((rng.choice(LEXICON["NOUN"]), "NOUN"))

    if rng.random() < 0.3:
        words.append((rng.choice(LEXICON["PRON"]), "PRON"))
    else:
        noun_phrase()
    if rng.random() < 0.4:
        words.append((rng.choice(LEXICON["AMBIG"]), "VERB"))
    else:
        words.append((rng.choice(LEXICON["VERB"]), "VERB"))
    if rng.random() < 0.7:
        noun_phrase()
    if rng.random() < 0.3:
        words.append((rng.choice(LEXICON["ADV"]), "ADV"))
    return words


def tagger(name):
    """tagger: the mean over tokens; tagger_sum: sequence_loss sum (the
    notes' L = sum_t L_t per sentence, averaged over sentences; metrics still
    show the per-token mean).  Both from tagger_init.safetensors."""
    cfg = load_config(name)
    expect_layers(cfg, [("emb", "embedding"), ("lstm", "lstm"), ("out", "dense")])
    tc = train_keys(cfg, ["epochs", "batch_size", "optimizer", "schedule", "clip_norm", "keep_best",
                          "sequence_loss"])
    summed = tc.get("sequence_loss", "mean") == "sum"
    classes = cfg["data"]["classes"]
    T = cfg["data"]["text"]["seq_len"]
    E, H = cfg["model"]["layers"][0]["units"], cfg["model"]["layers"][1]["units"]
    rng = random.Random(17)
    corpora = {"train": [sentence(rng) for _ in range(120)], "dev": [sentence(rng) for _ in range(40)]}
    for split, sents in corpora.items():
        assert max(len(s) for s in sents) <= T
        if name != "tagger":
            continue  # the data and initial weights are tagger's
        with open(os.path.join(E2E, "tagger_%s.txt" % split), "w") as f:
            f.write("\n\n".join("\n".join("%s %s" % wt for wt in s) for s in sents) + "\n")
    # dlc's vocabulary: <pad> 0, <unk> 1, then train tokens by falling count, ties by bytes
    counts = {}
    for s in corpora["train"]:
        for w, _ in s:
            counts[w] = counts.get(w, 0) + 1
    vocab = ["<pad>", "<unk>"] + sorted(counts, key=lambda w: (-counts[w], w.encode()))
    wid = {w: i for i, w in enumerate(vocab)}

    def tensors(sents):
        ids = torch.zeros(len(sents), T, dtype=torch.long)
        tags = torch.full((len(sents), T), -1, dtype=torch.long)
        for i, s in enumerate(sents):
            for t, (w, tag) in enumerate(s):
                ids[i, t] = wid.get(w, 1)
                tags[i, t] = classes.index(tag)
        return ids, tags, torch.tensor([len(s) for s in sents])

    tr, dev = tensors(corpora["train"]), tensors(corpora["dev"])
    torch.manual_seed(8)
    emb = torch.nn.Embedding(len(vocab), E, padding_idx=0)
    lstm = torch.nn.LSTM(E, H, batch_first=True, bidirectional=True)
    with torch.no_grad():
        for sfx in ("", "_reverse"):
            getattr(lstm, "bias_ih_l0" + sfx).add_(getattr(lstm, "bias_hh_l0" + sfx))
            getattr(lstm, "bias_hh_l0" + sfx).zero_()
            getattr(lstm, "bias_hh_l0" + sfx).requires_grad_(False)
    out = torch.nn.Linear(2 * H, len(classes))
    init = {"emb.weight": emb.weight}
    for sfx in ("", "_reverse"):
        init["lstm.weight_ih" + sfx] = getattr(lstm, "weight_ih_l0" + sfx)
        init["lstm.weight_hh" + sfx] = getattr(lstm, "weight_hh_l0" + sfx)
        init["lstm.bias" + sfx] = getattr(lstm, "bias_ih_l0" + sfx)
    init.update({"out.weight": out.weight, "out.bias": out.bias})
    if name == "tagger":
        write_safetensors(os.path.join(E2E, "tagger_init.safetensors"), init)

    def forward(ids, lengths):
        packed = pack_padded_sequence(emb(ids), lengths, batch_first=True, enforce_sorted=False)
        y, _ = pad_packed_sequence(lstm(packed)[0], batch_first=True, total_length=T)
        return out(y)

    def loss_of(split):
        ids, tags, lengths = split
        z = forward(ids, lengths)
        return z, F.cross_entropy(z.reshape(-1, len(classes)), tags.reshape(-1), ignore_index=-1)

    def loss_fn():
        z, mean = loss_of(tr)
        if not summed:
            return mean
        total = F.cross_entropy(z.reshape(-1, len(classes)), tr[1].reshape(-1), ignore_index=-1,
                                reduction="sum")
        return total / len(corpora["train"]), mean
    loss_fn.batch = len(corpora["train"])

    def evaluate():
        with torch.no_grad():
            r = {}
            for s, split in (("train", tr), ("dev", dev)):
                z, loss = loss_of(split)
                tags = split[1]
                valid = tags >= 0
                r[s + "_loss"] = loss.item()
                r[s + "_accuracy"] = (z.argmax(2)[valid] == tags[valid]).double().mean().item()
            return r

    params = list(init.values())
    losses, figs = fit(cfg, params, {p for k, p in init.items() if "bias" not in k}, loss_fn, evaluate)
    write_expected(name, losses, figs)


if __name__ == "__main__":
    import sys
    os.makedirs(E2E, exist_ok=True)
    # NAME...: those runs alone (default: every one)
    runs = dict(mlp=mlp, mlp_nesterov=lambda: mlp("mlp_nesterov"), mlp_adamw=lambda: mlp("mlp_adamw"),
                mlp_adamw_all=lambda: mlp("mlp_adamw_all"), mlp_nesterov_groups=lambda: mlp("mlp_nesterov_groups"),
                cnn=cnn, tagger=lambda: tagger("tagger"), tagger_sum=lambda: tagger("tagger_sum"))
    for name in sys.argv[1:] or list(runs):
        runs[name]()
    print("wrote", sorted(os.listdir(E2E)))
