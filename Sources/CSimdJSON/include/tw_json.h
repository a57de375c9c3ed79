#ifndef TW_JSON_H
#define TW_JSON_H
/*
 * trailwatch's hot path: simdjson's stage 1 (UTF-8 check, structural index) per event line, then one pass
 * over that index that checks the JSON grammar and copies out only the values at the paths the loaded rules
 * use (a trie of path segments); lines it cannot vouch for go through simdjson's full DOM parse instead,
 * so every line is validated exactly as the DOM parser would. Plain C so Swift imports it without C++
 * interop.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    TW_MISSING = 0,
    TW_NULL = 1,
    TW_FALSE = 2,
    TW_TRUE = 3,
    TW_NUMBER = 4,
    TW_STRING = 5,
    TW_OBJECT = 6,
    TW_ARRAY = 7,
    /* Not known yet: the value lies inside a JSON-in-string member that is parsed only when asked
       (tw_resolve), or is such a member's own text, when it has escapes to decode (also done then).
       Slots marked with tw_plan_never_pending are always filled. */
    TW_PENDING = 8
} tw_kind;

/* One extracted value. Pointers stay valid until the next tw_extract on the same extractor, as long as the
   line given to tw_extract is left unchanged: string values may point into it. */
typedef struct {
    const char *ptr;   /* TW_STRING: the unescaped UTF-8 text; TW_OBJECT/TW_ARRAY: compact JSON text */
    size_t len;
    double number;     /* TW_NUMBER */
    int64_t integer;   /* TW_NUMBER when is_integer */
    uint8_t kind;      /* tw_kind */
    uint8_t is_integer;
} tw_value;

typedef struct tw_plan tw_plan;

tw_plan *tw_plan_new(void);
void tw_plan_free(tw_plan *plan);
/* Adds a path (scope 0: the CADF event, 1: the envelope) given as segments; returns its slot.
   The same path added twice returns the same slot. */
int32_t tw_plan_add(tw_plan *plan, int32_t scope, const char *const *segments, const size_t *lengths, size_t count);
size_t tw_plan_slot_count(const tw_plan *plan);
/* Object and array values at `slot` are written out as compact JSON text (group keys, templates need
   it); other slots only record the kind, since no operator matches an object or an array. */
void tw_plan_keep_text(tw_plan *plan, int32_t slot);
/* The slot is always filled by tw_extract, never left TW_PENDING (values every event needs: its time, id). */
void tw_plan_never_pending(tw_plan *plan, int32_t slot);

typedef struct tw_extractor tw_extractor;

/* The extractor copies the plan; the plan may be freed afterwards. */
tw_extractor *tw_extractor_new(const tw_plan *plan);
void tw_extractor_free(tw_extractor *extractor);

enum { TW_OK = 0, TW_NOT_JSON = 1, TW_NOT_OBJECT = 2 };

/* Parses one line and fills the slots. `capacity` is how many bytes are readable from `buf`:
   with capacity >= len + tw_padding() the line is parsed in place, otherwise it is copied. String values
   may point into `buf` (no copy): keep it unchanged while reading the slots. */
int tw_extract(tw_extractor *extractor, const char *buf, size_t len, size_t capacity);
const tw_value *tw_slots(const tw_extractor *extractor);
/* Whether some slots of the last event are TW_PENDING. */
int tw_has_pending(const tw_extractor *extractor);
/* Parses the JSON-in-string members the last event deferred and fills their slots (no pending slot is left). */
void tw_resolve(tw_extractor *extractor);
/* Why the last tw_extract failed (static text). */
const char *tw_last_error(const tw_extractor *extractor);
size_t tw_padding(void);

#ifdef __cplusplus
}
#endif
#endif
