#include "tw_json.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <deque>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace simdjson;

/* Small helpers of the per-key loop, inlined into it (clang at -O2 left them as calls). */
#define TW_HOT __attribute__((always_inline)) inline

namespace {

/* One node of the path trie. A segment made only of digits also indexes arrays. */
struct Node {
    std::vector<std::pair<std::string, int32_t>> children;
    std::vector<std::pair<size_t, int32_t>> indexChildren;  // digit segments, as array indexes
    std::vector<int32_t> subtreeSlots;                      // this node's slot and all below it
    int32_t slot = -1;
    int32_t parent = -1;
};

bool allDigits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) if (c < '0' || c > '9') return false;
    return true;
}

/* A bit per backslash among the 64 bytes at p (the line is padded, so reading past its end is safe). */
inline uint64_t backslashes64(const char *p) {
#ifdef __SSE2__
    const __m128i bs = _mm_set1_epi8('\\');
    uint64_t m = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 16 * k));
        m |= uint64_t(uint32_t(_mm_movemask_epi8(_mm_cmpeq_epi8(v, bs)))) << (16 * k);
    }
    return m;
#else
    uint64_t m = 0;
    for (int k = 0; k < 64; k++) m |= uint64_t(p[k] == '\\') << k;
    return m;
#endif
}

#if defined(__x86_64__)
/* The same with AVX2 (two compares instead of four), used when the CPU has it (`cpuHasAVX2`). */
__attribute__((target("avx2"))) inline uint64_t backslashes64AVX2(const char *p) {
    const __m256i bs = _mm256_set1_epi8('\\');
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + 32));
    return uint64_t(uint32_t(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, bs)))) |
           uint64_t(uint32_t(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, bs)))) << 32;
}
#endif

/* Keys are short: compared 8 bytes at a time. `name` has 8 zero bytes after it; `key` lies in a padded line. */
inline bool sameKey(const char *name, const char *key, size_t len) {
    uint64_t a, b;
    for (; len >= 8; name += 8, key += 8, len -= 8) {
        std::memcpy(&a, name, 8);
        std::memcpy(&b, key, 8);
        if (a != b) return false;
    }
    if (len == 0) return true;
    std::memcpy(&a, name, 8);
    std::memcpy(&b, key, 8);
    return ((a ^ b) & ((uint64_t(1) << (len * 8)) - 1)) == 0;
}

/* A key's first 8 bytes, zero beyond its end: compared whole before the rest of a long key. */
inline uint64_t keyHead(const char *key, size_t len) {
    uint64_t w;
    std::memcpy(&w, key, 8);
    return len >= 8 ? w : w & ((uint64_t(1) << (len * 8)) - 1);
}

/* Every trie node's children, found by key: one open-addressing table per node, all in one array, so a
   lookup (about 30 per event) is a hash of the key's head and usually one probe. */
class ChildIndex {
    struct Entry { uint64_t head; uint32_t length; int32_t node; uint32_t rest; };  // node < 0: empty
    struct Table { uint32_t offset; uint32_t mask; };                               // mask + 1 entries
    std::vector<Table> tables;  // per node; mask 0 and an empty entry for a node without children
    std::vector<Entry> entries;
    std::string rests;  // bytes 8... of the longer names, each followed by 8 zero bytes

    static size_t bucket(uint64_t head, size_t len) { return size_t(((head ^ len) * 0x9E3779B97F4A7C15ull) >> 40); }

public:
    void build(const std::vector<Node> &nodes) {
        entries.assign(1, Entry{0, 0, -1, 0});  // the shared empty table
        tables.clear();
        for (const Node &n : nodes) {
            if (n.children.empty()) { tables.push_back(Table{0, 0}); continue; }
            size_t size = 4;
            while (size < n.children.size() * 4) size <<= 1;  // mostly one probe, misses included
            const uint32_t offset = uint32_t(entries.size());
            entries.resize(entries.size() + size, Entry{0, 0, -1, 0});
            for (const auto &c : n.children) {
                const std::string padded = c.first + std::string(8, '\0');
                const uint64_t head = keyHead(padded.data(), c.first.size());
                uint32_t rest = uint32_t(rests.size());
                if (c.first.size() > 8) rests += padded.substr(8);
                size_t slot = bucket(head, c.first.size()) & (size - 1);
                while (entries[offset + slot].node >= 0) slot = (slot + 1) & (size - 1);
                entries[offset + slot] = Entry{head, uint32_t(c.first.size()), c.second, rest};
            }
            tables.push_back(Table{offset, uint32_t(size - 1)});
        }
    }

