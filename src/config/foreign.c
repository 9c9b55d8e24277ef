/* foreign.c - the names Keras and PyTorch give to what dlc calls otherwise,
 * so that a config written by someone coming from them is answered with
 * dlc's name instead of a list of every valid one.  The edit-distance
 * suggestion misses these (categorical_crossentropy is nowhere near
 * softmax_cross_entropy) or, worse, finds a wrong one (learning_rate under
 * train.optimizer is nearest to stylize.learning_rate; PyTorch's Linear is
 * nearest to dlc's linear, the identity activation). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "schema.h"

typedef struct {
    const char *at;      /* key path; '*' stands for one list index */
    const char *name;    /* the other library's key or value, compared without case */
    const char *dlc;     /* what dlc reads instead */
    const char *note;    /* why, or how it differs; may be NULL */
} foreign_name;

/* Keys: `at` is the path of the key as written. */
static const foreign_name foreign_keys[] = {
    {"train.optimizer.*", "learning_rate", "lr", NULL},
    {"train.*", "learning_rate", "train.optimizer.lr", NULL},
    {"train.*", "weight_decay", "train.l2",
     "it adds (lambda / m) W to the gradient; AdamW's decoupled decay is train.optimizer.weight_decay "
     "with type adamw"},
    {"train.optimizer.*", "exclude_from_weight_decay", "train.no_decay",
     "Keras' AdamW.exclude_from_weight_decay: the parameters weight decay spares (biases, norms or "
     "globs over names such as '*.bias'); it applies to train.l2 too"},
    {"train.*", "exclude_from_weight_decay", "train.no_decay",
     "the parameters weight decay spares (biases, norms or globs over names such as '*.bias')"},
    {"train.optimizer.*", "no_decay", "train.no_decay", "one list for train.l2 and adamw's decay"},
    {"train.optimizer.*", "betas", "beta1", "and beta2, two keys"},
    {"train.optimizer.*", "epsilon", "eps", NULL},
    {"train.optimizer.*", "clipnorm", "train.clip_norm", "the norm of all gradients together"},
    {"train.optimizer.*", "global_clipnorm", "train.clip_norm", "the norm of all gradients together"},
    {"train.*", "clipnorm", "train.clip_norm", "the norm of all gradients together"},
    {"train.*", "patience", "train.early_stopping.patience", NULL},
    {"train.early_stopping.*", "monitor", "metric", "dev_loss or dev_accuracy"},
    {"train.*", "validation_split", "data.split.dev", NULL},
    {"data.*", "validation_split", "data.split.dev", NULL},
    {"data.split.*", "validation", "dev", "the share of the train file held out to compare epochs"},
    {"data.split.*", "val", "dev", "the share of the train file held out to compare epochs"},
    {"data.split.*", "valid", "dev", "the share of the train file held out to compare epochs"},
    {"train.*", "verbose", "--quiet", "a command-line option, not a key"},
    {"train.*", "loss", "loss", "a top-level key"},
    {"model.*", "input_shape", "model.input", NULL},
    /* a Sequential model's parts at the top of the file (init_from.layers
     * shares the name, so the schema cannot say which is meant) */
    {"*", "layers", "model.layers", "the model's layers go under model:"},
    {"*", "input_shape", "model.input", NULL},
    {"model.*", "inputs", "model.input", "a model has one input: an image and a table are one CSV row "
                                         "(the pixels, then the columns), cut apart by slice and reshape "
                                         "layers (README: \"Several outputs\")"},
    {"model.layers.*.*", "input_shape", "model.input", "one shape for the model, a top-level key of model:"},
    {"model.layers.*.*", "kernel_size", "kernel", NULL},
    {"model.layers.*.*", "pool_size", "kernel", "a pooling window is its kernel"},
    {"model.layers.*.*", "kernel_initializer", "init", NULL},
    {"model.layers.*.*", "scale_factor", "scale", "an upsample's factor per spatial axis"},
    {"model.layers.*.*", "upscale_factor", "scale", "a pixel shuffle's r"},
    {"model.layers.*.*", "downscale_factor", "scale", "a pixel unshuffle's r"},
    {"model.layers.*.*", "block_size", "scale", "a pixel shuffle's r"},
    {"model.layers.*.*", "size", "scale", "Keras' UpSampling2D(size): an upsample's factor per spatial axis"},
    {"model.layers.*.*", "interpolation", "mode", "an upsample's nearest or bilinear"},
    {"model.layers.*.*", "out_features", "units", NULL},
    {"model.layers.*.*", "hidden_size", "units", NULL},
    {"model.layers.*.*", "out_channels", "filters", NULL},
    {"model.layers.*.*", "p", "rate", "the share of units dropped"},
    {"model.layers.*.*", "bias", "use_bias", NULL},
    {"data.augment.*", "horizontal_flip", "hflip", NULL},
    {"data.augment.*", "random_flip", "hflip", NULL},
    {"data.augment.*", "width_shift_range", "crop_pad", "shifts of up to crop_pad pixels, both axes"},
    {"data.augment.*", "height_shift_range", "crop_pad", "shifts of up to crop_pad pixels, both axes"},
    {"data.augment.*", "random_crop", "crop_pad", "pad by crop_pad pixels, crop back at random"},
    {"data.augment.*", "rotation_range", "rotate", NULL},
    /* Keras' RandomRotation and torchvision's RandomRotation, RandomHorizontalFlip */
    {"data.augment.*", "rotation", "rotate", NULL},
    {"data.augment.*", "random_rotation", "rotate", NULL},
    {"data.augment.*", "random_horizontal_flip", "hflip", NULL},
    {"data.augment.*", "brightness_range", "brightness", NULL},
    /* pandas' read_csv and drop, scikit-learn's and Keras' class_weight */
#define BALANCED                                                                \
    "balance: classes draws every class equally often, the sampling form of "   \
    "class_weight='balanced'"
    {"data.*", "sep", "data.separator", NULL},
    {"data.*", "delimiter", "data.separator", NULL},
    {"data.*", "usecols", "data.features", NULL},
    {"data.*", "drop", "data.exclude", "the columns left out of every column"},
    {"data.*", "drop_columns", "data.exclude", "the columns left out of every column"},
    {"data.*", "ignore", "data.exclude", "the columns left out of every column"},
    {"data.*", "target", "data.label", NULL},
    {"data.*", "class_weight", "data.balance", BALANCED},
    {"train.*", "class_weight", "data.balance", BALANCED},
    {"*", "class_weight", "data.balance", BALANCED},
};

