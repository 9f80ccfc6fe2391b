/* The whole-file read of include/sfhdf5.h, run in a forked child: HDF5 1.10 can crash on damaged
 * files (a mutation campaign found a heap overrun in H5HG_read on a corrupted variable-length
 * string), so the library never touches the caller's memory. The child walks the file and writes
 * a plain serialization to a pipe; the parent decodes it with every size checked. */
#define _GNU_SOURCE
#include "sfhdf5.h"

#include <hdf5/serial/hdf5.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    int fd;
    int64_t file;
    struct sfh5_limits limits;
    uint64_t total;
    char object[4096];
} walker;

static void put(walker *w, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(w->fd, c, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            _exit(4); /* the parent went away */
        }
        c += k;
        n -= (size_t)k;
    }
}

static void put_u8(walker *w, uint8_t v) { put(w, &v, 1); }
static void put_u32(walker *w, uint32_t v) { put(w, &v, 4); }
static void put_u64(walker *w, uint64_t v) { put(w, &v, 8); }
static void put_str(walker *w, const char *s, size_t n) { put_u32(w, (uint32_t)n); put(w, s, n); }

/* An error record, then the child ends. It follows whatever part of the tree was sent, so it
 * ends with a trailer (the record's length, then 'E') that the parent reads from the end. */
static void fail(walker *w, uint8_t code, const char *reason) {
    size_t o = strlen(w->object), r = strlen(reason);
    put_u8(w, 'E');
    put_u8(w, code);
    put_str(w, w->object, o);
    put_str(w, reason, r);
    put_u32(w, (uint32_t)(2 + 4 + o + 4 + r));
    put_u8(w, 'E');
    _exit(3);
}

static void dataset(walker *w) {
    int cls = 0, rank = 0, is_signed = 0;
    size_t size = 0;
    uint64_t dims[SFH5_MAX_RANK];
    char msg[256];
    if (sfh5_dataset_info(w->file, w->object, &cls, &rank, dims, &is_signed, &size) != 0) fail(w, SFH5_E_UNREADABLE, "cannot read the dataset's type and shape");
    if (rank > SFH5_MAX_RANK) { snprintf(msg, sizeof msg, "rank %d|rank %d", rank, SFH5_MAX_RANK); fail(w, SFH5_E_TOO_LARGE, msg); }
    uint64_t count = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] > w->limits.dataset_elements || (dims[i] && count > w->limits.dataset_elements / dims[i])) {
            snprintf(msg, sizeof msg, "a dimension of %llu|%llu elements", (unsigned long long)dims[i], (unsigned long long)w->limits.dataset_elements);
            fail(w, SFH5_E_TOO_LARGE, msg);
        }
        count *= dims[i];
    }
    if (count > w->limits.dataset_elements) {
        snprintf(msg, sizeof msg, "%llu elements|%llu elements", (unsigned long long)count, (unsigned long long)w->limits.dataset_elements);
        fail(w, SFH5_E_TOO_LARGE, msg);
    }
    w->total += count;
    if (w->total > w->limits.total_elements) {
        snprintf(msg, sizeof msg, "%llu elements in all|%llu elements", (unsigned long long)w->total, (unsigned long long)w->limits.total_elements);
        fail(w, SFH5_E_TOO_LARGE, msg);
    }
    if (cls == SFH5_INTEGER && !is_signed && size >= 8) fail(w, SFH5_E_UNREADABLE, "unsigned 64-bit integers are not supported");
    if (cls == SFH5_UNSUPPORTED) fail(w, SFH5_E_UNREADABLE, "its element type is neither integer, float nor string");
    put_u8(w, 'D');
    put_u8(w, (uint8_t)cls);
    put_u8(w, (uint8_t)(size > 255 ? 255 : size));
    put_u8(w, (uint8_t)rank);
    for (int i = 0; i < rank; i++) put_u64(w, dims[i]);
    if (cls == SFH5_INTEGER || cls == SFH5_FLOAT) {
        void *buf = malloc(count ? count * 8 : 8);
        if (!buf) fail(w, SFH5_E_UNREADABLE, "out of memory");
        int rc = cls == SFH5_INTEGER ? sfh5_read_int64(w->file, w->object, buf, count) : sfh5_read_doubles(w->file, w->object, buf, count);
        if (rc != 0) fail(w, SFH5_E_UNREADABLE, cls == SFH5_INTEGER ? "cannot read the integers" : "cannot read the floats");
        put(w, buf, count * 8);
        free(buf);
    } else {
        int64_t need = sfh5_read_strings(w->file, w->object, count, NULL, 0);
        if (need < 0) fail(w, SFH5_E_UNREADABLE, "cannot read the strings");
        if ((uint64_t)need > w->limits.string_bytes) {
            snprintf(msg, sizeof msg, "%lld bytes of strings|%llu bytes", (long long)need, (unsigned long long)w->limits.string_bytes);
            fail(w, SFH5_E_TOO_LARGE, msg);
        }
        char *buf = malloc((size_t)need + 1);
        int64_t got = buf ? sfh5_read_strings(w->file, w->object, count, buf, (size_t)need) : -1;
        if (got < 0 || got > need) fail(w, SFH5_E_UNREADABLE, "cannot read the strings");
        /* NUL-separated strings (fixed-length ones compacted by sfh5_read_strings). */
        char *s = buf, *end = buf + got;
        for (uint64_t i = 0; i < count; i++) {
            size_t n = s < end ? strnlen(s, (size_t)(end - s)) : 0;
            put_str(w, s, n);
            s += n + 1;
        }
        free(buf);
    }
}

