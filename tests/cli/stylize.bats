#!/usr/bin/env bats
# dlc stylize: style transfer on real image files (a photograph-like RGB
# sneaker and generated stripes), its output, progress and logs, the
# gradient check of a stylize config, the PyTorch script on the exported
# problem, and every bad-input case.
load helpers

SNEAKER="$ROOT/tests/data/images/other/sneaker_rgb_56.png"

# A small VGG-style network and its costs.
style_config() {
    cat > "${1:-s.yaml}" <<YAML
name: small_style
seed: 4
model:
  layers:
    - {name: conv1, type: conv2d, filters: 8, kernel: 3, padding: same, activation: relu}
    - {name: pool1, type: avgpool, kernel: 2}
    - {name: conv2, type: conv2d, filters: 16, kernel: 3, padding: same, activation: relu}
    - {name: flat, type: flatten}
    - {name: dense, type: dense, units: 3}
stylize:
  content: conv2
  style: {conv1: 0.5, conv2: 0.5}
  beta: 1e6
  steps: 80
YAML
}

# Little-endian bytes of $1 ($2 of them) as printf escapes.
le() {
    local v=$1 n=$2 out=
    for ((k = 0; k < n; k++)); do out+=$(printf '\\x%02x' $(((v >> (8 * k)) & 255))); done
    printf '%s' "$out"
}

# Diagonal stripes in two colours as a 24-bit BMP (W x H; dlc reads PNG,
# JPEG, BMP and GIF): the 54-byte header, then rows bottom-up in BGR, each
# padded to 4 bytes.
stripes() {
    local w=$1 h=$2 pad=$(((4 - 3 * $1 % 4) % 4))
    local data=$(((3 * w + pad) * h))
    { printf "BM$(le $((54 + data)) 4)$(le 0 4)$(le 54 4)$(le 40 4)$(le "$w" 4)$(le "$h" 4)"
      printf "$(le 1 2)$(le 24 2)$(le 0 4)$(le "$data" 4)$(le 2835 4)$(le 2835 4)$(le 0 4)$(le 0 4)"
      LC_ALL=C awk -v w="$w" -v h="$h" -v pad="$pad" 'BEGIN {
        for (i = h - 1; i >= 0; i--) {
          for (j = 0; j < w; j++)
            if (int((i + j) / 4) % 2) printf "%c%c%c", 20, 200, 250; else printf "%c%c%c", 160, 40, 30
          for (k = 0; k < pad; k++) printf "%c", 1
        } }'
    } > "$3"
}

# The width and height of a PNG file, from its header.
png_size() {
    od -An -tu1 -j16 -N8 "$1" | awk '{print $3 * 256 + $4, $7 * 256 + $8}'
}

@test "dlc stylize writes G as a PNG of the content's aspect, intermediate images every K steps, and J_style falls by 90%" {
    style_config
    stripes 48 48 stripes.bmp
    run "$DLC" stylize s.yaml --content "$SNEAKER" --style stripes.bmp --out g.png --size 24 --every 40
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(png_size g.png)" = "24 24" ]
    [ -f g.40.png ]
    [ -f g.80.png ]
    [ ! -f g.20.png ]
    # a progress line (not a terminal: every K steps) with step, J_content, J_style and steps/s
    [[ "$output" == *"step 40/80  J "*"  J_content "*"  J_style "*" steps/s"* ]]
    [[ "$output" == *"step 80/80"* ]]
    fall=$(sed -n 's/.*(\([0-9.]*\)% below its start).*/\1/p' <<< "$output")
    gt "$fall" 90
    [ -z "$(ls | grep '\.tmp\.')" ] # nothing half-written left behind
}

@test "dlc stylize resizes any image: a wide content image keeps its aspect, the style image covers it" {
    style_config
    stripes 30 90 tall.bmp
    stripes 120 40 wide.bmp
    run "$DLC" stylize s.yaml --content wide.bmp --style tall.bmp --out g.png --size 30 --steps 2
    [ "$status" -eq 0 ]
    [ "$(png_size g.png)" = "30 10" ]
    [[ "$output" == *"wrote g.png (30x10)"* ]]
}

