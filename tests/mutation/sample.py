#!/usr/bin/python3
"""sample.py - one-line bugs nobody chose, for tests/mutation/run.sh.

mutations.txt was written by the people who wrote the tests; this picks
lines of src/ at random (seeded, so a sample can be rerun) among those the
tests run, plants one operator mutation in each and writes the entries in
mutations.txt's format to a separate list, which run.sh runs with
MUTATE_LIST:

    tests/mutation/cover.sh test_loss test_optim ...      # coverage per test
    tests/mutation/sample.py --seed 1 -n 8 src/loss src/optim > build/sample.txt
    MUTATE_LIST=build/sample.txt MUTATE_TESTS="test_loss" MUTATE_JOBS=1 \\
        tests/mutation/run.sh --no-baseline ID...

Each PATH (a folder or a file under src/) is a stratum of -n lines.  A line
is a candidate when the coverage (build/coverage/per-test/*.info from
cover.sh, else build/coverage/coverage.info from `make coverage`) shows it
run, and it is code: not a comment, preprocessor line, brace, declaration
without a value, assert, or a line holding a string literal (messages).
The operators: a relational operator moved by one (< <=, > >=, == !=),
+ -, * /, += -=, += =, && ||, a numeric constant + 1, a dropped !, an index
+ 1, a deleted statement.  A mutant that does not compile under the tree's
-Werror flags, or compiles to the same object code as the original (it
changes nothing), is replaced by another site of the line or another line.
With per-test coverage (cover.sh), an "@tests TEST..." line before each
entry names the tests whose coverage reaches its line (unit programs named
after the file or module first, then the others, then bats files), and
run.sh runs those (MUTATE_TESTS overrides them).

The same seed, coverage files and tree give the same sample (the build
check takes part in the choice: --no-compile samples differently).
The product does not need Python; this is a developer tool.
"""
import argparse
import glob
import os
import random
import re
import subprocess
import sys
import tempfile

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def load_coverage(paths):
    """{relative file: {line: set(test names)}} of lines run at least once"""
    cov = {}
    for p in paths:
        test = os.path.basename(p)[:-len(".info")]
        if not re.match(r"^(test_\w+|tests_cli_\w+_bats|onnx_node_tests)$", test):
            test = "*"  # make coverage's whole suite, or a file cover.sh did not name
        f = None
        with open(p) as fh:
            for ln in fh:
                if ln.startswith("SF:"):
                    f = os.path.relpath(ln[3:].strip(), ROOT)
                elif ln.startswith("DA:") and f:
                    num, hits = ln[3:].strip().split(",")[:2]
                    if int(hits) > 0:
                        cov.setdefault(f, {}).setdefault(int(num), set()).add(test)
    return cov


def test_order(tests, f):
    """the tests reaching a line of f in the order run.sh should try them"""
    names = sorted(t.replace("tests_cli_", "tests/cli/").replace("_bats", ".bats") for t in tests if t != "*")
    stem, module = os.path.splitext(os.path.basename(f))[0], f.split("/")[1]

    def rank(t):
        if t.endswith(".bats"):
            return 3
        return 0 if stem in t or module in t else 1
    return sorted(names, key=lambda t: (rank(t), t))


def mask_code(line):
    """the line with string and char literals blanked and a trailing
    comment cut, so operators inside them are never mutated"""
    out, i, n = [], 0, len(line)
    while i < n:
        c = line[i]
        if c in "\"'":
            q, j = c, i + 1
            while j < n and line[j] != q:
                j += 2 if line[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (q if j < n else ""))
            i = j + 1
        elif line.startswith("/*", i) or line.startswith("//", i):
            break
        else:
            out.append(c)
            i += 1
    return "".join(out)


def comment_lines(text):
    """0-based numbers of lines that are comment only (or inside one)"""
    skip, inside = set(), False
    for k, line in enumerate(text):
        s = line.strip()
        if inside:
            skip.add(k)
            if "*/" in s:
                inside = False
            continue
        if s.startswith("//") or s.startswith("*"):
            skip.add(k)
        elif s.startswith("/*"):
            skip.add(k)
            if "*/" not in s:
                inside = True
        elif "/*" in s and "*/" not in s.split("/*", 1)[1]:
            inside = True
    return skip


TYPES = r"(?:const\s+|static\s+|unsigned\s+|signed\s+|struct\s+|restrict\s+)*" \
        r"(?:void|char|short|int|long|float|double|size_t|ssize_t|int\d+_t|uint\d+_t|[a-z_]+_t|dlc_\w+|graph\w*|tensor\w*|[A-Z]\w*)\b"
DECL_NO_VALUE = re.compile(r"^\s*" + TYPES + r"[\s*]+\w+(\s*\[[^\]]*\])*(\s*,\s*\**\w+(\s*\[[^\]]*\])*)*\s*;\s*$")
DECL_START = re.compile(r"^\s*" + TYPES + r"[\s*]+\w+")


