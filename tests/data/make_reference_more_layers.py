#!/usr/bin/python3
"""Writes PyTorch reference values for the layers make_reference.py and
make_seq_reference.py leave out (tests/data/ref/*.ref, same file format):

  gru_simplified  dlc's simplified GRU (update gate only) as nn.GRU with the
                  reset gate held open (r = 1) and z = 1 - u
  gru_full        dlc's full GRU, the notes' form c~ = tanh(W x + U (r * h) + b),
                  by autograd; the script checks the formula against nn.GRU
                  where the forms agree (U diagonal: U (r * h) = r * (U h))
  gru_reset_after nn.GRU itself (the reset gate after the product, its own
                  b_hn), bidirectional, as dlc's gru variant reset_after
  rnn_tanh        nn.RNN, bidirectional
  rnn_relu        nn.RNN(nonlinearity="relu")
  embedding_pad   nn.Embedding with padding_idx 0, repeated ids
  concat          torch.cat along a channel axis and along the last axis
  global_avgpool  mean over H and W
  time_pool       mean and max over the valid steps of padded sequences
  dropout         the values F.dropout gives a tensor of ones, per rate
  batchnorm_small BatchNorm2d on inputs with variance ~1e-6 (eps = 1e-5
                  matters), three training steps then evaluation

Run once with Debian's python3-torch (1.13):
    /usr/bin/python3 tests/data/make_reference_more_layers.py
dlc keeps one bias per gate: its bias is PyTorch's bias_ih + bias_hh.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import write  # noqa: E402

torch.manual_seed(2026)
torch.set_default_dtype(torch.float64)  # references in double, stored as float32


def rnd(*shape, scale=1.0):
    """Normal values that float32 holds exactly, so dlc reads the very inputs
    the reference used."""
    return (torch.randn(*shape) * scale).float().double()


def gru_simplified():
    """h = u c~ + (1 - u) h_prev, u = sigma(W_u x + U_u h + b_u),
    c~ = tanh(W_c x + U_c h + b_c): nn.GRU with r = 1 and z = 1 - u."""
    N, T, D, H = 3, 4, 3, 5
    wih = rnd(2 * H, D, scale=0.6)
    whh = rnd(2 * H, H, scale=0.6)
    b = rnd(2 * H, scale=0.3)
    x = rnd(N, T, D)
    m = torch.nn.GRU(D, H, batch_first=True)
    with torch.no_grad():
        zero_dh, zero_hh = torch.zeros(H, D), torch.zeros(H, H)
        # rows: r, z, n.  r: all weights 0, bias 40 -> sigma = 1 in float64 to 1e-17
        m.weight_ih_l0.copy_(torch.cat([zero_dh, -wih[:H], wih[H:]]))
        m.weight_hh_l0.copy_(torch.cat([zero_hh, -whh[:H], whh[H:]]))
        m.bias_ih_l0.copy_(torch.cat([torch.full((H,), 40.0), -b[:H], b[H:]]))
        m.bias_hh_l0.zero_()
    m = m.double()
    xx = x.clone().requires_grad_(True)
    y, h_n = m(xx)
    dy = rnd(*y.shape)
    y.backward(dy)
    g_ih, g_hh, g_b = m.weight_ih_l0.grad, m.weight_hh_l0.grad, m.bias_ih_l0.grad
    write("gru_simplified", dict(
        x=x, weight_ih=wih, weight_hh=whh, bias=b, y=y, dy=dy, dx=xx.grad,
        d_weight_ih=torch.cat([-g_ih[H:2 * H], g_ih[2 * H:]]),
        d_weight_hh=torch.cat([-g_hh[H:2 * H], g_hh[2 * H:]]),
        d_bias=torch.cat([-g_b[H:2 * H], g_b[2 * H:]])))


def gru_notes(x, wih, whh, b, H):
    """The notes' full GRU (dlc's gate order r, u, c~), x (N, T, D)."""
    N, T, _ = x.shape
    h = torch.zeros(N, H)
    ys = []
    for t in range(T):
        zx = x[:, t] @ wih.T + b
        r = torch.sigmoid(zx[:, :H] + h @ whh[:H].T)
        u = torch.sigmoid(zx[:, H:2 * H] + h @ whh[H:2 * H].T)
        c = torch.tanh(zx[:, 2 * H:] + (r * h) @ whh[2 * H:].T)
        h = u * c + (1 - u) * h
        ys.append(h)
    return torch.stack(ys, 1)


def gru_torch_form(x, wih, whh, b, H):
    """nn.GRU with dlc's parameters (U_c diagonal, so the forms agree)."""
    m = torch.nn.GRU(x.shape[2], H, batch_first=True).double()
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.cat([wih[:H], -wih[H:2 * H], wih[2 * H:]]))
        m.weight_hh_l0.copy_(torch.cat([whh[:H], -whh[H:2 * H], whh[2 * H:]]))
        m.bias_ih_l0.copy_(torch.cat([b[:H], -b[H:2 * H], b[2 * H:]]))
        m.bias_hh_l0.zero_()
    return m(x)[0]


