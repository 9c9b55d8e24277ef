/* stylize_config.h - what a config's `stylize:` section says: style
 * transfer's costs on the network of model.layers (src/stylize reads it).
 *
 *   J = alpha J_content + beta J_style + tv TV(G),
 *   J_style = sum over the style layers l of lambda[l] J_style[l]
 *
 * with J_content on one layer and J_style[l] on the Gram matrix of layer l
 * (the loss table's content, style and total_variation rows).
 */
#ifndef DLC_STYLIZE_CONFIG_H
#define DLC_STYLIZE_CONFIG_H

#include "../graph/graph.h"

/* the content head and the style heads share the model's heads */
#define STYLIZE_MAX_LAYERS (GRAPH_MAX_OUTPUTS - 1)

/* Where G starts: the content image, or noise around the images' mean. */
typedef enum { STYLIZE_INIT_CONTENT, STYLIZE_INIT_NOISE, STYLIZE_INIT_COUNT } stylize_init;
extern const char *const stylize_init_names[STYLIZE_INIT_COUNT + 1];

typedef enum { STYLIZE_ADAM, STYLIZE_LBFGS, STYLIZE_OPT_COUNT } stylize_opt;
extern const char *const stylize_opt_names[STYLIZE_OPT_COUNT + 1];

typedef struct {
    int on;                          /* the config has a stylize: section */
    char content[GRAPH_NAME_MAX];    /* the content cost's layer */
    int n_style;                     /* style layers (1 .. STYLIZE_MAX_LAYERS when on) */
    char style[STYLIZE_MAX_LAYERS][GRAPH_NAME_MAX];
    double style_weight[STYLIZE_MAX_LAYERS];   /* lambda[l] */
    double alpha, beta, tv;          /* the weights of J */
    int steps;                       /* optimizer steps */
    int size;                        /* the longer side of G, in pixels */
    stylize_init init;
    stylize_opt optimizer;
    double lr;                       /* step size; -1 (null): the optimizer's default */
    int history;                     /* L-BFGS: pairs kept */
} stylize_config;

#endif
