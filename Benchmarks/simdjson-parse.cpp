// The reference point for trailwatch's replay: the time simdjson alone needs to validate every line of a
// JSON-lines file, read the way trailwatch reads it (8 MiB read()s, memchr line split, each line parsed in
// place with padding). Prints the number of lines that are JSON objects. Built and run by scripts/bench.
//
//   simdjson-parse [--ondemand] FILE
//
// default: DOM parse (validates the whole line, like trailwatch); --ondemand: On-Demand iterate and read
// `payload.action` only (not validating; shown for comparison).
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    bool ondemand = argc > 2 && std::strcmp(argv[1], "--ondemand") == 0;
    const char *path = argv[argc - 1];
    if (argc < 2) { std::fprintf(stderr, "usage: simdjson-parse [--ondemand] FILE\n"); return 2; }
    int fd = open(path, O_RDONLY);
    if (fd < 0) { std::perror(path); return 1; }
    const size_t chunk = 8 << 20, maxLine = 1 << 20, pad = 64;
    char *buf = static_cast<char *>(std::aligned_alloc(64, chunk + maxLine + pad));
    simdjson::dom::parser dom;
    simdjson::ondemand::parser od;
    size_t filled = 0, objects = 0, lines = 0;
    bool eof = false;
    auto parseLine = [&](char *p, size_t len, size_t readable) {
        lines++;
        if (ondemand) {
            simdjson::ondemand::document doc;
            if (od.iterate(p, len, readable).get(doc)) return;
            std::string_view action;
            if (!doc["payload"]["action"].get_string().get(action)) objects++;
        } else {
            simdjson::dom::element root;
            if (!dom.parse(p, len, readable < len + simdjson::SIMDJSON_PADDING).get(root) && root.is_object()) objects++;
        }
    };
    while (true) {
        if (!eof) {
            ssize_t n = read(fd, buf + filled, chunk + maxLine - filled < chunk ? chunk + maxLine - filled : chunk);
            if (n < 0) { std::perror("read"); return 1; }
            if (n == 0) eof = true; else filled += size_t(n);
        }
        size_t start = 0;
        while (start < filled) {
            char *nl = static_cast<char *>(std::memchr(buf + start, '\n', filled - start));
            if (!nl) break;
            size_t end = size_t(nl - buf);
            parseLine(buf + start, end - start, chunk + maxLine + pad - start);
            start = end + 1;
        }
        size_t partial = filled - start;
        if (start > 0 && partial > 0) std::memmove(buf, buf + start, partial);
        filled = partial;
        if (eof) {
            if (filled > 0) { std::memset(buf + filled, 0, pad); parseLine(buf, filled, chunk + maxLine + pad); }
            break;
        }
        if (filled > maxLine) { std::fprintf(stderr, "line over %zu bytes\n", maxLine); return 1; }
    }
    std::printf("%zu lines, %zu objects\n", lines, objects);
    return 0;
}
