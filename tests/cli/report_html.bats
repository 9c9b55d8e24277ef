#!/usr/bin/env bats
# report.html in a real browser: headless Chromium (Debian's chromium) renders
# it to a PNG with no console messages (the page's Content-Security-Policy
# turns any attempt to load something from outside into one), and every
# figure the page shows with a data-key equals report.json at that path.
# Skips cleanly when chromium is not installed.
load helpers

CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"

need_chromium() {
    [ -n "$CHROMIUM" ] && [ -x "$CHROMIUM" ] || skip "chromium not installed (scripts/install-deps.sh installs it)"
}

# chrome ARGS... : headless Chromium with a fresh profile, stderr to chrome.log
chrome() {
    rm -rf "$TMP/profile"
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$TMP/profile" --enable-logging=stderr --v=0 "$@" 2> "$TMP/chrome.log"
}

# Console messages the page produced (Chromium logs them as "CONSOLE").
console_messages() {
    grep ':CONSOLE' "$TMP/chrome.log" || true
}

@test "the console check sees a console error and a blocked load (negative control)" {
    need_chromium
    printf '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src %s; img-src data:"></head><body><img src="x.png"><script>console.error("boom")</script></body></html>' "'none'" > bad.html
    chrome --dump-dom "file://$TMP/bad.html" > /dev/null
    console_messages | grep -q "Content Security Policy"
}

@test "report.html renders in headless Chromium without console messages; its figures equal report.json" {
    need_chromium
    [ -f "$FMNIST/t10k-images-idx3-ubyte.gz" ] || skip "dataset-fashion-mnist not installed"
    fmnist_config fm.yaml 2000 3
    cat >> fm.yaml <<YAML
report:
  human_level_error: 0.05
  error_analysis: {samples: 30}
  metric: {optimize: accuracy, satisfice: {latency_ms: 1000, params: 1e6}}
YAML
    "$DLC" train fm.yaml --out run --quiet
    chrome --hide-scrollbars --window-size=1200,3000 --screenshot="$TMP/shot.png" "file://$TMP/run/report.html"
    [ -s shot.png ]
    [ "$(head -c 8 shot.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
    [ "$(stat -c %s shot.png)" -gt 20000 ]
    [ -z "$(console_messages)" ]
    chrome --dump-dom "file://$TMP/run/report.html" > dom.html
    [ -z "$(console_messages)" ]
    run compare_dom dom.html run/report.json
    echo "$output"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]          # no mismatch lines, only the count
    [ "${lines[0]}" -ge 60 ]          # splits, per-class, diagnosis, metric...
    # the key figures are there (macro and weighted precision and recall only in
    # the per-class table's average rows: the splits' table has their F1s)
    for k in metric.value splits.dev.accuracy splits.test.error diagnosis.gaps.variance \
             diagnosis.gaps.avoidable_bias metrics.dev.macro.f1 metrics.dev.per_class.0.recall \
             metrics.dev.macro.precision metrics.dev.macro.recall metrics.dev.weighted.precision \
             metrics.dev.weighted.recall error_analysis.sampled cost.params epochs_run; do
        grep -q "data-key=\"$k\"" dom.html
    done
    largest=$(jq -r .diagnosis.largest run/report.json)
    grep -q "id=\"diagnosis\" data-largest=\"$largest\"" dom.html
    # the pictures: three charts, the heat map, 30 thumbnails, nothing fetched
    [ "$(grep -o '<svg class="chart"' dom.html | wc -l)" -eq 3 ]
    [ "$(grep -o '<svg class="heat"' dom.html | wc -l)" -eq 1 ]
    [ "$(grep -o 'src="data:image/png;base64,' dom.html | wc -l)" -eq 30 ]
    ! grep -Eq '(src|href)="(https?:|//)' run/report.html || false
    ! grep -q '<script' run/report.html || false
}

@test "report.html for a run without a dev split or images still renders cleanly" {
    need_chromium
    cat > reg.yaml <<YAML
name: reg
data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: petal_width,
       features: [sepal_length, petal_length], split: {test: 0.2}}
model: {layers: [{type: dense, units: 1}]}
loss: mse
train: {epochs: 3}
YAML
    "$DLC" train reg.yaml --out run --quiet
    chrome --dump-dom "file://$TMP/run/report.html" > dom.html
    [ -z "$(console_messages)" ]
    run compare_dom dom.html run/report.json
    echo "$output"
    [ "${#lines[@]}" -eq 1 ]
    grep -q 'data-key="metrics.test.mse"' dom.html
}