def gru_full():
    N, T, D, H = 3, 4, 3, 5
    wih = rnd(3 * H, D, scale=0.6)
    b = rnd(3 * H, scale=0.3)
    x = rnd(N, T, D)
    # the formula against nn.GRU where the two forms coincide
    whh_diag = torch.cat([rnd(2 * H, H, scale=0.6), torch.diag(rnd(H))])
    ours, theirs = gru_notes(x, wih, whh_diag, b, H), gru_torch_form(x, wih, whh_diag, b, H)
    assert torch.allclose(ours, theirs, atol=1e-12), (ours - theirs).abs().max()
    # and a general U_c, where only the notes' form applies
    whh = rnd(3 * H, H, scale=0.6)
    ps = [t.clone().requires_grad_(True) for t in (x, wih, whh, b)]
    y = gru_notes(ps[0], ps[1], ps[2], ps[3], H)
    dy = rnd(*y.shape)
    y.backward(dy)
    write("gru_full", dict(
        x=x, weight_ih=wih, weight_hh=whh, bias=b, y=y, dy=dy, dx=ps[0].grad,
        d_weight_ih=ps[1].grad, d_weight_hh=ps[2].grad, d_bias=ps[3].grad,
        weight_hh_diag=whh_diag, y_diag=theirs))


