/* test_architectures.c - the shipped architecture configs: parameter totals
 * equal the reference implementations' (torchvision 0.14 for AlexNet, VGG-16,
 * ResNet-18/50, GoogLeNet, MobileNetV2 and V3-Small; LeNet-5's classic count), and one forward and
 * backward step on each runs and gives finite values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/train/model.h"
#include "testutil.h"

static const struct {
    const char *file;
    size_t params;
} archs[] = {
    {"configs/architectures/lenet5.yaml", 61706},
    {"configs/architectures/alexnet.yaml", 61100840},
    {"configs/architectures/vgg16.yaml", 138357544},
    {"configs/architectures/resnet18.yaml", 11689512},
    {"configs/architectures/resnet50.yaml", 25557032},
    {"configs/architectures/inception.yaml", 6624904},
    {"configs/architectures/mobilenet_v2.yaml", 3504872},
    {"configs/architectures/mobilenet_v3_small.yaml", 2542856},
};

static void build(model *m, const char *file, int nmax)
{
    dlc_config cfg;
    dlc_error err = {0};
    if (config_load(&cfg, file, NULL, 0, &err) != DLC_OK ||
        model_build(m, &cfg, NULL, 0, nmax, &err) != DLC_OK) {
        print_error("%s: %s\n", file, err.msg);
        fail();
    }
    config_free(&cfg);
}

static void test_parameter_totals(void **state)
{
    for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++) {
        model m;
        build(&m, archs[i].file, 1);
        size_t tr, fr;
        graph_count_params(m.g, &tr, &fr);
        if (tr + fr != archs[i].params) {
            print_error("%s: %zu parameters, the reference has %zu\n", archs[i].file, tr + fr,
                        archs[i].params);
            fail();
        }
        model_free(&m);
    }
}

static void test_smoke_step(void **state)
{
    for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++) {
        if (tu_quick() && i > 0)
            break; /* valgrind: LeNet-5 only */
        const int N = i == 0 ? 2 : 1; /* one image suffices for the large ones */
        model m;
        build(&m, archs[i].file, N);
        graph *g = m.g;
        dlc_rng rng;
        dlc_rng_seed(&rng, 5, 0);
        graph_init_params(g, &rng);
        g->noise_seed = 5; /* dropout masks */
        float *x = graph_input(g, 0);
        for (size_t j = 0; j < (size_t)N * g->nodes[0].size; j++)
            x[j] = (float)dlc_rng_normal(&rng);
        graph_forward(g, N, 1);
        graph_node *o = graph_output(g, 0);
        assert_true(tensor_all_finite(o->out, (size_t)N * o->size));
        graph_zero_grad(g);
        for (size_t j = 0; j < (size_t)N * o->size; j++)
            o->grad[j] = (float)dlc_rng_normal(&rng) * 0.01f;
        graph_backward(g, N);
        if (!tensor_all_finite(g->grad_block, g->n_grads) ||
            tensor_sumsq(g->params[0].grad, g->params[0].n) == 0.0) {
            print_error("%s: the first layer's gradient is not finite or is zero\n", archs[i].file);
            fail();
        }
        model_free(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parameter_totals),
        cmocka_unit_test(test_smoke_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
