#!/usr/bin/env bats
# A new user's text: raw sentences with their punctuation, as people write
# them rather than as tokenized corpora give them.
load helpers

@test "data.text.split_punctuation: a word's leading and trailing marks are tokens of their own, in training, predict and a tagger's output" {
    weather_texts
    sed -i 's/ \([0-9]*\)",/, \1!",/' texts.csv     # "the fox ran into the wood, 7!"
    classifier_config c.yaml '    - {type: embedding, units: 8}
    - {type: time_avgpool}' 2
    "$DLC" train c.yaml --out keep --quiet > /dev/null
    "$DLC" train c.yaml --out split --quiet --set data.text.split_punctuation=true > /dev/null
    grep -q '^    split_punctuation: true$' split/config.yaml
    # "wood," and "7!" were words of their own; now "wood" "," "7" "!"
    echo "the fox ran into the wood!" > one.txt
    run "$DLC" predict split one.txt
    [ "$status" -eq 0 ]
    [[ "$output" != *"not in the model's vocabulary"* ]]
    run "$DLC" predict keep one.txt
    [[ "$output" == *"note: one.txt: 1 of the 6 words read are not in the model's vocabulary"* ]]
    # marks inside a word stay, a word of marks is one token
    tagged_data tags.txt
    cat > tag.yaml <<YAML
data:
  format: text
  train: {file: tags.txt}
  split: {dev: 0.1}
  text: {task: tag, tokens: words, seq_len: 8, split_punctuation: true}
model:
  layers:
    - {type: embedding, units: 8}
    - {type: lstm, units: 12, bidirectional: true}
    - {type: dense, units: auto}
train: {epochs: 6, batch_size: 16, optimizer: {type: adam, lr: 0.02}}
YAML
    "$DLC" train tag.yaml --out tag --quiet > /dev/null
    run "$DLC" predict tag --text "The wolf heard a cat. ..."
    [ "$status" -eq 0 ]
    [[ "$output" == *"The/"*" wolf/"*" heard/VERB a/DET cat/NOUN ./PUNCT .../"* ]]
}
