/* json.c - a small, strict RFC 8259 parser into a DOM, and a string writer.
 *
 * Used for safetensors headers, which come from untrusted files: every byte is
 * checked (UTF-8 included), nesting is limited, and an error names the byte
 * offset of the problem.  Deliberately stricter than the RFC in two places:
 * duplicate object keys are an error (RFC: names "SHOULD be unique"; a reader
 * that silently keeps one of two tensors is worse than one that refuses), and
 * "\u0000" is refused because decoded strings are NUL-terminated C strings.
 */
#include "io.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

typedef struct {
    const unsigned char *s;
    size_t n;
    size_t pos;
    int depth;
    dlc_error *err;
} json_parser;

static dlc_status jp_fail(json_parser *p, size_t at, const char *problem)
{
    return dlc_fail(p->err, DLC_EINPUT, "JSON: %s at byte %zu", problem, at);
}

static dlc_status jp_nomem(json_parser *p)
{
    return DLC_NOMEM(p->err);
}

static void jp_skip_ws(json_parser *p)
{
    while (p->pos < p->n) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

void json_free(json_value *v)
{
    if (!v)
        return;
    free(v->string);
    for (int i = 0; i < v->n; i++) {
        if (v->keys)
            free(v->keys[i]);
        if (v->items)
            json_free(v->items[i]);
    }
    free(v->keys);
    free(v->items);
    free(v);
}

/* ---- strings ---- */

typedef struct {
    char *s;
    size_t len, cap;
} jp_str;

static int jp_str_put(jp_str *b, const unsigned char *src, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns)
            return -1;
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, src, n);
    b->len += n;
    b->s[b->len] = '\0';
    return 0;
}

static int jp_put_codepoint(jp_str *b, uint32_t cp)
{
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | (cp >> 18));
        u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return jp_str_put(b, u, n);
}

/* Length of the well-formed UTF-8 sequence at s[0..n) (1..4), or 0 if it is
 * malformed: overlong forms, UTF-16 surrogates and code points past U+10FFFF
 * are refused, following the table in RFC 3629 section 4. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

static int hex4(const unsigned char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Reads "\uXXXX" at p->pos (pointing at the backslash). */
static dlc_status jp_u_escape(json_parser *p, uint32_t *out)
{
    size_t at = p->pos;
    if (p->n - p->pos < 6)
        return jp_fail(p, at, "truncated \\u escape");
    if (hex4(p->s + p->pos + 2, out) != 0)
        return jp_fail(p, at, "\\u must be followed by 4 hex digits");
    p->pos += 6;
    return DLC_OK;
}