@test "dlc stylize --log writes the cost of every step; L-BFGS lowers J at every step" {
    style_config
    stripes 32 32 st.bmp
    run "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out g.png --size 16 --steps 15 \
        --log costs.csv --set stylize.optimizer=lbfgs
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(head -1 costs.csv)" = "step,J,J_content,J_style,J_tv,seconds,evals" ]
    [ "$(wc -l < costs.csv)" -ge 10 ]
    awk -F, 'NR > 2 && $2 > prev {exit 1} NR > 1 {prev = $2}' costs.csv
    awk -F, 'NR > 1 && $7 < $1 + 1 {exit 1}' costs.csv # at least one evaluation per step
}

@test "the content cost follows alpha / beta: more content weight, less content cost" {
    style_config
    stripes 32 32 st.bmp
    "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out a.png --size 16 --steps 30 \
        --log a.csv --quiet
    "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out b.png --size 16 --steps 30 \
        --log b.csv --quiet --set stylize.alpha=20
    ca=$(tail -1 a.csv | cut -d, -f3)
    cb=$(tail -1 b.csv | cut -d, -f3)
    gt "$ca" "$cb"
}

@test "dlc stylize stops cleanly on Ctrl-C and keeps the image so far (exit 130)" {
    style_config
    stripes 32 32 st.bmp
    "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out g.png --size 24 --steps 1000000 \
        > out.txt 2> err.txt &
    pid=$!
    for _ in $(seq 100); do grep -q "step" out.txt 2>/dev/null && break; sleep 0.1; done
    kill -INT "$pid"
    status=0
    wait "$pid" || status=$?
    cat err.txt
    [ "$status" -eq 130 ]
    grep -q "interrupted at step" err.txt
    [ "$(png_size g.png)" = "24 24" ]
}

@test "dlc gradcheck checks the gradient of J with respect to the image of a stylize config" {
    style_config
    run "$DLC" gradcheck s.yaml --set stylize.tv=1e-3
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"with respect to the image G"* ]]
    [[ "$output" == *"input "* ]]
    [[ "$output" == *"ok: 1 of 1"* ]]
    stripes 20 20 st.bmp
    run "$DLC" gradcheck s.yaml --content "$SNEAKER" --style st.bmp --size 12 --samples 10
    [ "$status" -eq 0 ]
}

@test "scripts/stylize_torch.py poses the exported problem in PyTorch and reaches the same J" {
    /usr/bin/python3 -c 'import torch' 2>/dev/null || skip "python3-torch is not installed"
    style_config
    stripes 32 32 st.bmp
    run "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out g.png --size 16 --steps 20 \
        --export problem.safetensors --log dlc.csv
    [ "$status" -eq 0 ]
    run /usr/bin/python3 "$ROOT/scripts/stylize_torch.py" problem.safetensors --log torch.csv
    echo "$output"
    [ "$status" -eq 0 ]
    # the same start (the same network, images and costs) and the same end within 1%
    awk -F, 'NR == FNR && FNR == 2 {a = $2} NR != FNR && FNR == 2 {b = $2}
             END {exit !(a > 0 && (a - b) / a < 1e-4 && (b - a) / a < 1e-4)}' dlc.csv torch.csv
    awk -F, 'NR == FNR {a = $2} NR != FNR {b = $2}
             END {exit !((a - b) / a < 0.01 && (b - a) / a < 0.01)}' dlc.csv torch.csv
}

