/* config_internal.h - private to src/config: the steps config_load chains
 * together (the YAML tree and the schema table have public headers of their
 * own, yaml_tree.h and schema.h):
 *
 *   ytree_parse (yaml_tree.c)            text -> tree of ynode with lines
 *   config_apply_override (override.c)   `--set a.b=v` edits the tree
 *   config_schema_convert (schema.c)     tree -> dlc_config, every default filled
 *   config_to_yaml (config.c)            dlc_config -> text, walking the same table
 */
#ifndef DLC_CONFIG_INTERNAL_H
#define DLC_CONFIG_INTERNAL_H

#include <stddef.h>

#include "config.h"
#include "schema.h"
#include "yaml_tree.h"

/* 1 when the top-level section `key` belongs in c: an embed config (c->embed.on)
 * has no model, loss, train or report; a model config no embed. */
int config_section_applies(const dlc_config *c, const char *key);

/* 0 for a train.optimizer or train.schedule key that c's optimizer or
 * schedule type does not read (config.yaml leaves it out); 1 otherwise. */
int config_key_applies(const dlc_config *c, const char *path);

/* Fills c (zeroed by the caller) from root.  default_name: the run name when
 * the config has none.  Errors are EINPUT "file:line: key 'a.b': ..." */
dlc_status config_schema_convert(dlc_config *c, ynode *root, const char *default_name,
                                 dlc_error *err);

/* ---- repeated blocks (blocks.c) ---- */

/* Replaces each {type: block} item of model.layers by the layers of the
 * block it names (model.blocks), substituting parameters, and removes
 * model.blocks.  Errors are EINPUT "file:line: key 'path': ...". */
dlc_status config_expand_blocks(ynode *root, dlc_error *err);

/* ---- overrides (override.c) ---- */

/* Applies text "key.path=value" to root.  origin ("--set key.path=value") is
 * borrowed by the new nodes and names the override in messages. */
dlc_status config_apply_override(ynode *root, const char *origin, const char *text,
                                 dlc_error *err);

#endif