/* A string at p->pos (pointing at the opening quote) -> new UTF-8 C string. */
static dlc_status jp_string(json_parser *p, char **out)
{
    jp_str b = {0};
    dlc_status st = DLC_OK;
    *out = NULL;
    p->pos++; /* opening quote */
    if (jp_str_put(&b, (const unsigned char *)"", 0) != 0) {
        st = jp_nomem(p);
        goto cleanup;
    }
    for (;;) {
        if (p->pos >= p->n) {
            st = jp_fail(p, p->pos, "unterminated string");
            goto cleanup;
        }
        unsigned char c = p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            st = jp_fail(p, p->pos, "control character in string (must be escaped)");
            goto cleanup;
        }
        if (c != '\\') {
            /* copy a run of plain bytes, validating UTF-8 on the way */
            size_t start = p->pos;
            while (p->pos < p->n) {
                unsigned char d = p->s[p->pos];
                if (d == '"' || d == '\\' || d < 0x20)
                    break;
                size_t k = utf8_seq_len(p->s + p->pos, p->n - p->pos);
                if (k == 0) {
                    st = jp_fail(p, p->pos, "invalid UTF-8 in string");
                    goto cleanup;
                }
                p->pos += k;
            }
            if (jp_str_put(&b, p->s + start, p->pos - start) != 0) {
                st = jp_nomem(p);
                goto cleanup;
            }
            continue;
        }
        /* an escape */
        size_t at = p->pos;
        if (p->pos + 1 >= p->n) {
            st = jp_fail(p, at, "unterminated string");
            goto cleanup;
        }
        unsigned char e = p->s[p->pos + 1];
        unsigned char lit;
        switch (e) {
        case '"': lit = '"'; break;
        case '\\': lit = '\\'; break;
        case '/': lit = '/'; break;
        case 'b': lit = '\b'; break;
        case 'f': lit = '\f'; break;
        case 'n': lit = '\n'; break;
        case 'r': lit = '\r'; break;
        case 't': lit = '\t'; break;
        case 'u': lit = 0; break;
        default:
            st = jp_fail(p, at, "invalid escape in string");
            goto cleanup;
        }
        if (e != 'u') {
            p->pos += 2;
            if (jp_str_put(&b, &lit, 1) != 0) {
                st = jp_nomem(p);
                goto cleanup;
            }
            continue;
        }
        uint32_t cp;
        if ((st = jp_u_escape(p, &cp)) != DLC_OK)
            goto cleanup;
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            st = jp_fail(p, at, "unpaired low surrogate in \\u escape");
            goto cleanup;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            /* must be followed by a low surrogate escape */
            uint32_t lo;
            if (p->n - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
                st = jp_fail(p, at, "unpaired high surrogate in \\u escape");
                goto cleanup;
            }
            if ((st = jp_u_escape(p, &lo)) != DLC_OK)
                goto cleanup;
            if (lo < 0xDC00 || lo > 0xDFFF) {
                st = jp_fail(p, at, "unpaired high surrogate in \\u escape");
                goto cleanup;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (cp == 0) {
            st = jp_fail(p, at, "\\u0000 is not supported in strings");
            goto cleanup;
        }
        if (jp_put_codepoint(&b, cp) != 0) {
            st = jp_nomem(p);
            goto cleanup;
        }
    }
    *out = b.s;
    b.s = NULL;
cleanup:
    free(b.s);
    return st;
}

/* ---- numbers ---- */

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static dlc_status jp_number(json_parser *p, double *out)
{
    /* grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
    size_t start = p->pos, i = p->pos;
    const unsigned char *s = p->s;
    if (i < p->n && s[i] == '-')
        i++;
    if (i >= p->n || !is_digit(s[i]))
        return jp_fail(p, i, "invalid number: expected a digit");
    if (s[i] == '0') {
        i++;
        if (i < p->n && is_digit(s[i]))
            return jp_fail(p, i, "invalid number: leading zero");
    } else {
        while (i < p->n && is_digit(s[i]))
            i++;
    }
    if (i < p->n && s[i] == '.') {
        i++;
        if (i >= p->n || !is_digit(s[i]))
            return jp_fail(p, i, "invalid number: expected a digit after '.'");
        while (i < p->n && is_digit(s[i]))
            i++;
    }
    if (i < p->n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= p->n || !is_digit(s[i]))
            return jp_fail(p, i, "invalid number: expected a digit in the exponent");
        while (i < p->n && is_digit(s[i]))
            i++;
    }
    /* strtod needs a terminated copy (the input need not be); the grammar
     * above is a subset of strtod's in the "C" locale, which dlc never
     * changes. */
    size_t len = i - start;
    char small[64];
    char *tok = len < sizeof small ? small : malloc(len + 1);
    if (!tok)
        return jp_nomem(p);
    memcpy(tok, s + start, len);
    tok[len] = '\0';
    errno = 0;
    double v = strtod(tok, NULL);
    int range = errno == ERANGE && isinf(v);
    if (tok != small)
        free(tok);
    if (range)
        return jp_fail(p, start, "number out of range");
    p->pos = i;
    *out = v;
    return DLC_OK;
}

/* ---- values ---- */

static dlc_status jp_value(json_parser *p, json_value **out);

static int jp_literal(json_parser *p, const char *word)
{
    size_t k = strlen(word);
    if (p->n - p->pos < k || memcmp(p->s + p->pos, word, k) != 0)
        return 0;
    p->pos += k;
    return 1;
}