#define SOFTMAX_CE "softmax_cross_entropy", "it reads class labels, no one-hot needed"
#define SIGMOID_BCE "sigmoid_bce", "on logits: a final sigmoid is folded into it"
/* Values: `at` is the path of the key whose value was refused. */
static const foreign_name foreign_values[] = {
    {"loss", "categorical_crossentropy", SOFTMAX_CE},
    {"loss", "sparse_categorical_crossentropy", SOFTMAX_CE},
    {"loss", "crossentropyloss", SOFTMAX_CE},
    {"loss", "cross_entropy", SOFTMAX_CE},
    {"loss", "nllloss", SOFTMAX_CE},
    {"loss", "binary_crossentropy", SIGMOID_BCE},
    {"loss", "binary_cross_entropy", SIGMOID_BCE},
    {"loss", "bcewithlogitsloss", SIGMOID_BCE},
    {"loss", "bceloss", SIGMOID_BCE},
    {"loss", "mean_squared_error", "mse", NULL},
    {"loss", "mseloss", "mse", NULL},
    {"loss", "mae", "mse", "dlc has no absolute-error loss; its reports give mae"},
    {"loss", "mean_absolute_error", "mse", "dlc has no absolute-error loss; its reports give mae"},
    {"loss", "l1loss", "mse", "dlc has no absolute-error loss; its reports give mae"},
    {"model.layers.*.type", "maxpooling1d", "maxpool", "it pools every spatial axis"},
    {"model.layers.*.type", "maxpooling2d", "maxpool", "it pools every spatial axis"},
    {"model.layers.*.type", "maxpooling3d", "maxpool", "it pools every spatial axis"},
    {"model.layers.*.type", "maxpool1d", "maxpool", "it pools every spatial axis"},
    {"model.layers.*.type", "maxpool2d", "maxpool", "it pools every spatial axis"},
    {"model.layers.*.type", "maxpool3d", "maxpool", "it pools every spatial axis"},
    {"model.layers.*.type", "averagepooling2d", "avgpool", "it pools every spatial axis"},
    {"model.layers.*.type", "avgpool2d", "avgpool", "it pools every spatial axis"},
    {"model.layers.*.type", "globalaveragepooling2d", "global_avgpool", NULL},
    {"model.layers.*.type", "adaptiveavgpool2d", "global_avgpool", "to 1 x 1, flattened"},
    {"model.layers.*.type", "globalaveragepooling1d", "time_avgpool", "over a sequence's steps"},
    {"model.layers.*.type", "globalmaxpooling1d", "time_maxpool", "over a sequence's steps"},
    {"model.layers.*.type", "batchnormalization", "batchnorm", NULL},
    {"model.layers.*.type", "batchnorm1d", "batchnorm", NULL},
    {"model.layers.*.type", "batchnorm2d", "batchnorm", NULL},
    {"model.layers.*.type", "layernormalization", "layernorm", NULL},
    {"model.layers.*.type", "simplernn", "rnn", NULL},
    {"model.layers.*.type", "concatenate", "concat", NULL},
    {"model.layers.*.type", "upsampling1d", "upsample", "nearest neighbour, by scale"},
    {"model.layers.*.type", "upsampling2d", "upsample", "nearest neighbour, by scale"},
    {"model.layers.*.type", "upsampling3d", "upsample", "nearest neighbour, by scale"},
    {"model.layers.*.mode", "linear", "bilinear", "linear along every spatial axis, whatever their number"},
    {"model.layers.*.mode", "trilinear", "bilinear", "linear along every spatial axis, whatever their number"},
    {"model.layers.*.type", "pixelshuffle", "pixel_shuffle", "PyTorch's nn.PixelShuffle(r): scale: r"},
    {"model.layers.*.type", "depthtospace", "pixel_shuffle", "order: dcr is TensorFlow's depth_to_space"},
    {"model.layers.*.type", "depth_to_space", "pixel_shuffle", "order: dcr is TensorFlow's depth_to_space"},
    {"model.layers.*.type", "pixelunshuffle", "pixel_unshuffle", "PyTorch's nn.PixelUnshuffle(r): scale: r"},
    {"model.layers.*.type", "spacetodepth", "pixel_unshuffle", "order: dcr is TensorFlow's space_to_depth"},
    {"model.layers.*.type", "space_to_depth", "pixel_unshuffle", "order: dcr is TensorFlow's space_to_depth"},
    {"model.layers.*.type", "conv1dtranspose", "conv_transpose", "its spatial axes are its input's"},
    {"model.layers.*.type", "conv2dtranspose", "conv_transpose", "its spatial axes are its input's"},
    {"model.layers.*.type", "conv3dtranspose", "conv_transpose", "its spatial axes are its input's"},
    {"model.layers.*.type", "convtranspose1d", "conv_transpose", "its spatial axes are its input's"},
    {"model.layers.*.type", "convtranspose2d", "conv_transpose", "its spatial axes are its input's"},
    {"model.layers.*.type", "convtranspose3d", "conv_transpose", "its spatial axes are its input's"},
    {"model.layers.*.type", "conv1d_transpose", "conv_transpose", "its spatial axes are its input's"},
    {"model.layers.*.type", "conv2d_transpose", "conv_transpose", "its spatial axes are its input's"},
    {"model.layers.*.type", "conv3d_transpose", "conv_transpose", "its spatial axes are its input's"},
    {"model.layers.*.type", "deconvolution2d", "conv_transpose", "a transposed convolution"},
    {"model.layers.*.type", "Linear", "dense",
     "PyTorch's nn.Linear; dlc's linear is the identity activation"},
    {"model.layers.*.init", "he_normal", "he", NULL},
    {"model.layers.*.init", "kaiming_normal", "he", NULL},
    {"model.layers.*.init", "he_uniform", "he", "normal, with the same variance"},
    {"model.layers.*.init", "kaiming_uniform", "he", "normal, with the same variance"},
    {"model.layers.*.init", "glorot_normal", "glorot", NULL},
    {"model.layers.*.init", "glorot_uniform", "glorot", "normal, with the same variance"},
    {"model.layers.*.init", "xavier_normal", "glorot", "dlc's xavier is sqrt(1 / n_in), LeCun's"},
    {"model.layers.*.init", "xavier_uniform", "glorot", "dlc's xavier is sqrt(1 / n_in), LeCun's"},
    {"model.layers.*.init", "lecun_normal", "xavier", "sqrt(1 / n_in)"},
    {"train.early_stopping.metric", "val_loss", "dev_loss", NULL},
    {"train.early_stopping.metric", "val_accuracy", "dev_accuracy", NULL},
    {"train.schedule.type", "exponentialdecay", "exponential", NULL},
    {"train.schedule.type", "exponentiallr", "exponential", NULL},
    {"train.schedule.type", "inversetimedecay", "inverse_time", NULL},
    {"train.schedule.type", "steplr", "step", NULL},
    {"train.schedule.type", "multisteplr", "manual", "[epoch, lr] points"},
    {"train.schedule.type", "piecewiseconstantdecay", "manual", "[epoch, lr] points"},
    {"train.schedule.type", "cosinedecay", "cosine", NULL},
    {"train.schedule.type", "cosineannealinglr", "cosine", NULL},
    {"train.schedule.type", "onecyclelr", "cosine", "with warmup"},
    {"train.schedule.type", "onecycle", "cosine", "with warmup"},
    {"train.schedule.type", "one_cycle", "cosine", "with warmup"},
    {"train.schedule.type", "cosine_annealing", "cosine", NULL},
    {"train.schedule.type", "exponential_decay", "exponential", NULL},
    {"train.schedule.type", "reducelronplateau", "plateau",
     "patience counts as Keras' does: PyTorch's patience p is p + 1 here"},
    {"train.schedule.type", "reduce_lr_on_plateau", "plateau",
     "patience counts as Keras' does: PyTorch's patience p is p + 1 here"},
};

