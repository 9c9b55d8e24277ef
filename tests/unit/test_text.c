/* test_text.c - format text: tokens, vocabulary (with unknown words), the
 * three tasks' sequences and targets, carving in file order, the batch plans
 * (stateful runs keep their order), prediction inputs, pretrained vectors,
 * and bad corpora. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../src/config/config.h"
#include "../../src/data/data.h"
#include "../../src/train/model.h"
#include "testutil.h"

/* Loads data described by the YAML `data:` body (a flow mapping). */
static dlc_status load_data(data_bundle *b, dlc_config *c, const char *data_yaml, dlc_error *err)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "data: %s\nmodel: {layers: [{type: dense, units: 2}]}\n", data_yaml);
    dlc_status s = config_load_string(c, "t.yaml", yaml, strlen(yaml), NULL, 0, err);
    if (s != DLC_OK) {
        print_error("config: %s\n", err->msg);
        fail();
    }
    return data_load(b, &c->data, DATA_TARGET_CLASS, c->seed, err);
}

static void load_ok(data_bundle *b, dlc_config *c, const char *data_yaml)
{
    dlc_error err = {0};
    if (load_data(b, c, data_yaml, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
}

static void load_fails(const char *data_yaml, const char *want1, const char *want2)
{
    data_bundle b;
    dlc_config c;
    dlc_error err = {0};
    dlc_status s = load_data(&b, &c, data_yaml, &err);
    if (s != DLC_EINPUT || !strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2))) {
        print_error("status %d, message: %s\nwanted: %s\n", (int)s, err.msg, want1);
        fail();
    }
    config_free(&c);
}

static const float *row_x(const data_split *s, int r)
{
    return s->ds->f32 + (size_t)s->idx[r] * s->ds->dim;
}

static const float *row_y(const data_split *s, int r)
{
    return s->ds->targets + (size_t)s->idx[r] * (size_t)s->ds->n_targets;
}

static void expect_row(const float *got, const float *want, int n)
{
    for (int i = 0; i < n; i++)
        tu_close(got[i], want[i], 0.0);
}

static void test_vocabulary_with_unknown_words(void **state)
{
    tu_write(tu_tmp("w_train.txt"), "the cat sat\nthe dog sat\nthe end\n", (size_t)-1);
    tu_write(tu_tmp("w_dev.txt"), "the bird sat\n", (size_t)-1);
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "{format: text, train: {file: %s}, dev: {file: %s}, "
             "text: {task: lm, tokens: words, seq_len: 4}}",
             tu_tmp("w_train.txt"), tu_tmp("w_dev.txt"));
    data_bundle b;
    dlc_config c;
    load_ok(&b, &c, yaml);
    /* specials, then by falling count, ties in byte order */
    const char *want[] = {"<pad>", "<unk>", "<eos>", "the", "sat", "cat", "dog", "end"};
    assert_int_equal(b.vocab.n, 8);
    for (int i = 0; i < 8; i++)
        assert_string_equal(b.vocab.v[i], want[i]);
    assert_int_equal(b.heads[0].class_names.n, 8); /* a language model's classes are its tokens */
    /* dev: "the bird sat <eos>": bird was never seen in train */
    assert_int_equal(b.split[DATA_SPLIT_DEV].n, 1);
    const float x[4] = {3, 1, 4, 0}, y[4] = {1, 4, 2, -1};
    expect_row(row_x(&b.split[DATA_SPLIT_DEV], 0), x, 4);
    expect_row(row_y(&b.split[DATA_SPLIT_DEV], 0), y, 4);
    assert_int_equal(b.text_tokens[2], 3);
    data_free(&b);
    config_free(&c);

    /* min_count 2: words seen once become <unk> too */
    snprintf(yaml, sizeof yaml,
             "{format: text, train: {file: %s}, text: {task: lm, tokens: words, seq_len: 4, "
             "min_count: 2}}",
             tu_tmp("w_train.txt"));
    load_ok(&b, &c, yaml);
    assert_int_equal(b.vocab.n, 5);
    const float x0[4] = {3, 1, 4, 2}; /* the cat sat <eos> */
    expect_row(row_x(&b.split[DATA_SPLIT_TRAIN], 0), x0, 4);
    data_free(&b);
    config_free(&c);

    /* max_vocab counts the specials */
    snprintf(yaml, sizeof yaml,
             "{format: text, train: {file: %s}, text: {task: lm, tokens: words, max_vocab: 4, "
             "lowercase: true}}",
             tu_tmp("w_train.txt"));
    load_ok(&b, &c, yaml);
    assert_int_equal(b.vocab.n, 4);
    assert_string_equal(b.vocab.v[3], "the");
    data_free(&b);
    config_free(&c);
}