/* grows v->items (and v->keys for objects) to hold one more */
static int jp_grow(json_value *v, int *cap)
{
    if (v->n < *cap)
        return 0;
    if (*cap > (1 << 28))
        return -1;
    int ncap = *cap ? 2 * *cap : 8;
    json_value **ni = realloc(v->items, sizeof *ni * (size_t)ncap);
    if (!ni)
        return -1;
    v->items = ni;
    if (v->type == JSON_OBJECT) {
        char **nk = realloc(v->keys, sizeof *nk * (size_t)ncap);
        if (!nk)
            return -1;
        v->keys = nk;
    }
    *cap = ncap;
    return 0;
}

typedef struct {
    const char *key;
    size_t at;
} jp_keyref;

static int keyref_cmp(const void *a, const void *b)
{
    const jp_keyref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* Refuses duplicate keys; sorting keeps this O(n log n) for huge headers. */
static dlc_status jp_check_dups(json_parser *p, const json_value *v, const size_t *key_at)
{
    if (v->n < 2)
        return DLC_OK;
    jp_keyref *r = malloc(sizeof *r * (size_t)v->n);
    if (!r)
        return jp_nomem(p);
    for (int i = 0; i < v->n; i++) {
        r[i].key = v->keys[i];
        r[i].at = key_at[i];
    }
    qsort(r, (size_t)v->n, sizeof *r, keyref_cmp);
    dlc_status st = DLC_OK;
    for (int i = 1; i < v->n; i++) {
        if (strcmp(r[i - 1].key, r[i].key) == 0) {
            st = jp_fail(p, r[i].at, "duplicate key in object");
            break;
        }
    }
    free(r);
    return st;
}

static dlc_status jp_container(json_parser *p, json_value *v)
{
    int is_obj = v->type == JSON_OBJECT;
    unsigned char close = is_obj ? '}' : ']';
    int cap = 0, key_cap = 0;
    size_t *key_at = NULL; /* (cap) byte offset of each key, for messages */
    dlc_status st = DLC_OK;

    if (++p->depth > JSON_MAX_DEPTH) {
        st = jp_fail(p, p->pos, "nesting deeper than 64 levels");
        goto cleanup;
    }
    p->pos++; /* '{' or '[' */
    jp_skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == close) {
        p->pos++;
        goto cleanup;
    }
    for (;;) {
        if (jp_grow(v, &cap) != 0) {
            st = jp_nomem(p);
            goto cleanup;
        }
        if (is_obj) {
            if (key_cap < cap) {
                size_t *nk = realloc(key_at, sizeof *nk * (size_t)cap);
                if (!nk) {
                    st = jp_nomem(p);
                    goto cleanup;
                }
                key_at = nk;
                key_cap = cap;
            }
            jp_skip_ws(p);
            if (p->pos >= p->n) {
                st = jp_fail(p, p->pos, "unexpected end of input, expected a key");
                goto cleanup;
            }
            if (p->s[p->pos] != '"') {
                st = jp_fail(p, p->pos, "expected a string key");
                goto cleanup;
            }
            key_at[v->n] = p->pos;
            char *key;
            if ((st = jp_string(p, &key)) != DLC_OK)
                goto cleanup;
            v->keys[v->n] = key;
            v->items[v->n] = NULL;
            v->n++; /* counted now so json_free releases the key on error */
            jp_skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != ':') {
                st = jp_fail(p, p->pos, "expected ':' after key");
                goto cleanup;
            }
            p->pos++;
            if ((st = jp_value(p, &v->items[v->n - 1])) != DLC_OK)
                goto cleanup;
        } else {
            json_value *item;
            if ((st = jp_value(p, &item)) != DLC_OK)
                goto cleanup;
            v->items[v->n++] = item;
        }
        jp_skip_ws(p);
        if (p->pos >= p->n) {
            st = jp_fail(p, p->pos,
                         is_obj ? "unexpected end of input, expected ',' or '}'"
                                : "unexpected end of input, expected ',' or ']'");
            goto cleanup;
        }
        unsigned char c = p->s[p->pos];
        if (c == ',') {
            p->pos++;
            continue;
        }
        if (c == close) {
            p->pos++;
            break;
        }
        st = jp_fail(p, p->pos, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        goto cleanup;
    }
    if (is_obj)
        st = jp_check_dups(p, v, key_at);
cleanup:
    p->depth--;
    free(key_at);
    return st;
}

