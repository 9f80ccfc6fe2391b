/* SpikeForge's narrow C interface to the HDF5 C library (Debian libhdf5-dev), for NIR files.
 * No stable API. Handles are HDF5 hid_t values carried as int64_t, so this header does not
 * include <hdf5.h> (whose include directory is not on the default path). Every function returns
 * a negative value on failure; HDF5's own error printing is turned off. The library is not
 * thread-safe: the Swift side serialises every call. */
#ifndef SFHDF5_H
#define SFHDF5_H

#include <stddef.h>
#include <stdint.h>

#define SFH5_MAX_RANK 8

enum sfh5_kind { SFH5_MISSING = 0, SFH5_GROUP = 1, SFH5_DATASET = 2, SFH5_OTHER = 3 };
enum sfh5_class { SFH5_INTEGER = 0, SFH5_FLOAT = 1, SFH5_STRING = 2, SFH5_UNSUPPORTED = 3 };

/* 1 when `path` is an HDF5 file, 0 when it is not, negative when it cannot be checked. */
int sfh5_is_hdf5(const char *path);
int64_t sfh5_open_read(const char *path);
int64_t sfh5_create(const char *path);
int sfh5_close_file(int64_t file);

/* Children of the group at `path` (relative to `loc`), in name order. */
int64_t sfh5_child_count(int64_t loc, const char *path);
/* Copies the name of child `index` into buf (NUL-terminated) and returns its full length. */
int64_t sfh5_child_name(int64_t loc, const char *path, int64_t index, char *buf, size_t size);
/* The kind of the object at `path`: enum sfh5_kind, or negative on error. */
int sfh5_kind(int64_t loc, const char *path);

/* A dataset's class (enum sfh5_class), rank, dimensions (at most SFH5_MAX_RANK) and, for
 * integers, whether it is signed and its byte size. */
int sfh5_dataset_info(int64_t loc, const char *path, int *type_class, int *rank, uint64_t *dims, int *is_signed, size_t *byte_size);
/* Reads a numeric dataset of exactly `count` elements as doubles or as int64. */
int sfh5_read_doubles(int64_t loc, const char *path, double *out, uint64_t count);
int sfh5_read_int64(int64_t loc, const char *path, int64_t *out, uint64_t count);
/* Reads a string dataset of `count` elements (fixed or variable length) into buf as
 * NUL-separated strings. With size 0, returns the bytes needed; with enough room, the bytes
 * written (fixed-length strings are cut at their first NUL, so it may be fewer); negative on
 * error. */
int64_t sfh5_read_strings(int64_t loc, const char *path, uint64_t count, char *buf, size_t size);

int sfh5_create_group(int64_t loc, const char *path);
/* Numeric datasets of rank 0...SFH5_MAX_RANK (rank 0: a scalar), gzip-compressed when rank > 0. */
/* Floats are stored as IEEE binary32 or binary64 (`bits` 32 or 64). */
int sfh5_write_float(int64_t loc, const char *path, int rank, const uint64_t *dims, const double *data, int bits);
int sfh5_write_int64(int64_t loc, const char *path, int rank, const uint64_t *dims, const int64_t *data);
/* Variable-length UTF-8 strings, as h5py writes them: rank 0 (one string) or an array. */
int sfh5_write_strings(int64_t loc, const char *path, int rank, const uint64_t *dims, const char *const *strings);

/* The whole file, read in a forked child (isolated.c): returns the child's pid and sets
 * *read_fd to a pipe carrying the serialization (see HDF5.swift, `Serialized`). */
struct sfh5_limits {
    uint64_t dataset_elements, total_elements, depth, children, string_bytes;
};
enum sfh5_error { SFH5_E_NOT_HDF5 = 1, SFH5_E_CANNOT_OPEN = 2, SFH5_E_UNREADABLE = 3, SFH5_E_TOO_LARGE = 4 };
int sfh5_read_isolated(const char *path, struct sfh5_limits limits, int *read_fd);
/* Waits for the child: its exit status, or -1 with *signal_number set when a signal ended it. */
int sfh5_wait(int pid, int *signal_number);
int sfh5_kill(int pid);
/* read(2) retried on EINTR, after waiting at most timeout_ms for data: bytes read, 0 at the
 * end, -2 when nothing came in time, -1 on error. */
int64_t sfh5_read_chunk(int fd, void *buf, size_t size, int timeout_ms);
int sfh5_close_fd(int fd);

#endif
