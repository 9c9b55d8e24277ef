#!/usr/bin/python3
"""Writes tests/data/ref/lbfgs.ref: torch.optim.LBFGS's iterates on a small
quadratic, for test_optim's comparison with src/optim/lbfgs.c.

PyTorch's LBFGS has no backtracking search: with line_search_fn=None it takes
the step lr (the first iteration lr min(1, 1/|g|_1)), with "strong_wolfe" a
cubic-interpolation Wolfe search.  dlc backtracks (halving) from the same
steps, so the two agree exactly while dlc's first trial passes its Armijo test
at every iteration; the quadratic here is chosen so it does (the test checks
one evaluation per iteration), and then only the direction (the two-loop
recursion, H0 = s.y / y.y, the pairs kept) and the first step's scale decide
the iterates.

Run with Debian's python3-torch (1.13): /usr/bin/python3 tests/data/make_reference_lbfgs.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref_numpy  # noqa: E402

N, ITERS, HISTORY = 6, 8, 3  # more iterations than pairs: the oldest pair is dropped


def main():
    gen = torch.Generator().manual_seed(7)
    q, _ = torch.linalg.qr(torch.randn(N, N, generator=gen, dtype=torch.float64))
    a = q @ torch.diag(torch.linspace(1.0, 2.0, N, dtype=torch.float64)) @ q.T
    a = ((a + a.T) / 2).float()  # symmetric positive definite, eigenvalues 1 .. 2
    b = (3 * torch.randn(N, generator=gen)).float()
    x0 = torch.zeros(N)
    x = x0.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1.0, max_iter=1, history_size=HISTORY,
                            tolerance_grad=0.0, tolerance_change=0.0, line_search_fn=None)

    def closure():
        opt.zero_grad()
        f = 0.5 * x @ (a @ x) - b @ x
        f.backward()
        return f

    iterates = []
    for _ in range(ITERS):
        before = x.detach().clone().double()
        opt.step(closure)
        iterates.append(x.detach().clone())
        # dlc's Armijo test at the step PyTorch took, in double
        ad, bd, now = a.double(), b.double(), x.detach().double()
        f0 = 0.5 * before @ (ad @ before) - bd @ before
        f1 = 0.5 * now @ (ad @ now) - bd @ now
        g0 = ad @ before - bd
        assert f1 <= f0 + 1e-4 * g0 @ (now - before), "dlc would backtrack here"
    os.makedirs(ref_numpy.OUT, exist_ok=True)
    ref_numpy.write("lbfgs", dict(a=a.numpy(), b=b.numpy(), x0=x0.numpy(),
                                  iterates=torch.stack(iterates).numpy()))
    print(torch.stack(iterates))


if __name__ == "__main__":
    main()