    /* `key` lies in a padded line: 8 bytes are readable past its end. */
    TW_HOT int32_t find(int32_t node, const char *key, size_t len) const {
        const Table t = tables[size_t(node)];
        const uint64_t head = keyHead(key, len);
        for (size_t slot = bucket(head, len) & t.mask;; slot = (slot + 1) & t.mask) {
            const Entry &e = entries[t.offset + slot];
            if (e.node < 0) return -1;
            if (e.head == head && e.length == len && (len <= 8 || sameKey(rests.data() + e.rest, key + 8, len - 8)))
                return e.node;
        }
    }
};

}  // namespace

struct tw_plan {
    std::vector<Node> nodes{Node{}, Node{}};  // 0: event root, 1: envelope root
    int32_t slotCount = 0;
    std::vector<bool> keepText;  // per slot
    std::vector<bool> neverPending;  // per slot
};

extern "C" void tw_plan_keep_text(tw_plan *plan, int32_t slot) {
    if (slot >= 0 && size_t(slot) < plan->keepText.size()) plan->keepText[slot] = true;
}

extern "C" void tw_plan_never_pending(tw_plan *plan, int32_t slot) {
    if (slot >= 0 && size_t(slot) < plan->neverPending.size()) plan->neverPending[slot] = true;
}

extern "C" tw_plan *tw_plan_new(void) { return new tw_plan(); }
extern "C" void tw_plan_free(tw_plan *plan) { delete plan; }
extern "C" size_t tw_plan_slot_count(const tw_plan *plan) { return static_cast<size_t>(plan->slotCount); }

extern "C" int32_t tw_plan_add(tw_plan *plan, int32_t scope, const char *const *segments, const size_t *lengths,
                               size_t count) {
    int32_t current = scope == 1 ? 1 : 0;
    std::vector<int32_t> visited{current};
    for (size_t i = 0; i < count; i++) {
        std::string segment(segments[i], lengths[i]);
        int32_t next = -1;
        for (auto &child : plan->nodes[current].children) {
            if (child.first == segment) { next = child.second; break; }
        }
        if (next < 0) {
            next = static_cast<int32_t>(plan->nodes.size());
            plan->nodes.emplace_back();
            plan->nodes.back().parent = current;
            plan->nodes[current].children.emplace_back(segment, next);
            if (allDigits(segment) && segment.size() < 10) {
                plan->nodes[current].indexChildren.emplace_back(std::stoul(segment), next);
            }
        }
        current = next;
        visited.push_back(current);
    }
    Node &leaf = plan->nodes[current];
    if (leaf.slot < 0) {
        leaf.slot = plan->slotCount++;
        plan->keepText.push_back(false);
        plan->neverPending.push_back(false);
        for (int32_t node : visited) plan->nodes[node].subtreeSlots.push_back(leaf.slot);
    }
    return leaf.slot;
}

struct tw_extractor {
    std::vector<Node> nodes;
    ChildIndex children;  // the trie's edges, for the fast path
    std::vector<bool> keepText;
    std::vector<bool> neverPending;
    std::vector<tw_value> slots;
    std::vector<uint32_t> visitedIn;  // per node: the generation of the event that last visited it
    uint32_t generation = 0;
    dom::parser parser;
    // One parser per level of JSON-in-string nesting: reused for every such string at that level, so an
    // event with many (even duplicate) JSON strings cannot make the extractor grow beyond the path depth.
    std::vector<std::unique_ptr<dom::parser>> nestedParsers;
    size_t nestedDepth = 0;
    // Text that outlives its parser until the next event: compact JSON of object/array values, and strings
    // found inside JSON-in-string documents (their parser is reused by the next string at that level).
    std::deque<std::string> texts;
    const char *error = "";

    // The fast path (see tryFast): the line, simdjson's structural index of it, and where its escapes are.
    const char *line = nullptr;
    const uint32_t *structurals = nullptr;
    uint32_t structuralCount = 0;
    std::vector<uint32_t> escapes;  // offsets of the backslashes that start escapes, in order
    size_t escapeCursor = 0;
    std::unique_ptr<char[]> scratch;  // unescaped strings of the current event (never more than the line)
    static constexpr size_t scratchSlack = 32;  // room for decode's last 16-byte copy
    size_t scratchCapacity = 0, scratchUsed = 0;
    std::unique_ptr<char[]> padded;  // a copy of a line without enough readable bytes after it
    size_t paddedCapacity = 0;
    bool expectEnvelope = true;  // the shape of the previous event: streams keep one shape
    /* JSON-in-string members met by the fast path, parsed only when a rule reads below them (tw_resolve).
       Their text is either decoded already (`decoded`) or the raw range [start, end) of the line;
       `fillsSlot`: the node's own slot waits too (its text has escapes, decoded only if asked). */
    struct Deferred {
        int32_t node;
        uint32_t start, end;
        std::string_view decoded;
        bool hasDecoded, fillsSlot, live;
    };
    std::vector<Deferred> deferred;
    size_t liveDeferred = 0;
    void defer(int32_t node, uint32_t start, uint32_t end, const std::string_view *decoded, bool fillsSlot = false);
    void dropDeferredBelow(int32_t node);
    void resolve();