def is_candidate(line):
    s = line.strip()
    if not s or s[0] in "#{}" or s in ("else", "do") or s.startswith("else {") and s.endswith("{"):
        return False
    if '"' in line or "assert(" in line or " # " in line:
        return False
    if re.match(r"^(case\b.*|default):$", s) or s.startswith("goto ") or s in ("break;", "continue;", "return;"):
        return False
    if not line[0].isspace():          # a function's first line
        return False
    if DECL_NO_VALUE.match(line):
        return False
    return True


OPS = [  # (name, regex on the masked line, replacement function)
    ("ror", re.compile(r"(?<=\s)(<=|>=|<|>|==|!=)(?=\s)"),
     lambda m: {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}[m.group(1)]),
    ("aor", re.compile(r"(?<=[\w)\]] )([-+*/])(?= [\w(!-])"),
     lambda m: {"+": "-", "-": "+", "*": "/", "/": "*"}[m.group(1)]),
    ("asg", re.compile(r"(?<= )(\+=|-=|\*=|/=)(?= )"),
     lambda m: {"+=": "-=", "-=": "+=", "*=": "/=", "/=": "*="}[m.group(1)]),
    ("acc", re.compile(r"(?<= )(\+=)(?= )"), lambda m: "="),
    ("lcr", re.compile(r"(?<= )(&&|\|\|)(?= )"), lambda m: "||" if m.group(1) == "&&" else "&&"),
    ("const", re.compile(r"(?<![\w.])(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)([fFuUlL]*)(?![\w.])"), None),
    ("not", re.compile(r"!(?!=)"), lambda m: ""),
    ("index", re.compile(r"(?<=\w)\[([^\[\]]+)\]"), lambda m: "[" + m.group(1) + " + 1]"),
]


def const_plus_one(m):
    num, suffix = m.group(1), m.group(2)
    if re.fullmatch(r"\d+", num):
        if len(num) > 1 and num.startswith("0"):
            return None                # octal
        return str(int(num) + 1) + suffix
    v = float(num) + 1.0
    s = repr(v)
    if "e" not in s and "." not in s:
        s += ".0"
    return s + suffix


def sites(line):
    """every (op, start, end, replacement) of one line"""
    code = mask_code(line)
    out = []
    for name, rx, fn in OPS:
        for m in rx.finditer(code):
            if name == "const":
                rep = const_plus_one(m)
                if rep is None:
                    continue
                out.append((name, m.start(), m.end(), rep))
            else:
                g = 0 if name in ("index", "not") else 1
                out.append((name, m.start(g), m.end(g), fn(m)))
    s = code.strip()
    # a deleted statement: a whole simple statement on one line
    if (s.endswith(";") and s.count("(") == s.count(")") and not DECL_START.match(code)
            and not re.match(r"^(return|break|continue|goto|for|while|if|else|do)\b", s)
            and not s.startswith("}") and "{" not in s and ";" not in s[:-1]):
        ind = len(line) - len(line.lstrip())
        out.append(("del", ind, len(line.rstrip("\n")), "(void)0;"))
    return out


def bre(s):
    """a literal in a sed BRE between | delimiters"""
    return re.sub(r"([\\.*\[\]^$|])", r"\\\1", s)


def bre_addr(s):
    """a literal in a sed BRE address between / delimiters"""
    return re.sub(r"([\\.*\[\]^$/])", r"\\\1", s)


def rep_escape(s):
    return re.sub(r"([\\&|])", r"\\\1", s)


def sed_expr(text, k, new):
    """an expression changing line k (0-based) of text into new, addressed by
    its text alone (the enclosing function's first line when the line occurs
    twice); None when it cannot be made unique"""
    old = text[k].rstrip("\n")
    sub = "s|^%s$|%s|" % (bre(old), rep_escape(new))
    if sum(1 for t in text if t.rstrip("\n") == old) == 1:
        return sub
    f = k
    while f >= 0 and not re.match(r"^[A-Za-z_].*\(", text[f]):
        f -= 1
    if f < 0:
        return None
    head = text[f].rstrip("\n")
    if sum(1 for t in text if t.rstrip("\n") == head) != 1:
        return None
    end = k
    while end < len(text) and not text[end].startswith("}"):
        end += 1
    if sum(1 for t in text[f:end + 1] if t.rstrip("\n") == old) != 1:
        return None
    return "/^%s$/,/^}/ %s" % (bre_addr(head), sub)


def sed_applies(path, expr, k, new):
    r = subprocess.run(["sed", "-e", expr, path], capture_output=True, text=True)
    if r.returncode != 0:
        return False
    a = open(path).read().split("\n")
    b = r.stdout.split("\n")
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return diff == [k] and b[k] == new