/* data.train.file may name a folder: its files (not hidden ones, not
 * sub-folders) in name order, each ending a line; lowercase folds A-Z. */
static void test_folder_in_name_order_lowercased(void **state)
{
    char dir[512], sub[600], yaml[1024];
    snprintf(dir, sizeof dir, "%s", tu_tmp("corpus"));
    snprintf(sub, sizeof sub, "%s/sub", dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(mkdir(sub, 0755), 0);
    char path[700];
    snprintf(path, sizeof path, "%s/b.txt", dir);
    tu_write(path, "The DOG\n", (size_t)-1);
    snprintf(path, sizeof path, "%s/a.txt", dir);
    tu_write(path, "the Cat", (size_t)-1); /* no newline at the end */
    snprintf(path, sizeof path, "%s/.hidden", dir);
    tu_write(path, "zzz\n", (size_t)-1);
    snprintf(path, sizeof path, "%s/sub/c.txt", dir);
    tu_write(path, "yyy\n", (size_t)-1);
    snprintf(yaml, sizeof yaml,
             "{format: text, train: {file: %s}, text: {task: lm, tokens: words, seq_len: 5, "
             "lowercase: true}}",
             dir);
    data_bundle b;
    dlc_config c;
    load_ok(&b, &c, yaml);
    /* "the cat <eos> the dog <eos>": the = 3, cat = 4, dog = 5, <eos> = 2 */
    const char *want[] = {"<pad>", "<unk>", "<eos>", "the", "cat", "dog"};
    assert_int_equal(b.vocab.n, 6);
    for (int i = 0; i < 6; i++)
        assert_string_equal(b.vocab.v[i], want[i]);
    assert_int_equal(b.split[DATA_SPLIT_TRAIN].n, 1);
    const float x[5] = {3, 4, 2, 3, 5}, y[5] = {4, 2, 3, 5, 2};
    expect_row(row_x(&b.split[DATA_SPLIT_TRAIN], 0), x, 5);
    expect_row(row_y(&b.split[DATA_SPLIT_TRAIN], 0), y, 5);
    data_free(&b);
    config_free(&c);

    snprintf(sub, sizeof sub, "%s", tu_tmp("empty_corpus"));
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(yaml, sizeof yaml, "{format: text, train: {file: %s}, text: {task: lm}}", sub);
    load_fails(yaml, "empty_corpus", "holds no files");
}

static void test_lm_sequences_in_file_order(void **state)
{
    tu_write(tu_tmp("c.txt"), "abcdefghij\n", (size_t)-1);
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "{format: text, train: {file: %s}, split: {dev: 0.2}, text: {seq_len: 3}}",
             tu_tmp("c.txt"));
    data_bundle b;
    dlc_config c;
    load_ok(&b, &c, yaml);
    assert_true(b.text && b.stateful);
    assert_int_equal(b.shape.ndim, 1);
    assert_int_equal(b.shape.d[0], 3);
    assert_int_equal(b.n_targets, 3);
    /* 11 characters; dev is the last 2 ("j\n"), train the 9 before */
    assert_int_equal(b.split[DATA_SPLIT_TRAIN].n, 3);
    assert_int_equal(b.split[DATA_SPLIT_DEV].n, 1);
    assert_int_equal(b.text_tokens[0], 8);
    assert_int_equal(b.text_tokens[2], 1);
    int id[128];
    for (int i = 0; i < 128; i++)
        id[i] = -1;
    for (int i = 0; i < b.vocab.n; i++)
        id[(unsigned char)b.vocab.v[i][0]] = i;
    /* train rows: abc->bcd, def->efg, gh.->hi- */
    const char *xs[3] = {"abc", "def", "gh"}, *ys[3] = {"bcd", "efg", "hi"};
    for (int r = 0; r < 3; r++) {
        for (int t = 0; t < 3; t++) {
            float wx = xs[r][t] ? (float)id[(int)xs[r][t]] : 0.0f;
            float wy = ys[r][t] ? (float)id[(int)ys[r][t]] : -1.0f;
            tu_close(row_x(&b.split[DATA_SPLIT_TRAIN], r)[t], wx, 0.0);
            tu_close(row_y(&b.split[DATA_SPLIT_TRAIN], r)[t], wy, 0.0);
        }
    }
    /* j and \n were not in train: <unk> */
    tu_close(row_x(&b.split[DATA_SPLIT_DEV], 0)[0], TEXT_UNK, 0.0);
    tu_close(row_y(&b.split[DATA_SPLIT_DEV], 0)[0], TEXT_UNK, 0.0);
    tu_close(row_y(&b.split[DATA_SPLIT_DEV], 0)[1], -1.0, 0.0);
    data_free(&b);
    config_free(&c);
}