static dlc_status jp_value(json_parser *p, json_value **out)
{
    dlc_status st = DLC_OK;
    *out = NULL;
    jp_skip_ws(p);
    if (p->pos >= p->n)
        return jp_fail(p, p->pos, "unexpected end of input, expected a value");
    json_value *v = calloc(1, sizeof *v);
    if (!v)
        return jp_nomem(p);
    unsigned char c = p->s[p->pos];
    switch (c) {
    case '{':
        v->type = JSON_OBJECT;
        st = jp_container(p, v);
        break;
    case '[':
        v->type = JSON_ARRAY;
        st = jp_container(p, v);
        break;
    case '"':
        v->type = JSON_STRING;
        st = jp_string(p, &v->string);
        break;
    case 't':
    case 'f':
    case 'n':
        if (jp_literal(p, "true")) {
            v->type = JSON_BOOL;
            v->number = 1;
        } else if (jp_literal(p, "false")) {
            v->type = JSON_BOOL;
        } else if (jp_literal(p, "null")) {
            v->type = JSON_NULL;
        } else {
            st = jp_fail(p, p->pos, "invalid literal (expected true, false or null)");
        }
        break;
    default:
        if (c == '-' || is_digit(c)) {
            v->type = JSON_NUMBER;
            st = jp_number(p, &v->number);
        } else {
            st = jp_fail(p, p->pos, "unexpected character, expected a value");
        }
        break;
    }
    if (st != DLC_OK) {
        json_free(v);
        return st;
    }
    *out = v;
    return DLC_OK;
}

dlc_status json_parse(json_value **out, const char *text, size_t len, dlc_error *err)
{
    json_parser p = {(const unsigned char *)text, len, 0, 0, err};
    json_value *v = NULL;
    *out = NULL;
    dlc_status st = jp_value(&p, &v);
    if (st != DLC_OK)
        return st;
    jp_skip_ws(&p);
    if (p.pos < p.n) {
        json_free(v);
        return jp_fail(&p, p.pos, "unexpected data after the value");
    }
    *out = v;
    return DLC_OK;
}

const json_value *json_get(const json_value *v, const char *key)
{
    if (!v || v->type != JSON_OBJECT)
        return NULL;
    for (int i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], key) == 0)
            return v->items[i];
    return NULL;
}

void json_write_number(dlc_buf *b, double v)
{
    if (isfinite(v))
        dlc_buf_printf(b, "%.9g", v);
    else
        dlc_buf_append(b, "null", 4);
}

void json_write_warnings(dlc_buf *b, const dlc_strlist *w)
{
    dlc_buf_append(b, "\"warnings\": [", 13);
    for (int i = 0; i < w->n; i++) {
        if (i)
            dlc_buf_append(b, ", ", 2);
        json_write_string(b, w->v[i]);
    }
    dlc_buf_append(b, "]", 1);
}

void json_write_string(dlc_buf *b, const char *s)
{
    dlc_buf_append(b, "\"", 1);
    const char *run = s;
    for (const char *c = s; *c;) {
        unsigned char u = (unsigned char)*c;
        int n = u >= 0x80 ? dlc_utf8_char(c) : 1;
        if (n > 1 || (n == 1 && u != '"' && u != '\\' && u >= 0x20)) {
            c += n;
            continue;
        }
        dlc_buf_append(b, run, (size_t)(c - run));
        if (n == 0) /* a byte that is not UTF-8 (a file name in Latin-1): JSON text is UTF-8 */
            dlc_buf_append(b, "\\ufffd", 6);
        else if (u == '"')
            dlc_buf_append(b, "\\\"", 2);
        else if (u == '\\')
            dlc_buf_append(b, "\\\\", 2);
        else
            dlc_buf_printf(b, "\\u%04x", u);
        run = ++c;
    }
    dlc_buf_append(b, run, strlen(run));
    dlc_buf_append(b, "\"", 1);
}

void json_write_strings(dlc_buf *b, const dlc_strlist *l)
{
    dlc_buf_printf(b, "[");
    for (int i = 0; i < l->n; i++) {
        if (i)
            dlc_buf_printf(b, ",");
        json_write_string(b, l->v[i]);
    }
    dlc_buf_printf(b, "]");
}