def torch_recurrent(name, m, bidirectional, to_dlc):
    """Module m (nn.RNN or nn.GRU, batch-first) run forward and backward in
    double; to_dlc(sfx, wih, whh, bih, bhh, grads) gives a direction's dlc
    parameters and their gradients (grads: the same four gradients)."""
    m = m.double()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(p.float().double())
    N, T, D = 3, 4, m.input_size
    x = rnd(N, T, D).requires_grad_(True)
    y, h_n = m(x)
    dy = rnd(*y.shape)
    y.backward(dy)
    arrays = dict(x=x, y=y, dy=dy, dx=x.grad)
    for sfx in ("", "_reverse") if bidirectional else ("",):
        ps = [getattr(m, k + "_l0" + sfx) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        arrays.update(to_dlc(sfx, *ps, [p.grad for p in ps]))
    write(name, arrays)


def rnn(name, nonlinearity, bidirectional):
    D, H = 3, 5
    torch_recurrent(name, torch.nn.RNN(D, H, nonlinearity=nonlinearity, batch_first=True,
                                       bidirectional=bidirectional), bidirectional,
                    lambda sfx, wih, whh, bih, bhh, g: {
                        "weight_ih" + sfx: wih, "weight_hh" + sfx: whh, "bias" + sfx: bih + bhh,
                        "d_weight_ih" + sfx: g[0], "d_weight_hh" + sfx: g[1], "d_bias" + sfx: g[2]})


def gru_reset_after():
    """nn.GRU is dlc's reset_after: gates r, u = 1 - z, c; bias_hn = b_hn."""
    D, H = 3, 5
    gates = lambda w: torch.cat([w[:H], -w[H:2 * H], w[2 * H:]])  # r, z, n -> r, u = -z, c
    torch_recurrent("gru_reset_after", torch.nn.GRU(D, H, batch_first=True, bidirectional=True), True,
                    lambda sfx, wih, whh, bih, bhh, g: {
                        "weight_ih" + sfx: gates(wih), "weight_hh" + sfx: gates(whh),
                        "bias" + sfx: gates(torch.cat([bih[:2 * H] + bhh[:2 * H], bih[2 * H:]])),
                        "bias_hn" + sfx: bhh[2 * H:],
                        "d_weight_ih" + sfx: gates(g[0]), "d_weight_hh" + sfx: gates(g[1]),
                        "d_bias" + sfx: gates(g[2]), "d_bias_hn" + sfx: g[3][2 * H:]})


def embedding_pad():
    V, E = 7, 4
    m = torch.nn.Embedding(V, E, padding_idx=0).double()
    with torch.no_grad():
        m.weight.copy_(m.weight.float().double())
    ids = torch.tensor([[3, 1, 0, 3, 6], [0, 0, 5, 1, 3]])
    y = m(ids)
    dy = rnd(*y.shape)
    y.backward(dy)
    write("embedding_pad", dict(ids=ids.double(), weight=m.weight, y=y, dy=dy, d_weight=m.weight.grad))


def concat():
    a = rnd(2, 2, 3).requires_grad_(True)
    b = rnd(2, 4, 3).requires_grad_(True)
    y0 = torch.cat([a, b], dim=1)  # dlc axis 0 of the per-sample shape
    c = rnd(2, 2, 5).requires_grad_(True)
    y1 = torch.cat([a, c], dim=2)  # dlc axis 1
    dy0, dy1 = rnd(*y0.shape), rnd(*y1.shape)
    (y0 * dy0).sum().backward()
    (y1 * dy1).sum().backward()
    write("concat", dict(a=a, b=b, c=c, y0=y0, y1=y1, dy0=dy0, dy1=dy1, da=a.grad, db=b.grad,
                         dc=c.grad))


def global_avgpool():
    x = rnd(2, 3, 4, 5).requires_grad_(True)
    y = F.adaptive_avg_pool2d(x, 1).flatten(1)
    dy = rnd(*y.shape)
    y.backward(dy)
    write("global_avgpool", dict(x=x, y=y, dy=dy, dx=x.grad))


def time_pool():
    """Padded sequences (lengths 5, 2, 4 of T = 5): mean and max over the
    valid steps only, and their gradients."""
    N, T, C = 3, 5, 4
    lengths = [5, 2, 4]
    x = rnd(N, T, C).requires_grad_(True)
    mean = torch.stack([x[i, :lengths[i]].mean(0) for i in range(N)])
    mx = torch.stack([x[i, :lengths[i]].max(0).values for i in range(N)])
    dmean, dmax = rnd(*mean.shape), rnd(*mx.shape)
    (mean * dmean).sum().backward()
    dx_mean = x.grad.clone()
    x.grad = None
    (mx * dmax).sum().backward()
    write("time_pool", dict(x=x, lengths=torch.tensor(lengths).double(), mean=mean, max=mx,
                            dmean=dmean, dmax=dmax, dx_mean=dx_mean, dx_max=x.grad))


def dropout():
    """The distinct values and the kept share of F.dropout(ones) per rate."""
    arrays = {}
    for p in (0.1, 0.5, 0.8):
        torch.manual_seed(7)
        y = F.dropout(torch.ones(200000, dtype=torch.float32), p=p, training=True)
        key = "p%02d" % round(p * 100)
        arrays[key + "_values"] = torch.unique(y).double()
        arrays[key + "_mean"] = y.double().mean().reshape(1)
    write("dropout", arrays)


def batchnorm_small():
    """Inputs whose per-channel variance (~1e-6) is below eps = 1e-5: a
    wrong eps shows at full size.  The running variance starts as small (a
    layer trained for long on such inputs), so evaluation depends on eps too.
    Three training batches, then evaluation with the running statistics."""
    N, C, Hh, W = 4, 3, 2, 2
    bn = torch.nn.BatchNorm2d(C, eps=1e-5, momentum=0.1).double()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.5, -0.7, 0.9]))
        bn.bias.copy_(torch.tensor([0.1, 0.2, -0.3]))
        bn.running_mean.copy_(torch.tensor([0.05, -0.02, 0.01]))
        bn.running_var.fill_(2e-6)
    arrays = dict(running_mean_init=bn.running_mean.clone(), running_var_init=bn.running_var.clone())
    centres = torch.tensor([0.05, -0.02, 0.01]).reshape(1, C, 1, 1)
    xs = [(centres + 1e-3 * torch.randn(N, C, Hh, W)).float().double() for _ in range(3)]
    bn.train()
    for k, x in enumerate(xs):
        xx = x.clone().requires_grad_(True)
        y = bn(xx)
        if k == 0:
            dy = rnd(*y.shape)
            y.backward(dy)
            arrays.update(x0=x, y0=y, dy0=dy, dx0=xx.grad, dgamma0=bn.weight.grad,
                          dbeta0=bn.bias.grad)
        else:
            arrays["x%d" % k] = x
    arrays.update(gamma=bn.weight, beta=bn.bias, running_mean=bn.running_mean,
                  running_var=bn.running_var)
    bn.eval()
    xe = (centres + 1e-3 * torch.randn(N, C, Hh, W)).float().double()
    arrays.update(x_eval=xe, y_eval=bn(xe))
    write("batchnorm_small", arrays)


if __name__ == "__main__":
    gru_simplified()
    gru_full()
    rnn("rnn_tanh", "tanh", True)
    rnn("rnn_relu", "relu", False)
    embedding_pad()
    concat()
    global_avgpool()
    time_pool()
    dropout()
    batchnorm_small()
    gru_reset_after()
    print("wrote gru_simplified gru_full gru_reset_after rnn_tanh rnn_relu embedding_pad concat global_avgpool "
          "time_pool dropout batchnorm_small")