    void reset();
    bool tryFast(const char *buf, size_t len);
    bool scanEscapes(size_t len);
    enum class Root { ok, otherShape, fallback };
    Root walkRoot(bool envelope);
    uint32_t value(uint32_t i, int32_t node, int depth);
    uint32_t skip(uint32_t i);
    TW_HOT bool stringAt(uint32_t i, uint32_t &start, uint32_t &end) const;
    /* Whether any escape starts in [start, end); queries come in document order. */
    bool hasEscape(uint32_t start, uint32_t end) {
        while (escapeCursor < escapes.size() && escapes[escapeCursor] < start) escapeCursor++;
        return escapeCursor < escapes.size() && escapes[escapeCursor] < end;
    }
    /* A string's unescaped text: in place when it has no escapes (the common case, inline), else decoded. */
    TW_HOT std::string_view text(uint32_t start, uint32_t end) {
        if (!hasEscape(start, end)) return std::string_view(line + start, end - start);
        return decode(start, end);
    }
    std::string_view decode(uint32_t start, uint32_t end);
    TW_HOT int32_t child(int32_t node, const char *key, size_t len) const { return children.find(node, key, len); }
    /* Fills `slot` with the string `s` (unescaped text, in the line or the scratch). */
    TW_HOT void setString(int32_t slot, std::string_view s) {
        tw_value &out = slots[slot];
        out = tw_value{};
        out.kind = TW_STRING; out.ptr = s.data(); out.len = s.size();
    }
    void nested(std::string_view text, int32_t node);
    uint8_t token(uint32_t i) const { return i < structuralCount ? uint8_t(line[structurals[i]]) : 0; }

    void set(int32_t slot, dom::element value);
    void walk(dom::element value, int32_t node);
    void walkChildren(dom::element value, int32_t node);
    void clearSubtree(int32_t node) {
        for (int32_t s : nodes[node].subtreeSlots) slots[s] = tw_value{};
        if (liveDeferred) dropDeferredBelow(node);
    }
};

void tw_extractor::set(int32_t slot, dom::element value) {
    tw_value &out = slots[slot];
    out = tw_value{};
    switch (value.type()) {
        case dom::element_type::NULL_VALUE: out.kind = TW_NULL; break;
        case dom::element_type::BOOL: out.kind = bool(value) ? TW_TRUE : TW_FALSE; break;
        case dom::element_type::INT64: {
            int64_t i = int64_t(value);
            out.kind = TW_NUMBER; out.integer = i; out.number = double(i); out.is_integer = 1;
            break;
        }
        case dom::element_type::UINT64:
            out.kind = TW_NUMBER; out.number = double(uint64_t(value));
            break;
        case dom::element_type::DOUBLE:
            out.kind = TW_NUMBER; out.number = double(value);
            break;
        case dom::element_type::STRING: {
            std::string_view s = std::string_view(value);
            if (nestedDepth > 0) {
                texts.emplace_back(s);
                s = texts.back();
            }
            out.kind = TW_STRING; out.ptr = s.data(); out.len = s.size();
            break;
        }
        case dom::element_type::OBJECT:
        case dom::element_type::ARRAY: {
            out.kind = value.type() == dom::element_type::OBJECT ? TW_OBJECT : TW_ARRAY;
            if (keepText[slot]) {
                texts.push_back(simdjson::minify(value));
                out.ptr = texts.back().data(); out.len = texts.back().size();
            }
            break;
        }
    }
}

void tw_extractor::walk(dom::element value, int32_t node) {
    if (visitedIn[node] == generation) clearSubtree(node);  // a duplicate key: the last one wins
    visitedIn[node] = generation;
    if (nodes[node].slot >= 0) set(nodes[node].slot, value);
    if (!nodes[node].children.empty()) walkChildren(value, node);
}

void tw_extractor::walkChildren(dom::element value, int32_t node) {
    const Node &n = nodes[node];
    switch (value.type()) {
        case dom::element_type::OBJECT:
            for (dom::key_value_pair field : dom::object(value)) {
                const std::string_view key = field.key;
                for (const auto &child : n.children) {
                    const std::string &name = child.first;
                    if (name.size() == key.size() && (key.empty() || name[0] == key[0]) &&
                        std::memcmp(name.data(), key.data(), key.size()) == 0) {
                        walk(field.value, child.second);
                        break;
                    }
                }
            }
            break;
        case dom::element_type::ARRAY: {
            if (n.indexChildren.empty()) break;
            dom::array array = dom::array(value);
            for (const auto &child : n.indexChildren) {
                dom::element item;
                if (!array.at(child.first).get(item)) walk(item, child.second);
            }
            break;
        }
        case dom::element_type::STRING:
            nested(std::string_view(value), node);
            break;
        default:
            break;
    }
}