/* Runs side by side: row i of batch j + 1 continues row i of batch j. */
static void test_stateful_batches_keep_order(void **state)
{
    /* the plan alone: 10 sequences, 3 runs of 4, 4 and 2 */
    data_bundle lm = {0};
    lm.text = 1;
    lm.stateful = 1;
    data_split s = {.ds = NULL, .n = 10, .idx = NULL};
    int order[10], starts[11];
    int nb = data_plan(&lm, &s, 3, NULL, order, starts);
    assert_int_equal(nb, 4);
    const int want[10] = {0, 4, 8, 1, 5, 9, 2, 6, 3, 7}, want_starts[5] = {0, 3, 6, 8, 10};
    for (int i = 0; i < 10; i++)
        assert_int_equal(order[i], want[i]);
    for (int i = 0; i < 5; i++)
        assert_int_equal(starts[i], want_starts[i]);

    /* on real sequences: each row's first input is the token its row in the
     * batch before predicted last */
    char text[2000];
    for (int i = 0; i < 1999; i++)
        text[i] = (char)('a' + (i * 7 + i / 26) % 26);
    text[1999] = '\0';
    tu_write(tu_tmp("stream.txt"), text, (size_t)-1);
    char yaml[512];
    snprintf(yaml, sizeof yaml, "{format: text, train: {file: %s}, text: {seq_len: 16}}",
             tu_tmp("stream.txt"));
    data_bundle b;
    dlc_config c;
    load_ok(&b, &c, yaml);
    int n = b.split[DATA_SPLIT_TRAIN].n, *ord = malloc(sizeof(int) * (size_t)n), *st = malloc(sizeof(int) * (size_t)(n + 1));
    assert_non_null(ord);
    assert_non_null(st);
    nb = data_plan(&b, &b.split[DATA_SPLIT_TRAIN], 8, NULL, ord, st);
    for (int k = 1; k < nb; k++) {
        int rows = st[k + 1] - st[k];
        assert_true(rows <= st[k] - st[k - 1]); /* a prefix of the runs */
        for (int i = 0; i < rows; i++) {
            const float *prev = row_y(&b.split[DATA_SPLIT_TRAIN], ord[st[k - 1] + i]);
            const float *cur = row_x(&b.split[DATA_SPLIT_TRAIN], ord[st[k] + i]);
            tu_close(cur[0], prev[15], 0.0);
        }
    }
    /* every sequence exactly once */
    int *seen = calloc((size_t)n, sizeof(int));
    for (int i = 0; i < n; i++)
        seen[ord[i]]++;
    for (int i = 0; i < n; i++)
        assert_int_equal(seen[i], 1);
    free(seen);
    free(ord);
    free(st);
    data_free(&b);
    config_free(&c);
}

