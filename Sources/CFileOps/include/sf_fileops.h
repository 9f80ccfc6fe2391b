// File-system operations Swift cannot reach portably: the atomic exchange of two paths.
// No stable API; only SpikeForgeCore's AtomicOutput calls it.
#ifndef SF_FILEOPS_H
#define SF_FILEOPS_H

#ifdef __cplusplus
extern "C" {
#endif

/// Atomically exchanges the directory entries `a` and `b` (both must exist, on one file system):
/// Linux `renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)` through `syscall` (no glibc
/// wrapper needed), macOS `renamex_np(a, b, RENAME_SWAP)`. Returns 0, or -1 with `errno` set;
/// `EINVAL` or `ENOSYS` mean the kernel or file system cannot exchange (use a fallback).
int sf_exchange_paths(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
