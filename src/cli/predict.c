/* predict.c - `dlc predict RUN ...`: use a trained model on new input.
 * Text models (predict_text.c): --prompt continues a text with a language
 * model, --text labels a text with a classifier or tagger.  (Image files are
 * the image branch's part of this command.) */
#include <stdio.h>

#include "cli.h"

static const cli_opt opts[] = {
    {"--prompt", 1, "TEXT", "language models: the text to continue"},
    {"--length", 1, "N", "language models: tokens to generate (default 200)"},
    {"--temperature", 1, "T", "language models: sampling temperature (default 1; 0 = most likely)"},
    {"--seed", 1, "N", "language models: the sampling seed (default 1); same seed, same text"},
    {"--text", 1, "TEXT", "text classifiers and taggers: the text to label"},
    {"--top", 1, "K", "classifiers: how many classes to print (default 3)"},
    {NULL, 0, NULL, NULL},
};

static int run(const cli_args *a)
{
    const cli_command *c = &cli_predict_cmd;
    if (cli_get(c, a, "--prompt") || cli_get(c, a, "--text"))
        return cli_predict_text(c, a);
    return cli_usage_error(c, "give --prompt TEXT (language models) or --text TEXT (text "
                              "classifiers and taggers)");
}

const cli_command cli_predict_cmd = {
    "predict", "RUN (--prompt TEXT [--length N] [--temperature T] [--seed S] | --text TEXT [--top K])",
    "Use a trained model: continue a text with a language model, or label a text with a "
    "classifier or tagger.",
    opts, run,
};
