#!/usr/bin/python3
"""The PyTorch yardstick for configs/charlm_lstm.yaml: the same character
language model trained with nn.LSTM on the same data, batches and steps.

It rebuilds dlc's data pipeline (src/data/text.c, src/data/plan.c):
  * the corpus's characters; the last 5% is test, the 5% before it dev;
  * the vocabulary from the train part: <pad>, <unk>, then characters seen at
    least min_count times by falling count (ties by code point);
  * sequences of seq_len with next-character targets, the last one padded;
  * stateful batches: the train sequences as `batch` runs side by side, the
    LSTM state carried (detached) from batch to batch; dev the same way;
and the training: embedding 64 -> LSTM 256 -> linear, cross-entropy averaged
over the batch's characters, Adam (lr 2e-3), gradients clipped to norm 5,
10 epochs, the best dev epoch's figures reported (dlc's keep_best).
Initialisation is PyTorch's own.

Run with Debian's python3-torch:
    /usr/bin/python3 scripts/charlm_torch.py [--epochs 10] [--threads 1] [--text data/fortunes.txt]
Prints one JSON line per epoch and a summary line.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def carve(n, dev, test):
    def count(f):
        return 0 if f <= 0 else min(n, max(1, int(math.floor(n * f + 0.5))))
    n_test, n_dev = count(test), count(dev)
    return (0, n - n_test - n_dev), (n - n_test - n_dev, n - n_test), (n - n_test, n)


def build_vocab(train_text, min_count):
    counts = {}
    for ch in train_text:
        counts[ch] = counts.get(ch, 0) + 1
    chars = sorted((c for c, k in counts.items() if k >= min_count), key=lambda c: (-counts[c], c))
    return ["<pad>", "<unk>"] + chars


def sequences(ids, seq_len):
    """(rows, seq_len) inputs and targets of a token range; padding: 0 / -1."""
    m = len(ids) - 1
    rows = (m + seq_len - 1) // seq_len
    x = torch.zeros(rows * seq_len, dtype=torch.long)
    y = torch.full((rows * seq_len,), -1, dtype=torch.long)
    t = torch.tensor(ids, dtype=torch.long)
    x[:m] = t[:-1]
    y[:m] = t[1:]
    return x.view(rows, seq_len), y.view(rows, seq_len)


def stream_batches(n, B):
    """dlc's stateful plan: batch j holds sequence i*S + j of every run i long enough."""
    B = min(B, n)
    S = (n + B - 1) // B
    return [[i * S + j for i in range(B) if i * S + j < n] for j in range(S)]


class CharLSTM(nn.Module):
    def __init__(self, vocab, emb, hidden):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, state):
        h, state = self.lstm(self.emb(x), state)
        return self.out(h), state


def run_streams(model, x, y, B, opt=None, clip=0.0):
    """One pass over a split; returns (summed loss in nats, counted tokens)."""
    total, count, state = 0.0, 0, None
    for rows in stream_batches(x.shape[0], B):
        xb, yb = x[rows], y[rows]
        if state is not None:
            state = tuple(s[:, :len(rows)].detach() for s in state)
        logits, state = model(xb, state)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), yb.reshape(-1),
                               ignore_index=-1, reduction="sum")
        k = int((yb >= 0).sum())
        if opt is not None:
            opt.zero_grad(set_to_none=True)
            (loss / max(k, 1)).backward()
            if clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
        total += float(loss)
        count += k
    return total, count


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--text", default="data/fortunes.txt")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--emb", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--dev", type=float, default=0.05)
    ap.add_argument("--test", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    with open(args.text, encoding="utf-8") as f:
        text = f.read().replace("\r\n", "\n")
    tr, dv, te = carve(len(text), args.dev, args.test)
    vocab = build_vocab(text[tr[0]:tr[1]], args.min_count)
    index = {c: i for i, c in enumerate(vocab)}
    ids = [index.get(c, 1) for c in text]
    xtr, ytr = sequences(ids[tr[0]:tr[1]], args.seq)
    xdv, ydv = sequences(ids[dv[0]:dv[1]], args.seq)
    xte, yte = sequences(ids[te[0]:te[1]], args.seq)

    model = CharLSTM(len(vocab), args.emb, args.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    best = None
    steps = 0
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        s, k = run_streams(model, xtr, ytr, args.batch, opt, args.clip)
        train_s = time.perf_counter() - t0
        steps += len(stream_batches(xtr.shape[0], args.batch))
        model.eval()
        with torch.no_grad():
            ds, dk = run_streams(model, xdv, ydv, args.batch)
            ts, tk = run_streams(model, xte, yte, args.batch)
        row = {"epoch": epoch, "steps": steps, "train_loss": s / k, "dev_loss": ds / dk,
               "dev_bits_per_char": ds / dk / math.log(2), "test_bits_per_char": ts / tk / math.log(2),
               "train_seconds": round(train_s, 1), "tokens_per_s": round(k / train_s, 1)}
        print(json.dumps(row), flush=True)
        if best is None or row["dev_loss"] < best["dev_loss"]:
            best = row
    print(json.dumps({"result": "summary", "vocab": len(vocab), "train_tokens": tr[1] - tr[0] - 1,
                      "dev_tokens": dv[1] - dv[0] - 1, "best_epoch": best["epoch"],
                      "dev_bits_per_char": round(best["dev_bits_per_char"], 4),
                      "test_bits_per_char": round(best["test_bits_per_char"], 4),
                      "threads": args.threads, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