static void test_tagged_sentences(void **state)
{
    tu_write(tu_tmp("tags.txt"),
             "The\tat\njury\tnn\nsaid\tvbd\nit\tpps\nagreed\tvbd\n\n"
             "  \nHe\tpps\nleft\tvbd\n\nIt\tpps\nrained\tvbd\n",
             (size_t)-1);
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "{format: text, train: {file: %s}, split: {test: 0.34}, "
             "text: {task: tag, tokens: words, seq_len: 3}}",
             tu_tmp("tags.txt"));
    data_bundle b;
    dlc_config c;
    load_ok(&b, &c, yaml);
    /* classes sorted: at nn pps vbd */
    assert_int_equal(b.heads[0].class_names.n, 4);
    assert_string_equal(b.heads[0].class_names.v[0], "at");
    assert_string_equal(b.heads[0].class_names.v[3], "vbd");
    /* 3 sentences, the last one is test; the first (5 tokens) is 2 rows */
    assert_int_equal(b.split[DATA_SPLIT_TRAIN].n, 3);
    assert_int_equal(b.split[DATA_SPLIT_TEST].n, 1);
    assert_int_equal(b.text_tokens[0], 7);
    assert_int_equal(b.text_tokens[3], 2);
    const float y0[3] = {0, 1, 3}, y1[3] = {2, 3, -1};
    expect_row(row_y(&b.split[DATA_SPLIT_TRAIN], 0), y0, 3);
    expect_row(row_y(&b.split[DATA_SPLIT_TRAIN], 1), y1, 3);
    tu_close(row_x(&b.split[DATA_SPLIT_TRAIN], 1)[2], TEXT_PAD, 0.0);
    /* "It" appears in test only: unknown */
    tu_close(row_x(&b.split[DATA_SPLIT_TEST], 0)[0], TEXT_UNK, 0.0);
    assert_false(b.stateful);
    data_free(&b);
    config_free(&c);
}

/* bilm: lines are examples cut into pieces of seq_len; per token the next
 * and the previous token of its piece (the forward and the backward
 * language model), the vocabulary as the classes, no <eos>. */
static void test_bilm_lines(void **state)
{
    tu_write(tu_tmp("lines.txt"), "a b c a b\n\n  \nc a\n", (size_t)-1);
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "{format: text, train: {file: %s}, text: {task: bilm, tokens: words, seq_len: 3}}",
             tu_tmp("lines.txt"));
    data_bundle b;
    dlc_config c;
    load_ok(&b, &c, yaml);
    /* <pad> <unk> a b c: a 3, b 2, c 2 (b before c in byte order) */
    assert_int_equal(b.vocab.n, 5);
    assert_string_equal(b.vocab.v[2], "a");
    assert_int_equal(b.heads[0].class_names.n, 5);
    assert_int_equal(b.n_targets, 6);
    assert_int_equal(b.split[DATA_SPLIT_TRAIN].n, 3); /* a b c | a b | c a */
    const data_split *tr = &b.split[DATA_SPLIT_TRAIN];
    const float x0[3] = {2, 3, 4}, y0[6] = {3, 4, -1, -1, 2, 3};
    const float x1[3] = {2, 3, 0}, y1[6] = {3, -1, -1, -1, 2, -1};
    const float x2[3] = {4, 2, 0}, y2[6] = {2, -1, -1, -1, 4, -1};
    expect_row(row_x(tr, 0), x0, 3);
    expect_row(row_y(tr, 0), y0, 6);
    expect_row(row_x(tr, 1), x1, 3);
    expect_row(row_y(tr, 1), y1, 6);
    expect_row(row_x(tr, 2), x2, 3);
    expect_row(row_y(tr, 2), y2, 6);
    assert_false(b.stateful);
    data_free(&b);
    config_free(&c);
}

