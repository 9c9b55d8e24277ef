#!/usr/bin/env bats
# task_trial.bats - a new user's trial of the task-specific commands: object
# detection, style transfer, word vectors and text models, each with the
# input a new user gets wrong (the wrong kind of run, of file, of corpus).
load helpers

# words.txt: 400 lines of six words over a vocabulary of 10, one of them
# with backspaces in it, as fortune files underline ("_\b_\bn").
corpus_with_controls() {
    awk 'BEGIN { srand(2); split("red green blue one two three cat dog sun", w, " ");
        for (l = 0; l < 400; l++) { s = ""; for (k = 0; k < 6; k++) s = s (k ? " " : "") w[int(rand() * 9) + 1];
            if (l % 3 == 0) s = s " _\b_\bn"; print s } }' > words.txt
    cat > emb.yaml <<YAML
name: words
seed: 1
threads: 1
data:
  format: text
  train: {file: words.txt}
  text: {tokens: words}
embed: {method: skipgram, dim: 8, window: 2, negatives: 3, sample: 0, epochs: 2}
YAML
}

@test "embed: vectors of words with control bytes are read back from every file dlc wrote" {
    corpus_with_controls
    "$DLC" embed emb.yaml --out run --quiet
    grep -q $'^_\b_\bn ' run/vectors.txt
    for f in run run/vectors.txt run/vectors.bin run/glove.txt; do
        run "$DLC" embed "$f" --neighbours red --top-k 3
        [ "$status" -eq 0 ]
        [ "$(echo "$output" | wc -l)" -eq 3 ]
    done
    # the word itself, escaped on the terminal
    run "$DLC" embed run/vectors.txt --neighbours $'_\b_\bn' --top-k 1
    [ "$status" -eq 0 ]
}