static void group(walker *w, int depth) {
    char msg[256];
    if (depth > (int)w->limits.depth) { snprintf(msg, sizeof msg, "groups nested %d deep|%llu levels", depth, (unsigned long long)w->limits.depth); fail(w, SFH5_E_TOO_LARGE, msg); }
    int64_t n = sfh5_child_count(w->file, w->object);
    if (n < 0) fail(w, SFH5_E_UNREADABLE, "cannot list the group");
    if ((uint64_t)n > w->limits.children) { snprintf(msg, sizeof msg, "%lld children|%llu", (long long)n, (unsigned long long)w->limits.children); fail(w, SFH5_E_TOO_LARGE, msg); }
    put_u8(w, 'G');
    put_u64(w, (uint64_t)n);
    size_t base = strlen(w->object);
    for (int64_t i = 0; i < n; i++) {
        char name[1024];
        int64_t len = sfh5_child_name(w->file, w->object, i, name, sizeof name);
        if (len < 0 || len >= (int64_t)sizeof name) fail(w, SFH5_E_UNREADABLE, "a child has no readable name (or one longer than 1023 bytes)");
        if (base + 1 + (size_t)len >= sizeof w->object) fail(w, SFH5_E_UNREADABLE, "an object path longer than 4095 bytes");
        put_str(w, name, (size_t)len);
        snprintf(w->object + base, sizeof w->object - base, "%s%s", base == 1 ? "" : "/", name);
        switch (sfh5_kind(w->file, w->object)) {
        case SFH5_GROUP: group(w, depth + 1); break;
        case SFH5_DATASET: dataset(w); break;
        default: put_u8(w, 'N'); break; /* named datatypes, dangling links: not part of a NIR file */
        }
        w->object[base] = 0;
    }
}

int sfh5_read_isolated(const char *path, struct sfh5_limits limits, int *read_fd) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        /* A crash of the library ends the child quietly: the runtime's crash reporter and core
         * dumps are the parent's, not this reader's. */
        int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGFPE, SIGTRAP, SIGSYS};
        for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) signal(fatal[i], SIG_DFL);
        struct rlimit none = {0, 0};
        setrlimit(RLIMIT_CORE, &none);
        signal(SIGPIPE, SIG_DFL);
        walker w = {.fd = fds[1], .limits = limits, .total = 0};
        strcpy(w.object, "/");
        int is = sfh5_is_hdf5(path);
        if (is != 1) fail(&w, SFH5_E_NOT_HDF5, "");
        H5PLset_loading_state(0); /* no filter plugins from a file's say-so */
        w.file = sfh5_open_read(path);
        if (w.file < 0) fail(&w, SFH5_E_CANNOT_OPEN, "");
        group(&w, 0);
        _exit(0);
    }
    close(fds[1]);
    *read_fd = fds[0];
    return pid;
}

int sfh5_wait(int pid, int *signal_number) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    *signal_number = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int sfh5_kill(int pid) { return kill(pid, SIGKILL); }

int64_t sfh5_read_chunk(int fd, void *buf, size_t size, int timeout_ms) {
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) return -2;
        ssize_t n = read(fd, buf, size);
        if (n >= 0 || errno != EINTR) return (int64_t)n;
    }
}

int sfh5_close_fd(int fd) { return close(fd); }