@test "dlc stylize: bad input is one clear message and exit 2, and no image is written" {
    style_config
    stripes 16 16 st.bmp
    # a cost layer the network lacks: file, line and key
    run "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out g.png \
        --set stylize.content=conv9
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'stylize.content': no layer is named 'conv9' (did you mean 'conv1'?)"* ]]
    sed -i 's/style: {conv1: 0.5, conv2: 0.5}/style: {conv1: 0.5, conv3: 0.5}/' s.yaml
    run "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out g.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"s.yaml:12: key 'stylize.style.conv3': no layer is named 'conv3'"* ]]
    # an empty style layer list
    style_config
    sed -i 's/style: {conv1: 0.5, conv2: 0.5}/style: []/' s.yaml
    run "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out g.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"s.yaml:12: key 'stylize.style': needs at least one style layer"* ]]
    # a style layer that is not a convolution map
    style_config
    run "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out g.png --set 'stylize.style=[dense]'
    [ "$status" -eq 2 ]
    [[ "$output" == *"layer 'dense:gram' (gram): needs a convolution map"* ]]
    # an undecodable image, a missing one: the file is named
    style_config
    echo "not an image" > fake.png
    run "$DLC" stylize s.yaml --content fake.png --style st.bmp --out g.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"fake.png: not an image"* ]]
    run "$DLC" stylize s.yaml --content "$SNEAKER" --style nowhere.jpg --out g.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"nowhere.jpg: cannot open: No such file or directory"* ]]
    # a config without stylize:, missing options, an output folder that is not there
    iris_config
    run "$DLC" stylize iris.yaml --content "$SNEAKER" --style st.bmp --out g.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"no stylize: section"* ]]
    run "$DLC" stylize s.yaml --content "$SNEAKER" --out g.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"--content, --style and --out are required"* ]]
    run "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out /nonexistent/g.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"cannot write into /nonexistent"* ]]
    run "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out g.png --size 2
    [ "$status" -eq 2 ]
    [ ! -e g.png ]
    # training a stylize config: nothing to train on
    run "$DLC" train s.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"no data: section"* ]]
    # and no run folder is left behind (it was: runs/small_style with a lock file)
    [ ! -e runs ]
    [[ "$output" != *"training small_style"* ]]
}