/* path against a pattern whose '*' stands for one dot-separated part */
static int path_matches(const char *pattern, const char *path)
{
    while (*pattern && *path) {
        if (*pattern == '*') {
            pattern++;
            while (*path && *path != '.')
                path++;
            continue;
        }
        if (*pattern != *path)
            return 0;
        pattern++;
        path++;
    }
    return !*pattern && !*path;
}

static const char *lookup(const foreign_name *t, size_t n, const char *at, const char *name,
                          char *buf, size_t size)
{
    for (size_t i = 0; i < n; i++) {
        /* a capitalized entry (PyTorch's Linear) is compared with its case:
         * dlc's own lower-case name is valid */
        int exact_case = t[i].name[0] >= 'A' && t[i].name[0] <= 'Z';
        if ((exact_case ? strcmp(t[i].name, name) : strcasecmp(t[i].name, name)) != 0 ||
            !path_matches(t[i].at, at))
            continue;
        snprintf(buf, size, "dlc's name: '%s'%s%s", t[i].dlc, t[i].note ? "; " : "",
                 t[i].note ? t[i].note : "");
        return buf;
    }
    return NULL;
}

const char *config_foreign_key(const char *path, char *buf, size_t size)
{
    const char *dot = strrchr(path, '.');
    /* the pattern's last part is '*': match the parent, then the key */
    return lookup(foreign_keys, sizeof foreign_keys / sizeof *foreign_keys, path,
                  dot ? dot + 1 : path, buf, size);
}

const char *config_foreign_value(const char *path, const char *value, char *buf, size_t size)
{
    return lookup(foreign_values, sizeof foreign_values / sizeof *foreign_values, path, value,
                  buf, size);
}

const char *config_bracket_key(const char *path, char *buf, size_t size)
{
    if (!strchr(path, '['))
        return NULL;
    char dotted[512];
    size_t o = 0;
    for (const char *p = path; *p && o + 2 < sizeof dotted; p++) {
        size_t n = 0;
        if (*p == '[') {
            n = p[1] == '-'; /* [-1]: the last, as in Python */
            while (p[1 + n] >= '0' && p[1 + n] <= '9')
                n++;
            if (n == (size_t)(p[1] == '-') || p[1 + n] != ']')
                return NULL;
            if (o + n + 2 >= sizeof dotted)
                return NULL;
            dotted[o++] = '.';
            memcpy(dotted + o, p + 1, n);
            o += n;
            p += n + 1;
            continue;
        }
        dotted[o++] = *p;
    }
    dotted[o] = '\0';
    snprintf(buf, size, "a list item is named by its index after a dot: '%s'", dotted);
    return buf;
}
