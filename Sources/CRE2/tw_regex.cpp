#include "tw_regex.h"

#include <re2/re2.h>

#include <cstdlib>
#include <cstring>
#include <string>

struct tw_regex {
    RE2 re;
    bool whole;
    tw_regex(const re2::StringPiece &pattern, const RE2::Options &options, bool whole)
        : re(pattern, options), whole(whole) {}
};

extern "C" tw_regex *tw_regex_new(const char *pattern, size_t length, int ignore_case, int whole, char **error) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_case_sensitive(!ignore_case);
    options.set_encoding(RE2::Options::EncodingUTF8);
    auto *regex = new tw_regex(re2::StringPiece(pattern, length), options, whole != 0);
    if (!regex->re.ok()) {
        if (error) {
            const std::string &message = regex->re.error();
            *error = static_cast<char *>(std::malloc(message.size() + 1));
            if (*error) std::memcpy(*error, message.c_str(), message.size() + 1);
        }
        delete regex;
        return nullptr;
    }
    return regex;
}

extern "C" void tw_regex_free(tw_regex *regex) { delete regex; }

extern "C" int tw_regex_matches(const tw_regex *regex, const char *text, size_t length) {
    re2::StringPiece input(text, length);
    return regex->whole ? RE2::FullMatch(input, regex->re) : RE2::PartialMatch(input, regex->re);
}