@test "dlc stylize: an interrupted run goes on from its image with --init, as its message says" {
    style_config
    stripes 32 32 st.bmp
    "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out g.png --size 24 --steps 1000000 \
        --every 20 > out.txt 2> err.txt &
    pid=$!
    for _ in $(seq 300); do grep -q "^step [1-9][0-9]*0/" out.txt 2>/dev/null && break; sleep 0.1; done
    kill -INT "$pid"
    status=0
    wait "$pid" || status=$?
    [ "$status" -eq 130 ]
    # the message gives the options that go on, with the steps left
    done_at=$(sed -n 's/.*interrupted at step \([0-9]*\);.*/\1/p' err.txt)
    [ -n "$done_at" ]
    grep -q "to go on: the same command with --init g.png --steps $((1000000 - done_at))" err.txt
    last=$(grep '^step' out.txt | tail -1 | awk '{print $4}')
    run "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out g2.png --size 24 --steps 2 \
        --init g.png --log go_on.csv
    [ "$status" -eq 0 ]
    [[ "$output" == *"2 steps of Adam, from g.png"* ]]
    # it starts where the first run stopped (to PNG's rounding), far below a fresh start
    "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out g3.png --size 24 --steps 1 \
        --log fresh.csv > /dev/null 2>&1
    fresh=$(sed -n 2p fresh.csv | cut -d, -f2)
    start=$(sed -n 2p go_on.csv | cut -d, -f2)
    awk -v s="$start" -v l="$last" -v f="$fresh" 'BEGIN { exit !(s < 1.1 * l + 1 && s < 0.5 * f) }'
    # an image of another size, or not an image: exit 2, nothing written
    run "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out g4.png --size 30 --init g.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"g.png: the image is 24x24, G is 30x30 (start from an image of G's size"* ]]
    [ ! -e g4.png ]
    run "$DLC" stylize s.yaml --content "$SNEAKER" --style st.bmp --out g4.png --size 24 --init st.yaml
    [ "$status" -eq 2 ]
    [ ! -e g4.png ]
}

@test "dlc stylize: a gray content image, a small content or style image enlarged (said), a .jpg --out refused" {
    style_config
    stripes 32 32 st.bmp
    run "$DLC" stylize s.yaml --content "$ROOT/tests/data/images/other/sneaker_gray_56_progressive.jpg" \
        --style st.bmp --out g.png --size 24 --steps 2
    [ "$status" -eq 0 ]
    [[ "$output" != *"enlarged"* ]]
    [ "$(png_size g.png)" = "24 24" ]
    stripes 6 4 small.bmp
    run "$DLC" stylize s.yaml --content small.bmp --style st.bmp --out g.png --size 24 --steps 2
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: the content image small.bmp is 6x4: it is enlarged to G's 24x16 (--size 24)"* ]]
    [[ "$output" != *"the style image"* ]]
    run "$DLC" stylize s.yaml --content "$SNEAKER" --style small.bmp --out g.png --size 24 --steps 2
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: the style image small.bmp is 6x4: it is enlarged to cover G's 24x24"* ]]
    run "$DLC" stylize s.yaml --content small.bmp --style st.bmp --out g.jpg --size 24 --steps 2
    [ "$status" -eq 2 ]
    [[ "$output" == *"--out g.jpg: dlc writes a PNG image; name it .png"* ]]
    [ ! -e g.jpg ]
}

@test "dlc stylize: a config without model: takes the network of init_from's run folder or model file (an imported VGG, a trained run)" {
    cat > src.yaml <<YAML
name: src
seed: 3
data: {format: image_folder, train: {dir: $ROOT/tests/data/images/train}}
model:
  input: [3, 28, 28]
  layers:
    - {name: conv1, type: conv2d, filters: 8, kernel: 3, padding: same, activation: relu}
    - {name: pool1, type: avgpool, kernel: 2}
    - {name: conv2, type: conv2d, filters: 16, kernel: 3, padding: same, activation: relu}
    - {name: flat, type: flatten}
    - {name: out, type: dense, units: auto, activation: softmax}
train: {epochs: 1, batch_size: 8}
YAML
    "$DLC" train src.yaml --out src --quiet > /dev/null
    costs='stylize: {content: conv2, style: {conv1: 0.5, conv2: 0.5}, beta: 1e6, steps: 4}'
    printf 'name: taken\ninit_from: {run: src}\n%s\n' "$costs" > taken.yaml
    # the same network written out, as before: the same image, byte for byte
    { echo "name: written"; sed -n '/^model:/,/^train:/p' src.yaml | sed '$d'; echo "init_from: {run: src}"; echo "$costs"; } > written.yaml
    grep -q "^  layers:" written.yaml
    run "$DLC" stylize taken.yaml --content "$SNEAKER" --style "$SNEAKER" --out taken.png --size 32 --quiet
    [ "$status" -eq 0 ]
    "$DLC" stylize written.yaml --content "$SNEAKER" --style "$SNEAKER" --out written.png --size 32 --quiet
    cmp taken.png written.png
    # its layers are the run's: a name it lacks is an error naming the layer
    run "$DLC" stylize taken.yaml --content "$SNEAKER" --style "$SNEAKER" --out x.png --set stylize.content=conv9
    [ "$status" -eq 2 ]
    [[ "$output" == *"no layer is named 'conv9'"* ]]
    # the run's model file gives the network its header embeds: the same image
    run "$DLC" stylize taken.yaml --content "$SNEAKER" --style "$SNEAKER" --out file.png --size 32 --quiet \
        --set init_from.run=src/model.safetensors
    [ "$status" -eq 0 ]
    cmp taken.png file.png
    # a folder that is no run, and weights without their config, have no network to give: said, exit 2
    run "$DLC" stylize taken.yaml --content "$SNEAKER" --style "$SNEAKER" --out x.png --set init_from.run=nowhere
    [ "$status" -eq 2 ]
    [[ "$output" == *"taken.yaml:1: key 'model': missing (required); init_from.run 'nowhere' is no run folder (with a config.yaml) or model file"* ]]
    local w=$ROOT/tests/data/e2e/mlp_init.safetensors
    run "$DLC" stylize taken.yaml --content "$SNEAKER" --style "$SNEAKER" --out x.png --set init_from.run=$w
    [ "$status" -eq 2 ]
    [[ "$output" == *"taken.yaml:1: key 'model': missing (required); init_from.run '$w' is a model file without its network's config"* ]]
    run "$DLC" stylize taken.yaml --content "$SNEAKER" --style "$SNEAKER" --out x.png --set init_from.run=src.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"has no network to give: src.yaml: not a model file: it is text"* ]]
    [ ! -e x.png ]
}
