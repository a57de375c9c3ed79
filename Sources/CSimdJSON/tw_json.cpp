#include "tw_json.h"

#include <simdjson.h>

#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace simdjson;

namespace {

/* One node of the path trie. A segment made only of digits also indexes arrays. */
struct Node {
    std::vector<std::pair<std::string, int32_t>> children;
    std::vector<std::pair<size_t, int32_t>> indexChildren;  // digit segments, as array indexes
    std::vector<int32_t> subtreeSlots;                      // this node's slot and all below it
    int32_t slot = -1;
};

bool allDigits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) if (c < '0' || c > '9') return false;
    return true;
}

}  // namespace

struct tw_plan {
    std::vector<Node> nodes{Node{}, Node{}};  // 0: event root, 1: envelope root
    int32_t slotCount = 0;
    std::vector<bool> keepText;  // per slot
};

extern "C" void tw_plan_keep_text(tw_plan *plan, int32_t slot) {
    if (slot >= 0 && size_t(slot) < plan->keepText.size()) plan->keepText[slot] = true;
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
        for (int32_t node : visited) plan->nodes[node].subtreeSlots.push_back(leaf.slot);
    }
    return leaf.slot;
}

struct tw_extractor {
    std::vector<Node> nodes;
    std::vector<bool> keepText;
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

    void set(int32_t slot, dom::element value);
    void walk(dom::element value, int32_t node);
    void walkChildren(dom::element value, int32_t node);
    void clearSubtree(int32_t node) {
        for (int32_t s : nodes[node].subtreeSlots) slots[s] = tw_value{};
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
        case dom::element_type::STRING: {
            // A string whose text is itself a JSON object or array: the path goes on inside it.
            std::string_view text = std::string_view(value);
            size_t i = 0;
            while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) i++;
            if (i == text.size() || (text[i] != '{' && text[i] != '[')) break;
            if (nestedDepth == nestedParsers.size()) nestedParsers.push_back(std::make_unique<dom::parser>());
            dom::parser &nested = *nestedParsers[nestedDepth];
            dom::element inner;
            if (nested.parse(text.data(), text.size(), true).get(inner)) break;
            nestedDepth++;
            walkChildren(inner, node);
            nestedDepth--;
            break;
        }
        default:
            break;
    }
}

extern "C" tw_extractor *tw_extractor_new(const tw_plan *plan) {
    auto *e = new tw_extractor();
    e->nodes = plan->nodes;
    e->keepText = plan->keepText;
    e->slots.assign(static_cast<size_t>(plan->slotCount), tw_value{});
    e->visitedIn.assign(plan->nodes.size(), 0);
    return e;
}

extern "C" void tw_extractor_free(tw_extractor *extractor) { delete extractor; }
extern "C" const tw_value *tw_slots(const tw_extractor *extractor) { return extractor->slots.data(); }
extern "C" const char *tw_last_error(const tw_extractor *extractor) { return extractor->error; }
extern "C" size_t tw_padding(void) { return SIMDJSON_PADDING; }

extern "C" int tw_extract(tw_extractor *e, const char *buf, size_t len, size_t capacity) {
    e->generation++;
    if (e->generation == 0) {  // wrapped: forget every visit
        std::fill(e->visitedIn.begin(), e->visitedIn.end(), 0);
        e->generation = 1;
    }
    std::fill(e->slots.begin(), e->slots.end(), tw_value{});
    e->texts.clear();
    e->nestedDepth = 0;

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
