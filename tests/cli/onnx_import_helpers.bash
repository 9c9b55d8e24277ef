# onnx_import_helpers.bash - what the dlc import tests share (onnx_import.bats,
# onnx_import_input.bats): safetensors comparisons, logits within a tolerance,
# round trips through ONNX, torchvision models exported by scripts/torch_to_onnx.py.

IMAGES="$ROOT/tests/data/images"

# Python that reads the safetensors files argv[1] and argv[2] into a and b: {name: (shape, bytes)}
LOAD_TWO='import json, struct, sys
def load(p):
    b = open(p, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    h.pop("__metadata__", None)
    return {k: (v["shape"], b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]) for k, v in h.items()}
a, b = load(sys.argv[1]), load(sys.argv[2])'

# same_weights A B: two model.safetensors hold the same tensors, bit for bit
same_weights() {
    /usr/bin/python3 - "$1" "$2" <<PY
$LOAD_TWO
if sorted(a) != sorted(b):
    sys.exit("tensors differ: %s / %s" % (sorted(set(a) - set(b)), sorted(set(b) - set(a))))
bad = [k for k in a if a[k] != b[k]]
if bad:
    sys.exit("values differ: %s" % bad)
print("%d tensors identical" % len(a))
PY
}

# max_diff A B TOL: the largest absolute difference of two files of numbers
max_diff() {
    awk -v tol="$3" 'NR == FNR { for (i = 1; i <= NF; i++) a[FNR, i] = $i; n[FNR] = NF; next }
        { if (NF != n[FNR]) bad = 1; for (i = 1; i <= NF; i++) { d = $i - a[FNR, i]; d = d < 0 ? -d : d; if (d > m) m = d } }
        END { printf "max abs diff %.3g over %d rows\n", m, FNR; exit bad || !(m <= tol) }' "$1" "$2"
}

# round_trip RUN FILE BACK [export options]: RUN exported to FILE and imported as BACK, with
# the same weights
round_trip() {
    "$DLC" export "$1" --format onnx --out "$2" --quiet "${@:4}"
    run "$DLC" import "$2" --out "$3"
    echo "$output"
    [ "$status" -eq 0 ]
    same_weights "$1/model.safetensors" "$3/model.safetensors"
}

# imports_like TOL NAME...: each NAME.onnx imported as NAME gives NAME.want.txt's logits on
# NAME.x.txt within TOL (files a test wrote with PyTorch)
imports_like() {
    local tol=$1 name
    shift
    for name in "$@"; do
        run "$DLC" import "$name.onnx" --out "$name"
        echo "$output"
        [ "$status" -eq 0 ]
        "$DLC" predict "$name" --values "$name.x.txt" --logits > "$name.got.txt"
        max_diff "$name.want.txt" "$name.got.txt" "$tol"
    done
}

need_torch_onnx() {
    /usr/bin/python3 -c "import torch" 2>/dev/null || skip "python3-torch is not installed (optional)"
}

# import_torchvision MODEL DIR EXAMPLES: torchvision's MODEL at 64 x 64 (scripts/torch_to_onnx.py)
# in DIR, imported as run with ImageNet's preprocessing; skips without torchvision
import_torchvision() {
    need_torch_onnx
    /usr/bin/python3 -c "import torchvision" 2>/dev/null || skip "python3-torchvision is not installed (optional)"
    /usr/bin/python3 "$ROOT/scripts/torch_to_onnx.py" "$1" "$2" --size 64 --examples "$3" 2>/dev/null
    run "$DLC" import "$2/model.onnx" --out run --scale 0.00392156862745098 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225
    echo "$output"
    [ "$status" -eq 0 ]
}

# predicts_like_torch DIR TOL [ORT_TOL]: run (import_torchvision's) gives DIR/expected.txt's logits on
# DIR/inputs.txt within TOL; the examples differ, so a layer that ignored its input would not pass;
# with ORT_TOL dlc's re-export of run gives dlc's outputs in ONNX Runtime within it (where node and
# onnxruntime-node are installed)
predicts_like_torch() {
    "$DLC" predict run --values "$1/inputs.txt" --logits > dlc.txt
    run max_diff "$1/expected.txt" dlc.txt "$2"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(sort -u "$1/expected.txt" | wc -l)" -eq "$(wc -l < "$1/expected.txt")" ]
    if [ -n "${3:-}" ] && command -v node >/dev/null && [ -d "$ROOT/tests/onnx/node_modules/onnxruntime-node" ]; then
        run "$ROOT/tests/onnx/check.sh" "$DLC" run "$1/inputs.txt" --tol "$3"
        echo "$output"
        [ "$status" -eq 0 ]
    fi
}

# identical_tensors A B: the names of the tensors two model.safetensors hold with the same bytes
identical_tensors() {
    /usr/bin/python3 - "$1" "$2" <<PY
$LOAD_TWO
print("\\n".join(sorted(k for k in a if a[k] == b.get(k))))
PY
}

# imports_torchvision_like TOL NAME DIR N: torchvision's NAME (scripts/torch_to_onnx.py, N examples)
# imported as run gives PyTorch's logits within TOL, the examples' logits differ, and dlc's
# re-export runs in ONNX Runtime as dlc predicts (where it is installed)
imports_torchvision_like() {
    rm -rf run
    import_torchvision "$2" "$3" "$4"
    predicts_like_torch "$3" "$1" 1e-4
}