/* A string whose text is itself a JSON object or array: the path goes on inside it. */
void tw_extractor::nested(std::string_view text, int32_t node) {
    size_t i = 0;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) i++;
    if (i == text.size() || (text[i] != '{' && text[i] != '[')) return;
    if (nestedDepth == nestedParsers.size()) nestedParsers.push_back(std::make_unique<dom::parser>());
    dom::parser &inner = *nestedParsers[nestedDepth];
    dom::element root;
    if (inner.parse(text.data(), text.size(), true).get(root)) return;
    nestedDepth++;
    walkChildren(root, node);
    nestedDepth--;
}

extern "C" tw_extractor *tw_extractor_new(const tw_plan *plan) {
    auto *e = new tw_extractor();
    e->nodes = plan->nodes;
    e->children.build(e->nodes);
    e->keepText = plan->keepText;
    e->neverPending = plan->neverPending;
    e->slots.assign(static_cast<size_t>(plan->slotCount), tw_value{});
    e->visitedIn.assign(plan->nodes.size(), 0);
    return e;
}

extern "C" void tw_extractor_free(tw_extractor *extractor) { delete extractor; }
extern "C" const tw_value *tw_slots(const tw_extractor *extractor) { return extractor->slots.data(); }
extern "C" const char *tw_last_error(const tw_extractor *extractor) { return extractor->error; }
extern "C" size_t tw_padding(void) { return SIMDJSON_PADDING; }

void tw_extractor::reset() {
    generation++;
    if (generation == 0) {  // wrapped: forget every visit
        std::fill(visitedIn.begin(), visitedIn.end(), 0);
        generation = 1;
    }
    std::fill(slots.begin(), slots.end(), tw_value{});
    texts.clear();
    nestedDepth = 0;
    scratchUsed = 0;
    escapeCursor = 0;
    deferred.clear();
    liveDeferred = 0;
}

/* The validating DOM parse and walk: the reference behaviour, used for whatever the fast path declines. */
static int extractDOM(tw_extractor *e, const char *buf, size_t len, size_t capacity) {
    dom::element root;
    error_code err = e->parser.parse(buf, len, capacity < len + SIMDJSON_PADDING).get(root);
    if (err) {
        e->error = error_message(err);
        return TW_NOT_JSON;
    }
    switch (root.type()) {
        case dom::element_type::OBJECT: break;
        case dom::element_type::ARRAY: e->error = "an array"; return TW_NOT_OBJECT;
        case dom::element_type::STRING: e->error = "a string"; return TW_NOT_OBJECT;
        case dom::element_type::NULL_VALUE: e->error = "null"; return TW_NOT_OBJECT;
        case dom::element_type::BOOL: e->error = "a boolean"; return TW_NOT_OBJECT;
        default: e->error = "a number"; return TW_NOT_OBJECT;
    }
    // The Activity Tracker envelope: a top-level "payload" object is the event (the last one wins,
    // as with any duplicate key).
    dom::element payload;
    bool enveloped = false;
    for (dom::key_value_pair field : dom::object(root)) {
        if (field.key == "payload") {
            enveloped = field.value.type() == dom::element_type::OBJECT;
            if (enveloped) payload = field.value;
        }
    }
    if (enveloped) {
        e->walk(root, 1);
        e->walk(payload, 0);
    } else {
        e->walk(root, 0);
    }
    return TW_OK;
}

extern "C" int tw_extract(tw_extractor *e, const char *buf, size_t len, size_t capacity) {
    e->reset();
    const char *line = buf;
    if (capacity < len + SIMDJSON_PADDING) {
        if (e->paddedCapacity < len + SIMDJSON_PADDING) {
            e->paddedCapacity = len + SIMDJSON_PADDING;
            e->padded.reset(new char[e->paddedCapacity]);
        }
        std::memcpy(e->padded.get(), buf, len);
        std::memset(e->padded.get() + len, 0, SIMDJSON_PADDING);
        line = e->padded.get();
    }
    if (e->tryFast(line, len)) return TW_OK;
    e->reset();
    return extractDOM(e, buf, len, capacity);
}