/* chars: C: each step holds the word id and the word's first C bytes + 1
 * (0: none), the token's own bytes even when its id is <unk>. */
static void test_tag_chars(void **state)
{
    tu_write(tu_tmp("tagc.txt"), "The\tat\njury\tnn\n\nThe\tat\nfoxes\tnns\n", (size_t)-1);
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "{format: text, train: {file: %s}, text: {task: tag, tokens: words, seq_len: 2, "
             "min_count: 2, chars: 3}}",
             tu_tmp("tagc.txt"));
    data_bundle b;
    dlc_config c;
    load_ok(&b, &c, yaml);
    assert_int_equal(b.shape.ndim, 2);
    assert_int_equal(b.shape.d[0], 2);
    assert_int_equal(b.shape.d[1], 4);
    const float x0[8] = {2, 'T' + 1, 'h' + 1, 'e' + 1, TEXT_UNK, 'j' + 1, 'u' + 1, 'r' + 1};
    const float x1[8] = {2, 'T' + 1, 'h' + 1, 'e' + 1, TEXT_UNK, 'f' + 1, 'o' + 1, 'x' + 1};
    expect_row(row_x(&b.split[DATA_SPLIT_TRAIN], 0), x0, 8);
    expect_row(row_x(&b.split[DATA_SPLIT_TRAIN], 1), x1, 8);
    data_free(&b);
    config_free(&c);
    snprintf(yaml, sizeof yaml, "{format: text, train: {file: %s}, text: {task: lm, chars: 3}}",
             tu_tmp("tagc.txt"));
    load_fails(yaml, "data.text.chars: the bytes of each word are given to taggers of words", NULL);
}

static void test_classify_csv(void **state)
{
    tu_write(tu_tmp("rev.csv"),
             "id,text,label\n1,good fine film,pos\n2,\"bad, awful\",neg\n3,good,pos\n4,so bad,neg\n",
             (size_t)-1);
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "{format: text, train: {file: %s}, label: label, "
             "text: {task: classify, tokens: words, seq_len: 2}}",
             tu_tmp("rev.csv"));
    data_bundle b;
    dlc_config c;
    load_ok(&b, &c, yaml);
    assert_int_equal(b.split[DATA_SPLIT_TRAIN].n, 4);
    assert_int_equal(b.n_targets, 1);
    assert_int_equal(b.heads[0].class_names.n, 2);
    assert_string_equal(b.heads[0].class_names.v[0], "neg");
    tu_close(row_y(&b.split[DATA_SPLIT_TRAIN], 0)[0], 1.0, 0.0);
    tu_close(row_y(&b.split[DATA_SPLIT_TRAIN], 1)[0], 0.0, 0.0);
    /* "good fine film" cut to 2 tokens; "good" padded */
    int good = dlc_strlist_find(&b.vocab, "good");
    assert_true(good > 1);
    tu_close(row_x(&b.split[DATA_SPLIT_TRAIN], 0)[0], good, 0.0);
    tu_close(row_x(&b.split[DATA_SPLIT_TRAIN], 2)[1], TEXT_PAD, 0.0);
    assert_true(dlc_strlist_find(&b.vocab, "bad,") > 1); /* white space alone splits words */
    data_free(&b);
    config_free(&c);

    snprintf(yaml, sizeof yaml,
             "{format: text, train: {file: %s}, label: label, text: {task: classify, column: body}}",
             tu_tmp("rev.csv"));
    load_fails(yaml, "column 'body' is not in the header", NULL);
}