class Compiler:
    """compiles a file as the tree does (its flags, -Werror), object code
    only (-g0), to tell a mutant that does not build or changes nothing"""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="dlc-sample.")
        self.orig = {}

    def cmd(self, path):
        obj = "build/" + path[:-2] + ".o"
        r = subprocess.run(["make", "-n", "-W", path, obj], cwd=ROOT, capture_output=True, text=True)
        for ln in r.stdout.splitlines():
            if (" -c %s " % path) in ln:
                args = ln.split()
                i = args.index("-c")
                args = [a for a in args[:i] if a not in ("-MMD", "-MP", "-g")]
                return args + ["-g0", "-iquote", os.path.join(ROOT, os.path.dirname(path))]
        return None

    def obj(self, path, lines):
        base = self.cmd(path)
        if base is None:
            return None
        src = os.path.join(self.tmp, os.path.basename(path))
        with open(src, "w") as fh:
            fh.write("\n".join(lines))
        out = src + ".o"
        r = subprocess.run(base + ["-c", src, "-o", out], cwd=ROOT, capture_output=True)
        if r.returncode != 0:
            return None
        return open(out, "rb").read()

    def verdict(self, path, text, k, new):
        if path not in self.orig:
            self.orig[path] = self.obj(path, [t.rstrip("\n") for t in text])
        lines = [t.rstrip("\n") for t in text]
        lines[k] = new
        o = self.obj(path, lines)
        if o is None:
            return "no-build"
        if o == self.orig[path]:
            return "same"
        return "ok"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="+", help="strata: folders or files under src/")
    ap.add_argument("-n", type=int, default=8, help="mutants per stratum (8)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--info", nargs="*", help="lcov files (default build/coverage/per-test/*.info, "
                                               "else build/coverage/coverage.info)")
    ap.add_argument("--exclude", nargs="*", default=[], help="files to leave out")
    ap.add_argument("--prefix", default="sample", help="ID prefix (sample)")
    ap.add_argument("--no-compile", action="store_true", help="skip the build check")
    a = ap.parse_args()

    infos = a.info or sorted(glob.glob(os.path.join(ROOT, "build/coverage/per-test/*.info"))) or \
        [os.path.join(ROOT, "build/coverage/coverage.info")]
    infos = [p for p in infos if os.path.exists(p)]
    if not infos:
        sys.exit("sample.py: no coverage: run tests/mutation/cover.sh TEST... or make coverage first")
    cov = load_coverage(infos)
    rng = random.Random(a.seed)
    cc = None if a.no_compile else Compiler()
    print("# tests/mutation/sample.py --seed %d -n %d %s  (coverage of %d tests: %s)" %
          (a.seed, a.n, " ".join(a.paths), len(infos),
           " ".join(sorted({os.path.relpath(os.path.dirname(p), ROOT) for p in infos}))))
    skipped = {"no-build": 0, "same": 0}
    for stratum in a.paths:
        stratum = stratum.rstrip("/")
        files = sorted(f for f in cov if (f == stratum or f.startswith(stratum + "/")) and f.endswith(".c")
                       and f not in a.exclude)
        cands = []
        texts = {}
        for f in files:
            texts[f] = open(os.path.join(ROOT, f)).read().split("\n")
            skip = comment_lines(texts[f])
            for num in sorted(cov[f]):
                k = num - 1
                if k < len(texts[f]) and k not in skip and is_candidate(texts[f][k]) and sites(texts[f][k]):
                    cands.append((f, k))
        rng.shuffle(cands)
        picked = []
        for f, k in cands:
            if len(picked) >= a.n:
                break
            line = texts[f][k]
            # an operator class at random, then a site of it: a line of many
            # constants is not sampled as constants alone
            options = sites(line)
            rng.shuffle(options)
            classes = sorted({o[0] for o in options})
            rng.shuffle(classes)
            options.sort(key=lambda o: classes.index(o[0]))
            for op, s, e, rep in options:
                new = line[:s] + rep + line[e:]
                if new == line:
                    continue
                expr = sed_expr(texts[f], k, new)
                if expr is None or not sed_applies(os.path.join(ROOT, f), expr, k, new):
                    continue
                if cc:
                    v = cc.verdict(f, texts[f], k, new)
                    if v != "ok":
                        skipped[v] += 1
                        continue
                stem = os.path.splitext(os.path.basename(f))[0]
                ident = "%s.%s.%s_%d_%s" % (a.prefix, f.split("/")[1], stem, k + 1, op)
                what = "sampled (%s, line %d): %s -> %s" % (op, k + 1, line[s:e] or "(nothing)",
                                                            rep or "(dropped)")
                picked.append(("@tests " + " ".join(test_order(cov[f][k + 1], f)),
                               "%-44s %s  %s  # %s" % (ident, f, expr, what)))
                break
        print()
        print("# ---- %s: %d of %d candidate lines ----" % (stratum, len(picked), len(cands)))
        for tests, entry in picked:
            if tests != "@tests ":
                print(tests)
            print(entry)
    print("# left out: %d that do not build, %d that compile to the same code" %
          (skipped["no-build"], skipped["same"]), file=sys.stderr)


if __name__ == "__main__":
    main()