/*
 * The fast path. simdjson's DOM parse is stage 1 (UTF-8 validation and the index of structural characters)
 * then stage 2 (grammar checks while writing a tape of every value). Here stage 1 runs as is and one pass
 * over its index checks the grammar while copying out only the values at the trie's paths, writing no
 * tape. It accepts only what the DOM parser certainly accepts: anything unusual (a \u surrogate escape, an
 * exponent, a key with escapes where keys are compared, an object kept as text, a line that is not an
 * object...) returns false, and the DOM path above decides, so results and error messages stay the same.
 */
bool tw_extractor::tryFast(const char *buf, size_t len) {
    if (len == 0 || len > 0xFFFFFFF0u) return false;
    if (parser.capacity() < len && parser.allocate(len) != SUCCESS) return false;
    if (!parser.implementation) return false;
    if (parser.implementation->stage1(reinterpret_cast<const uint8_t *>(buf), len, stage1_mode::regular) != SUCCESS)
        return false;
    line = buf;
    structurals = parser.implementation->structural_indexes.get();
    structuralCount = parser.implementation->n_structural_indexes;
    if (token(0) != '{') return false;
    if (!scanEscapes(len)) return false;
    if (scratchCapacity < len + scratchSlack) {
        scratchCapacity = len + scratchSlack;
        scratch.reset(new char[scratchCapacity]);
    }
    Root r = walkRoot(expectEnvelope);
    if (r == Root::otherShape) {
        reset();
        expectEnvelope = !expectEnvelope;
        r = walkRoot(expectEnvelope);
    }
    return r == Root::ok;
}

/* Which bytes may follow an escaping backslash (`u` needs its four hex digits checked as well). */
static const struct EscapeClass {
    bool allowed[256] = {};
    constexpr EscapeClass() {
        for (unsigned char c : {'"', '\\', '/', 'b', 'f', 'n', 'r', 't', 'u'}) allowed[c] = true;
    }
} escapeClass;

/* `\uXXXX` at p (with `rest` bytes from p on): four hex digits, not a surrogate (the DOM path handles pairs). */
static inline bool plainUnicodeEscape(const char *p, size_t rest) {
    if (rest < 6) return false;
    uint32_t cp = 0;
    for (int k = 2; k < 6; k++) {
        const char c = p[k];
        const uint32_t d = c >= '0' && c <= '9' ? uint32_t(c - '0')
                         : c >= 'a' && c <= 'f' ? uint32_t(c - 'a' + 10)
                         : c >= 'A' && c <= 'F' ? uint32_t(c - 'A' + 10) : 16;
        if (d == 16) return false;
        cp = cp << 4 | d;
    }
    return cp < 0xD800 || cp > 0xDFFF;
}

/* Stage 1 left escapes unchecked. Which backslashes start an escape is found 64 bytes at a time, as simdjson's
   own scanner does: in a run of backslashes every other one escapes the next, the run's first one starting
   unless the previous block ended on an escaping backslash. A backslash outside strings fails the grammar
   later; here every escape is checked (a backslash ending the line, an unknown escape, bad `\u`) and where
   it starts is kept, in order, for `text` and `decode`. */