static void test_bad_corpora(void **state)
{
    char yaml[512];
    tu_write(tu_tmp("empty.txt"), "", 0);
    snprintf(yaml, sizeof yaml, "{format: text, train: {file: %s}}", tu_tmp("empty.txt"));
    load_fails(yaml, "empty.txt: empty file", NULL);

    tu_write(tu_tmp("latin1.txt"), "fine line\nna\xefve\n", (size_t)-1);
    snprintf(yaml, sizeof yaml, "{format: text, train: {file: %s}}", tu_tmp("latin1.txt"));
    load_fails(yaml, "latin1.txt:2:3: invalid UTF-8 (byte 0xef)", "must be UTF-8");

    tu_write(tu_tmp("surrogate.txt"), "ab\xed\xa0\x80\n", (size_t)-1);
    snprintf(yaml, sizeof yaml, "{format: text, train: {file: %s}}", tu_tmp("surrogate.txt"));
    load_fails(yaml, "surrogate.txt:1:3: invalid UTF-8", NULL);

    tu_write(tu_tmp("nul.txt"), "ab\0cd\n", 6);
    snprintf(yaml, sizeof yaml, "{format: text, train: {file: %s}}", tu_tmp("nul.txt"));
    load_fails(yaml, "nul.txt:1:3: NUL byte", NULL);

    tu_write(tu_tmp("blank.txt"), " \n\t\n", (size_t)-1);
    snprintf(yaml, sizeof yaml, "{format: text, train: {file: %s}, text: {tokens: words}}",
             tu_tmp("blank.txt"));
    load_fails(yaml, "blank.txt: no text", NULL);

    snprintf(yaml, sizeof yaml, "{format: text, train: {file: %s}}", tu_tmp("missing.txt"));
    load_fails(yaml, "missing.txt", NULL);

    tu_write(tu_tmp("badtag.txt"), "The at\njury nn extra\n", (size_t)-1);
    snprintf(yaml, sizeof yaml, "{format: text, train: {file: %s}, text: {task: tag}}",
             tu_tmp("badtag.txt"));
    load_fails(yaml, "badtag.txt:2: expected a token and its tag", NULL);

    tu_write(tu_tmp("tiny.txt"), "ab", (size_t)-1);
    snprintf(yaml, sizeof yaml, "{format: text, train: {file: %s}, split: {dev: 0.5}}",
             tu_tmp("tiny.txt"));
    load_fails(yaml, "too few to carve", NULL);

    tu_write(tu_tmp("ok.txt"), "hello\n", (size_t)-1);
    snprintf(yaml, sizeof yaml, "{format: text, train: {file: %s}}", tu_tmp("ok.txt"));
    data_bundle b;
    dlc_config c;
    dlc_error err = {0};
    assert_int_equal(load_data(&b, &c, yaml, &err), DLC_OK);
    data_free(&b);
    /* a text task needs class targets */
    assert_int_equal(data_load(&b, &c.data, DATA_TARGET_NUMERIC, 1, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "softmax_cross_entropy"));
    config_free(&c);
}

