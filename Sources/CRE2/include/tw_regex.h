#ifndef TW_REGEX_H
#define TW_REGEX_H
/* RE2 behind a C interface: matching time is linear in the input, whatever the pattern. */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tw_regex tw_regex;

/* Compiles `pattern` (RE2 syntax, UTF-8). On failure returns NULL and, when `error` is not NULL,
   a malloc'ed message the caller frees. `whole` anchors the match at both ends. */
tw_regex *tw_regex_new(const char *pattern, size_t length, int ignore_case, int whole, char **error);
void tw_regex_free(tw_regex *regex);
/* 1 when the expression matches `text` (a search unless compiled `whole`), else 0. */
int tw_regex_matches(const tw_regex *regex, const char *text, size_t length);

#ifdef __cplusplus
}
#endif
#endif