template <uint64_t (*backslashes)(const char *)>
static inline bool findEscapes(const char *line, size_t len, std::vector<uint32_t> &escapes) {
    constexpr uint64_t oddBits = 0xAAAAAAAAAAAAAAAAull;
    escapes.clear();
    uint64_t escapedFirst = 0;  // 1 when this block's first byte is escaped by the previous block's last
    for (size_t base = 0; base < len; base += 64) {
        uint64_t mask = backslashes(line + base);
        if (len - base < 64) mask &= (uint64_t(1) << (len - base)) - 1;
        if (!mask) {
            escapedFirst = 0;
            continue;
        }
        const uint64_t candidates = mask & ~escapedFirst;
        const uint64_t codes = (((candidates << 1) | oddBits) - candidates) ^ oddBits;
        uint64_t starts = codes & mask;  // the backslashes that escape the byte after them
        escapedFirst = starts >> 63;
        while (starts) {
            const size_t at = base + size_t(__builtin_ctzll(starts));
            starts &= starts - 1;
            if (len - at < 2) return false;
            const unsigned char c = static_cast<unsigned char>(line[at + 1]);
            if (!escapeClass.allowed[c]) return false;
            if (c == 'u' && !plainUnicodeEscape(line + at, len - at)) return false;
            escapes.push_back(uint32_t(at));
        }
    }
    return true;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static bool findEscapesAVX2(const char *line, size_t len,
                                                             std::vector<uint32_t> &escapes) {
    return findEscapes<backslashes64AVX2>(line, len, escapes);
}
static const bool cpuHasAVX2 = __builtin_cpu_supports("avx2");
#endif

bool tw_extractor::scanEscapes(size_t len) {
#if defined(__x86_64__)
    if (cpuHasAVX2) return findEscapesAVX2(line, len, escapes);
#endif
    return findEscapes<backslashes64>(line, len, escapes);
}

/* The text between the quotes of the string at structural `i`: it ends at the last non-blank byte before
   the next structural character (anything else there would itself be structural). */
inline bool tw_extractor::stringAt(uint32_t i, uint32_t &start, uint32_t &end) const {
    if (i + 1 >= structuralCount) return false;
    start = structurals[i] + 1;
    uint32_t j = structurals[i + 1];
    while (j > start && (line[j - 1] == ' ' || line[j - 1] == '\t' || line[j - 1] == '\n' || line[j - 1] == '\r')) j--;
    if (j <= start || line[j - 1] != '"') return false;
    end = j - 1;
    return true;
}

/* A string with escapes, decoded into the event's scratch. */
std::string_view tw_extractor::decode(uint32_t start, uint32_t end) {
    // Copy the runs between escapes whole; stage 1 and scanEscapes found and checked every escape.
    // Runs are short (JSON text between \" escapes): copied 16 bytes at a time, which may read into the
    // line's padding and write into the scratch's slack, instead of a memcpy call per run.
    const auto copyRun = [](char *to, const char *from, size_t n) {
        for (size_t k = 0; k < n; k += 16) std::memcpy(to + k, from + k, 16);
    };
    char *out = scratch.get() + scratchUsed, *o = out;
    uint32_t k = start;
    while (escapeCursor < escapes.size() && escapes[escapeCursor] < end) {
        uint32_t at = escapes[escapeCursor++];
        copyRun(o, line + k, at - k);
        o += at - k;
        char x = line[at + 1];
        k = at + 2;
        switch (x) {
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'u': {
                uint32_t cp = 0;
                for (int d = 2; d < 6; d++) {
                    char h = line[at + d];
                    cp = cp << 4 | uint32_t(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
                }
                if (cp < 0x80) {
                    *o++ = char(cp);
                } else if (cp < 0x800) {
                    *o++ = char(0xC0 | cp >> 6); *o++ = char(0x80 | (cp & 0x3F));
                } else {
                    *o++ = char(0xE0 | cp >> 12); *o++ = char(0x80 | (cp >> 6 & 0x3F)); *o++ = char(0x80 | (cp & 0x3F));
                }
                k = at + 6;
                break;
            }
            default: *o++ = x; break;  // " \ /
        }
    }
    copyRun(o, line + k, end - k);
    o += end - k;
    scratchUsed += size_t(o - out);
    return std::string_view(out, size_t(o - out));
}

namespace {
constexpr uint32_t FAIL = 0xFFFFFFFFu;

/* What may follow a scalar inside an object or array. */
inline bool endsScalar(char c) {
    return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

inline bool isDigit(char c) { return c >= '0' && c <= '9'; }

/* A number in the plain form the DOM parser always accepts: -?(0|[1-9]d*)(.d+)?, at most 18 integer digits,
   no exponent (range limits belong to the DOM path). `fraction` tells whether it had one. */
inline bool plainNumber(const char *p, const char *&end, bool &fraction) {
    const char *s = p;
    if (*p == '-') p++;
    const char *digits = p;
    if (*p == '0') {
        p++;
    } else {
        if (!isDigit(*p)) return false;
        while (isDigit(*p)) p++;
    }
    if (p - digits > 18) return false;
    fraction = false;
    if (*p == '.') {
        p++;
        if (!isDigit(*p)) return false;
        const char *f = p;
        while (isDigit(*p)) p++;
        if (p - f > 40) return false;
        fraction = true;
    }
    if (!endsScalar(*p)) return false;
    end = p;
    (void)s;
    return true;
}

inline bool atom(const char *p, const char *word, size_t n) { return std::memcmp(p, word, n) == 0 && endsScalar(p[n]); }
}  // namespace

/* Checks one value that no path goes into: grammar only, iteratively (at most 63 levels, else declined). */
uint32_t tw_extractor::skip(uint32_t i) {
    uint64_t objects = 0;  // bit per open level: 1 = object
    int depth = 0;
    bool fraction;
    const char *end;
value:
    switch (token(i)) {
        case '{':
            i++;
            if (token(i) == '}') { i++; goto after; }
            if (++depth > 63) return FAIL;
            objects = objects << 1 | 1;
            goto key;
        case '[':
            i++;
            if (token(i) == ']') { i++; goto after; }
            if (++depth > 63) return FAIL;
            objects <<= 1;
            goto value;
        case '"': i++; goto after;
        case 't': if (!atom(line + structurals[i], "true", 4)) return FAIL; i++; goto after;
        case 'f': if (!atom(line + structurals[i], "false", 5)) return FAIL; i++; goto after;
        case 'n': if (!atom(line + structurals[i], "null", 4)) return FAIL; i++; goto after;
        case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
            if (!plainNumber(line + structurals[i], end, fraction)) return FAIL;
            i++;
            goto after;
        default: return FAIL;
    }
key:
    if (token(i) != '"' || token(i + 1) != ':') return FAIL;
    i += 2;
    goto value;
after:
    if (depth == 0) return i;
    switch (token(i)) {
        case ',':
            i++;
            if (objects & 1) goto key;
            goto value;
        case '}':
            if (!(objects & 1)) return FAIL;
            break;
        case ']':
            if (objects & 1) return FAIL;
            break;
        default: return FAIL;
    }
    i++;
    depth--;
    objects >>= 1;
    goto after;
}

/* Checks the value at structural `i` and fills the slots of trie `node` and below; returns the structural
   after it, or FAIL (declined). */
uint32_t tw_extractor::value(uint32_t i, int32_t node, int depth) {
    if (node < 0) return skip(i);
    if (depth > 60) return FAIL;
    if (visitedIn[node] == generation) clearSubtree(node);  // a duplicate key: the last one wins
    visitedIn[node] = generation;
    const Node &n = nodes[node];
    const int32_t slot = n.slot;
    const char *p = line + (i < structuralCount ? structurals[i] : 0);
    switch (token(i)) {
        case '"': {
            uint32_t start, end;
            if (!stringAt(i, start, end)) return FAIL;
            if (slot >= 0 && !n.children.empty() && !neverPending[slot] && hasEscape(start, end)) {
                // JSON text in a string (requestData): most events need neither it nor what is inside it.
                slots[slot] = tw_value{};
                slots[slot].kind = TW_PENDING;
                defer(node, start, end, nullptr, true);
            } else if (slot >= 0) {
                const std::string_view s = text(start, end);
                setString(slot, s);
                if (!n.children.empty()) defer(node, start, end, &s);
            } else if (!n.children.empty()) {
                defer(node, start, end, nullptr);
            }
            return i + 1;
        }
        case '{': {
            if (slot >= 0) {
                if (keepText[slot]) return FAIL;  // compact JSON text: the DOM path writes it
                slots[slot] = tw_value{};
                slots[slot].kind = TW_OBJECT;
            }
            if (n.children.empty()) return skip(i);
            i++;
            if (token(i) == '}') return i + 1;
            while (true) {
                uint32_t start, end;
                if (token(i) != '"' || token(i + 1) != ':' || !stringAt(i, start, end)) return FAIL;
                if (hasEscape(start, end)) return FAIL;  // the key might name a path once unescaped
                int32_t next = child(node, line + start, end - start);
                if (next >= 0) {
                    const Node &leaf = nodes[next];
                    if (token(i + 2) == '"' && leaf.children.empty() && leaf.slot >= 0 &&
                        visitedIn[next] != generation) {
                        // The common tracked value, a string at a leaf (`action`, `outcome`...), without a call.
                        visitedIn[next] = generation;
                        if (!stringAt(i + 2, start, end)) return FAIL;
                        setString(leaf.slot, text(start, end));
                        i += 3;
                    } else {
                        i = value(i + 2, next, depth + 1);
                    }
                } else if (token(i + 2) == '"') {
                    i += 3;  // an untracked string: stage 1 and scanEscapes checked it
                } else {
                    i = skip(i + 2);
                }
                if (i == FAIL) return FAIL;
                uint8_t c = token(i);
                if (c == ',') { i++; continue; }
                if (c == '}') return i + 1;
                return FAIL;
            }
        }
        case '[': {
            if (slot >= 0) {
                if (keepText[slot]) return FAIL;
                slots[slot] = tw_value{};
                slots[slot].kind = TW_ARRAY;
            }
            if (n.indexChildren.empty()) return skip(i);
            i++;
            if (token(i) == ']') return i + 1;
            for (size_t index = 0;; index++) {
                int32_t next = -1;
                for (const auto &c : n.indexChildren) if (c.first == index) { next = c.second; break; }
                i = value(i, next, depth + 1);
                if (i == FAIL) return FAIL;
                uint8_t c = token(i);
                if (c == ',') { i++; continue; }
                if (c == ']') return i + 1;
                return FAIL;
            }
        }
        case 't': case 'f': case 'n': {
            uint8_t kind;
            if (atom(p, "true", 4)) kind = TW_TRUE;
            else if (atom(p, "false", 5)) kind = TW_FALSE;
            else if (atom(p, "null", 4)) kind = TW_NULL;
            else return FAIL;
            if (slot >= 0) { slots[slot] = tw_value{}; slots[slot].kind = kind; }
            return i + 1;
        }
        case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9': {
            const char *end;
            bool fraction;
            if (!plainNumber(p, end, fraction)) return FAIL;
            if (slot >= 0) {
                tw_value &out = slots[slot];
                out = tw_value{};
                out.kind = TW_NUMBER;
                if (fraction) {
                    char digits[64];
                    size_t n = size_t(end - p);
                    if (n >= sizeof digits) return FAIL;
                    std::memcpy(digits, p, n);
                    digits[n] = 0;
                    out.number = std::strtod(digits, nullptr);  // correctly rounded, as simdjson's
                } else {
                    bool negative = *p == '-';
                    if (negative && end - p == 2 && p[1] == '0') return FAIL;  // -0: the DOM path decides
                    int64_t v = 0;
                    for (const char *d = p + negative; d < end; d++) v = v * 10 + (*d - '0');
                    out.integer = negative ? -v : v;
                    out.number = double(out.integer);
                    out.is_integer = 1;
                }
            }
            return i + 1;
        }
        default:
            return FAIL;
    }
}

/* Paths go on inside this string (JSON text in a string, like requestData): most events need none of
   them, so the string is parsed only if a rule asks (tw_resolve); until then the slots below are pending,
   and with `fillsSlot` the string's own slot as well. */
void tw_extractor::defer(int32_t node, uint32_t start, uint32_t end, const std::string_view *decoded, bool fillsSlot) {
    const Node &n = nodes[node];
    for (int32_t s : n.subtreeSlots) if (s != n.slot) slots[s].kind = TW_PENDING;
    deferred.push_back(Deferred{node, start, end, decoded ? *decoded : std::string_view(), decoded != nullptr, fillsSlot,
                                true});
    liveDeferred++;
}

/* A duplicate key replaced `node`'s value: strings deferred at or below it no longer count. */
void tw_extractor::dropDeferredBelow(int32_t node) {
    for (Deferred &d : deferred) {
        if (!d.live) continue;
        for (int32_t a = d.node; a >= 0; a = nodes[a].parent) {
            if (a == node) { d.live = false; liveDeferred--; break; }
        }
    }
}

void tw_extractor::resolve() {
    if (!liveDeferred) return;
    std::vector<Deferred> work;
    work.swap(deferred);
    liveDeferred = 0;
    for (const Deferred &d : work) {
        if (!d.live) continue;
        const Node &n = nodes[d.node];
        for (int32_t s : n.subtreeSlots) if (s != n.slot) slots[s] = tw_value{};
        std::string_view text = d.decoded;
        if (!d.hasDecoded) {
            escapeCursor = size_t(std::lower_bound(escapes.begin(), escapes.end(), d.start) - escapes.begin());
            text = this->text(d.start, d.end);
        }
        if (d.fillsSlot) setString(n.slot, text);
        nested(text, d.node);
    }
    work.clear();
    deferred.swap(work);  // keep the capacity
}

extern "C" int tw_has_pending(const tw_extractor *e) { return e->liveDeferred != 0; }
extern "C" void tw_resolve(tw_extractor *e) { e->resolve(); }

/* The root object. With `envelope`, the line is taken as an Activity Tracker envelope: its "payload" object
   is the event and the other members are envelope paths; otherwise the root is the event. When the line
   turns out to be of the other shape (the last "payload" member is or is not an object), says so. */
tw_extractor::Root tw_extractor::walkRoot(bool envelope) {
    uint32_t i = 1;
    bool payloadObject = false;
    if (token(i) == '}') {
        i++;
    } else {
        while (true) {
            uint32_t start, end;
            if (token(i) != '"' || token(i + 1) != ':' || !stringAt(i, start, end)) return Root::fallback;
            if (hasEscape(start, end)) return Root::fallback;  // could spell "payload"
            const char *key = line + start;
            size_t len = end - start;
            bool isPayload = len == 7 && std::memcmp(key, "payload", 7) == 0;
            if (isPayload) payloadObject = token(i + 2) == '{';
            int32_t node;
            if (!envelope) {
                node = child(0, key, len);
            } else if (isPayload && payloadObject) {
                if (child(1, key, len) >= 0) return Root::fallback;  // a path through the envelope's payload
                node = 0;
            } else {
                node = child(1, key, len);
            }
            i = value(i + 2, node, 1);
            if (i == FAIL) return Root::fallback;
            uint8_t c = token(i);
            if (c == ',') { i++; continue; }
            if (c == '}') { i++; break; }
            return Root::fallback;
        }
    }
    if (i != structuralCount) return Root::fallback;  // more after the object
    return payloadObject == envelope ? Root::ok : Root::otherShape;
}
