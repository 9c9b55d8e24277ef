#!/usr/bin/python3
"""Writes PyTorch reference values for dlc's unit tests (tests/data/ref/*.ref).

Run once with Debian's python3-torch (1.13): /usr/bin/python3 tests/data/make_reference.py
The product never needs Python; the .ref files are committed.

File format (little-endian): b"DLCREF1\\n", uint32 count, then per array:
uint32 name length, name bytes, uint32 ndim, ndim x uint32 dims, float32 data.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref_numpy  # noqa: E402

torch.manual_seed(1234)


def write(name, arrays):
    ref_numpy.write(name, {k: t.detach().to(torch.float32).contiguous().numpy() for k, t in arrays.items()})


def dense():
    x = torch.randn(5, 7, requires_grad=True)
    w = torch.randn(4, 7, requires_grad=True)
    b = torch.randn(4, requires_grad=True)
    y = F.linear(x, w, b)
    dy = torch.randn_like(y)
    y.backward(dy)
    write("dense", dict(x=x, w=w, b=b, y=y, dy=dy, dx=x.grad, dw=w.grad, db=b.grad))


def batchnorm():
    x = (torch.randn(6, 3) * 2 + 1).requires_grad_(True)
    bn = torch.nn.BatchNorm1d(3, eps=1e-5, momentum=0.1)  # torch 0.1 == dlc momentum 0.9
    with torch.no_grad():
        bn.weight.copy_(torch.randn(3))
        bn.bias.copy_(torch.randn(3))
    bn.train()
    y = bn(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    write("batchnorm", dict(x=x, gamma=bn.weight, beta=bn.bias, y=y, dy=dy, dx=x.grad,
                            dgamma=bn.weight.grad, dbeta=bn.bias.grad,
                            running_mean=bn.running_mean, running_var=bn.running_var))


def activations():
    z = torch.randn(4, 5) * 2
    arrays = dict(z=z)
    fns = dict(sigmoid=torch.sigmoid, tanh=torch.tanh, relu=F.relu,
               leaky_relu=lambda t: F.leaky_relu(t, 0.01), elu=lambda t: F.elu(t, 1.0),
               gelu=F.gelu, softmax=lambda t: F.softmax(t, dim=1), relu6=F.relu6,
               silu=F.silu, hardsigmoid=F.hardsigmoid, hardswish=F.hardswish)
    dy = torch.randn(4, 5)
    arrays["dy"] = dy
    for name, fn in fns.items():
        zz = z.clone().requires_grad_(True)
        y = fn(zz)
        y.backward(dy)
        arrays[name] = y
        arrays["d_" + name] = zz.grad
    write("activations", arrays)


def losses():
    logits = torch.randn(6, 4, requires_grad=True)
    target = torch.tensor([0, 3, 1, 1, 2, 0])
    loss = F.cross_entropy(logits, target)
    loss.backward()
    arrays = dict(ce_logits=logits, ce_target=target.float(), ce_loss=loss.reshape(1), ce_grad=logits.grad)
    z = (torch.randn(6, 1) * 3).requires_grad_(True)
    t = torch.tensor([[1.0], [0.0], [1.0], [1.0], [0.0], [0.0]])
    loss = F.binary_cross_entropy_with_logits(z, t)
    loss.backward()
    arrays.update(bce_logits=z, bce_target=t, bce_loss=loss.reshape(1), bce_grad=z.grad)
    p = torch.randn(5, 2, requires_grad=True)
    q = torch.randn(5, 2)
    loss = F.mse_loss(p, q)
    loss.backward()
    arrays.update(mse_pred=p, mse_target=q, mse_loss=loss.reshape(1), mse_grad=p.grad)
    write("losses", arrays)


def optimizers():
    grads = torch.randn(4, 6)  # four steps of gradients for six weights
    w0 = torch.randn(6)
    arrays = dict(w0=w0, grads=grads)
    configs = dict(
        adam=lambda p: torch.optim.Adam([p], lr=0.01, betas=(0.9, 0.999), eps=1e-8),
        rmsprop=lambda p: torch.optim.RMSprop([p], lr=0.01, alpha=0.9, eps=1e-8),
        sgd=lambda p: torch.optim.SGD([p], lr=0.01),
        sgd_momentum=lambda p: torch.optim.SGD([p], lr=0.01, momentum=0.9),
        sgd_dampening=lambda p: torch.optim.SGD([p], lr=0.01, momentum=0.9, dampening=0.3),
        # weight_decay is L2 in the gradient, before the momentum: dlc's l2
        sgd_nesterov=lambda p: torch.optim.SGD([p], lr=0.01, momentum=0.9, nesterov=True,
                                               weight_decay=0.1),
        adamw=lambda p: torch.optim.AdamW([p], lr=0.01, betas=(0.9, 0.999), eps=1e-8,
                                          weight_decay=0.5),
        # beta2 0.9: v falls below its largest within the four steps
        adam_amsgrad=lambda p: torch.optim.Adam([p], lr=0.01, betas=(0.9, 0.9), eps=1e-8,
                                                amsgrad=True),
        adamw_amsgrad=lambda p: torch.optim.AdamW([p], lr=0.01, betas=(0.9, 0.9), eps=1e-8,
                                                  weight_decay=0.5, amsgrad=True),
    )
    for name, make in configs.items():
        p = w0.clone().requires_grad_(True)
        opt = make(p)
        for s in range(grads.shape[0]):
            opt.zero_grad()
            p.grad = grads[s].clone()
            opt.step()
        arrays[name] = p
    write("optimizers", arrays)


if __name__ == "__main__":
    os.makedirs(ref_numpy.OUT, exist_ok=True)
    dense()
    batchnorm()
    activations()
    losses()
    optimizers()
    print("wrote", sorted(os.listdir(ref_numpy.OUT)))
