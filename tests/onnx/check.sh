#!/usr/bin/env bash
# check.sh - exports a trained run to ONNX and checks the file three ways:
# Debian's python3-onnx checker (full check), and ONNX Runtime's outputs on
# inputs against `dlc predict --values` on the same inputs.
#   tests/onnx/check.sh DLC RUN VALUES [--tol X] [--output NAME] [--valid-steps] [--opset N]
# VALUES: a file of inputs, or "gen:N[:gen options]" to draw N of them with
# ort.js gen (e.g. gen:6:--pad:--max:12).  Exit 0 when all agree; prints one
# line per check.  Needs node with tests/onnx/node_modules (make onnxruntime)
# and /usr/bin/python3 with onnx.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dlc="$1" run="$2" values="$3"
shift 3
tol=1e-4 output="" steps="" opset=""
while [ $# -gt 0 ]; do
    case "$1" in
    --tol) tol="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    --valid-steps) steps="--valid-steps"; shift ;;
    --opset) opset="$2"; shift 2 ;;
    *) echo "check.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
model="$run/model.onnx"
"$dlc" export "$run" --format onnx --out "$model" ${opset:+--opset "$opset"} --quiet
if [ -z "$opset" ] || [ "$opset" -le 17 ]; then   # python3-onnx 1.12 knows opsets up to 17
    /usr/bin/python3 -c "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print(sys.argv[1] + ': onnx.checker full check passed')" "$model"
fi
if [[ "$values" == gen:* ]]; then
    IFS=: read -r -a g <<< "${values#gen:}"
    node "$here/ort.js" gen "$model" "${g[@]}" > "$run/onnx_inputs.txt"
    values="$run/onnx_inputs.txt"
fi
logits=""
[[ "$output" == *logits* ]] && logits="--logits"
"$dlc" predict "$run" --values "$values" $logits > "$run/dlc_outputs.txt"
node "$here/ort.js" check "$model" "$values" "$run/dlc_outputs.txt" --tol "$tol" ${output:+--output "$output"} $steps