static void test_encode_and_vectors(void **state)
{
    data_text_config tc = {.task = TEXT_LM, .unit = TEXT_WORDS, .seq_len = 8, .min_count = 1};
    dlc_strlist v = {0};
    const char *words[] = {"<pad>", "<unk>", "<eos>", "the", "cat"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(dlc_strlist_push(&v, words[i], NULL), DLC_OK);
    float ids[8];
    dlc_error err = {0};
    assert_int_equal(data_text_encode(&tc, &v, "the dog cat\nthe", ids, 8, &err), 5);
    const float want[5] = {3, 1, 4, 2, 3};
    expect_row(ids, want, 5);
    assert_int_equal(data_text_encode(&tc, &v, "the cat the cat", ids, 2, &err), 2);
    assert_int_equal(data_text_encode(&tc, &v, "bad \xff", ids, 8, &err), -1);
    assert_non_null(strstr(err.msg, "invalid UTF-8"));
    tc.unit = TEXT_CHARS;
    assert_int_equal(data_text_encode(&tc, &v, "h\xc3\xa9", ids, 8, &err), 2); /* two characters */

    tu_write(tu_tmp("vec.txt"), "3 2\nthe 0.5 -1\ndog 1 2\ncat 3 4e-1\n", (size_t)-1);
    float E[10] = {0};
    int found = 0;
    assert_int_equal(data_text_vectors(tu_tmp("vec.txt"), &v, E, 2, &found, NULL, &err), DLC_OK);
    assert_int_equal(found, 2);
    tu_close(E[6], 0.5, 1e-7);
    tu_close(E[7], -1.0, 1e-7);
    tu_close(E[9], 0.4, 1e-7);
    tu_close(E[2], 0.0, 0.0); /* <unk>: not in the file */
    /* "Cat" and "THE" (a lowercased vocabulary's cat and the) are counted, not used */
    tu_write(tu_tmp("vec.txt"), "4 2\nCat 7 7\nTHE 7 7\nthe 0.25 1\nDog 7 7\n", (size_t)-1);
    int other = -1;
    assert_int_equal(data_text_vectors(tu_tmp("vec.txt"), &v, E, 2, &found, &other, &err), DLC_OK);
    assert_int_equal(found, 1);
    assert_int_equal(other, 1); /* cat: the's own row was found; dog is no word of the vocabulary */
    tu_close(E[6], 0.25, 1e-7);
    tu_close(E[8], 3.0, 1e-7); /* cat keeps the row it had */
    tu_write(tu_tmp("vec.txt"), "3 2\nthe 0.5 -1\ndog 1 2\ncat 3 4e-1\n", (size_t)-1);
    assert_int_equal(data_text_vectors(tu_tmp("vec.txt"), &v, E, 3, &found, NULL, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "vec.txt:1: the header says 2 dimensions, expected 3"));
    tu_write(tu_tmp("vec.txt"), "the 0.5 -1\ndog 1 2\n", (size_t)-1); /* GloVe: no header */
    assert_int_equal(data_text_vectors(tu_tmp("vec.txt"), &v, E, 3, &found, NULL, &err), DLC_EINPUT);
    assert_non_null(strstr(err.msg, "vec.txt:1: word 'the' has 2 numbers, expected 3"));
    dlc_strlist_clear(&v);
}

/* Tag and classify batches: grouped by length, every example once, full
 * batches but the last. */
/* 200 tagged sentences of lengths 1..23 in a scrambled order (seq_len 30). */
static const char *write_many(void)
{
    const char *path = tu_tmp("many.txt");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int s = 0; s < 200; s++) {
        int len = 1 + (s * 37) % 23;
        for (int t = 0; t < len; t++)
            fprintf(f, "w%d\tt%d\n", t % 5, t % 3);
        fprintf(f, "\n");
    }
    fclose(f);
    return path;
}

/* One past the last word of split row r (of seq_len 30). */
static int row_len(const data_split *s, int r)
{
    int len = 0;
    for (int t = 0; t < 30; t++)
        if (row_x(s, r)[t] > 0.5f)
            len = t + 1;
    return len;
}

static void test_bucketed_batches(void **state)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml, "{format: text, train: {file: %s}, text: {task: tag, seq_len: 30}}",
             write_many());
    data_bundle b;
    dlc_config c;
    load_ok(&b, &c, yaml);
    int n = b.split[DATA_SPLIT_TRAIN].n, order[200], starts[201];
    assert_int_equal(n, 200);
    dlc_rng rng;
    dlc_rng_seed(&rng, 1, 2);
    int nb = data_plan(&b, &b.split[DATA_SPLIT_TRAIN], 16, &rng, order, starts);
    assert_int_equal(nb, 13);
    int seen[200] = {0}, spread = 0;
    for (int k = 0; k < nb; k++) {
        int lo = 99, hi = 0;
        if (k < nb - 1)
            assert_int_equal(starts[k + 1] - starts[k], 16);
        for (int i = starts[k]; i < starts[k + 1]; i++) {
            seen[order[i]]++;
            int len = row_len(&b.split[DATA_SPLIT_TRAIN], order[i]);
            lo = len < lo ? len : lo;
            hi = len > hi ? len : hi;
        }
        spread += hi - lo;
    }
    for (int i = 0; i < 200; i++)
        assert_int_equal(seen[i], 1);
    assert_true(spread < nb * 4); /* lengths 1..23 at random would spread ~20 per batch */
    data_free(&b);
    config_free(&c);
}

/* What an evaluation pass handed its callback: each row once, with its
 * own targets, in order of length. */
typedef struct {
    const data_split *s;
    int seen[200], calls, last_len, n;
} eval_seen;

static void see_batch(void *user, const float *t, const int *rows, int N)
{
    eval_seen *e = user;
    assert_non_null(rows);
    e->calls++;
    for (int i = 0; i < N; i++) {
        assert_in_range(rows[i], 0, e->s->n - 1);
        e->seen[rows[i]]++;
        e->n++;
        expect_row(t + (size_t)i * 30, row_y(e->s, rows[i]), 30);
        int len = row_len(e->s, rows[i]);
        assert_true(len >= e->last_len);
        e->last_len = len;
    }
}

/* Evaluation reads a tagger's rows shortest first (a batch stops at its
 * longest sentence), and tells each batch which rows it holds. */
static void test_eval_rows_by_length(void **state)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "data: {format: text, train: {file: %s}, text: {task: tag, seq_len: 30}}\n"
             "model: {layers: [{type: embedding, units: 4}, {type: lstm, units: 3},\n"
             "                 {type: dense, units: auto}]}\n"
             "train: {batch_size: 16}\n",
             write_many());
    dlc_config c;
    data_bundle b;
    model m;
    dlc_error err = {0};
    if (config_load_string(&c, "t.yaml", yaml, strlen(yaml), NULL, 0, &err) != DLC_OK ||
        model_load_data(&b, &c, &err) != DLC_OK || model_build_for(&m, &c, &b, 16, &err) != DLC_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    const data_split *s = &b.split[DATA_SPLIT_TRAIN];
    int order[200];
    assert_int_equal(data_order_by_length(s, order), 1);
    for (int i = 1; i < 200; i++) /* ties stay in row order */
        assert_true(row_len(s, order[i - 1]) < row_len(s, order[i]) ||
                    (row_len(s, order[i - 1]) == row_len(s, order[i]) && order[i - 1] < order[i]));
    eval_seen e = {.s = s};
    float *t = malloc(sizeof(float) * 16 * 30);
    assert_non_null(t);
    model_run(&m, s, t, see_batch, &e);
    assert_int_equal(e.n, 200);
    assert_int_equal(e.calls, 13);
    for (int i = 0; i < 200; i++)
        assert_int_equal(e.seen[i], 1);
    free(t);
    model_free(&m);
    data_free(&b);
    config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocabulary_with_unknown_words),
        cmocka_unit_test(test_folder_in_name_order_lowercased),
        cmocka_unit_test(test_lm_sequences_in_file_order),
        cmocka_unit_test(test_stateful_batches_keep_order),
        cmocka_unit_test(test_tagged_sentences),
        cmocka_unit_test(test_bilm_lines),
        cmocka_unit_test(test_tag_chars),
        cmocka_unit_test(test_classify_csv),
        cmocka_unit_test(test_bad_corpora),
        cmocka_unit_test(test_encode_and_vectors),
        cmocka_unit_test(test_bucketed_batches),
        cmocka_unit_test(test_eval_rows_by_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
