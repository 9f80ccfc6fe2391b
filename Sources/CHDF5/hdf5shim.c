/* See include/sfhdf5.h. HDF5 1.10 or later (Debian libhdf5-dev, serial build). */
#include "sfhdf5.h"

#include <hdf5/serial/hdf5.h>
#include <stdlib.h>
#include <string.h>

static void quiet(void) {
    static int done = 0;
    if (!done) {
        H5open();
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        done = 1;
    }
}

int sfh5_is_hdf5(const char *path) {
    quiet();
    htri_t r = H5Fis_hdf5(path);
    return r > 0 ? 1 : (r == 0 ? 0 : -1);
}

int64_t sfh5_open_read(const char *path) {
    quiet();
    return (int64_t)H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
}

int64_t sfh5_create(const char *path) {
    quiet();
    return (int64_t)H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
}

int sfh5_close_file(int64_t file) { return H5Fclose((hid_t)file) < 0 ? -1 : 0; }

int64_t sfh5_child_count(int64_t loc, const char *path) {
    quiet();
    H5G_info_t info;
    if (H5Gget_info_by_name((hid_t)loc, path, &info, H5P_DEFAULT) < 0) return -1;
    return (int64_t)info.nlinks;
}

int64_t sfh5_child_name(int64_t loc, const char *path, int64_t index, char *buf, size_t size) {
    quiet();
    ssize_t n = H5Lget_name_by_idx((hid_t)loc, path, H5_INDEX_NAME, H5_ITER_INC, (hsize_t)index, buf, size, H5P_DEFAULT);
    return n < 0 ? -1 : (int64_t)n;
}

int sfh5_kind(int64_t loc, const char *path) {
    quiet();
    htri_t exists = H5Lexists((hid_t)loc, path, H5P_DEFAULT);
    if (exists < 0) return -1;
    if (exists == 0) return SFH5_MISSING;
    /* Hard links only: soft and external links could lead anywhere on the machine. */
    H5L_info_t link;
    if (H5Lget_info((hid_t)loc, path, &link, H5P_DEFAULT) < 0) return -1;
    if (link.type != H5L_TYPE_HARD) return SFH5_OTHER;
    if (H5Oexists_by_name((hid_t)loc, path, H5P_DEFAULT) <= 0) return SFH5_MISSING;
    H5O_info_t info;
    if (H5Oget_info_by_name((hid_t)loc, path, &info, H5P_DEFAULT) < 0) return -1;
    switch (info.type) {
    case H5O_TYPE_GROUP: return SFH5_GROUP;
    case H5O_TYPE_DATASET: return SFH5_DATASET;
    default: return SFH5_OTHER;
    }
}

int sfh5_dataset_info(int64_t loc, const char *path, int *type_class, int *rank, uint64_t *dims, int *is_signed, size_t *byte_size) {
    quiet();
    hid_t d = H5Dopen2((hid_t)loc, path, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t t = H5Dget_type(d), s = H5Dget_space(d);
    int result = -1;
    if (t >= 0 && s >= 0) {
        H5T_class_t c = H5Tget_class(t);
        *type_class = c == H5T_INTEGER ? SFH5_INTEGER : c == H5T_FLOAT ? SFH5_FLOAT : c == H5T_STRING ? SFH5_STRING : SFH5_UNSUPPORTED;
        *is_signed = c == H5T_INTEGER && H5Tget_sign(t) == H5T_SGN_2;
        *byte_size = H5Tget_size(t);
        int r = H5Sget_simple_extent_ndims(s);
        if (r >= 0 && r <= SFH5_MAX_RANK && H5Sget_simple_extent_type(s) != H5S_NULL) {
            hsize_t d64[SFH5_MAX_RANK];
            if (H5Sget_simple_extent_dims(s, d64, NULL) >= 0) {
                *rank = r;
                for (int i = 0; i < r; i++) dims[i] = (uint64_t)d64[i];
                result = 0;
            }
        } else if (r > SFH5_MAX_RANK) {
            *rank = r;
            result = 0;
        }
    }
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    H5Dclose(d);
    return result;
}

static uint64_t points(hid_t d) {
    hid_t s = H5Dget_space(d);
    if (s < 0) return UINT64_MAX;
    hssize_t n = H5Sget_simple_extent_npoints(s);
    H5Sclose(s);
    return n < 0 ? UINT64_MAX : (uint64_t)n;
}

static int read_numeric(int64_t loc, const char *path, hid_t memtype, void *out, uint64_t count) {
    quiet();
    hid_t d = H5Dopen2((hid_t)loc, path, H5P_DEFAULT);
    if (d < 0) return -1;
    int result = -1;
    hid_t t = H5Dget_type(d);
    if (t >= 0) {
        H5T_class_t c = H5Tget_class(t);
        if ((c == H5T_INTEGER || c == H5T_FLOAT) && points(d) == count)
            result = H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0 ? -1 : 0;
        H5Tclose(t);
    }
    H5Dclose(d);
    return result;
}

int sfh5_read_doubles(int64_t loc, const char *path, double *out, uint64_t count) {
    return read_numeric(loc, path, H5T_NATIVE_DOUBLE, out, count);
}

int sfh5_read_int64(int64_t loc, const char *path, int64_t *out, uint64_t count) {
    return read_numeric(loc, path, H5T_NATIVE_INT64, out, count);
}

int64_t sfh5_read_strings(int64_t loc, const char *path, uint64_t count, char *buf, size_t size) {
    quiet();
    hid_t d = H5Dopen2((hid_t)loc, path, H5P_DEFAULT);
    if (d < 0) return -1;
    int64_t result = -1;
    hid_t t = H5Dget_type(d);
    if (t < 0 || H5Tget_class(t) != H5T_STRING || points(d) != count || count > (1u << 24)) goto done;
    if (H5Tis_variable_str(t) > 0) {
        hid_t mem = H5Tcopy(H5T_C_S1);
        H5Tset_size(mem, H5T_VARIABLE);
        H5Tset_cset(mem, H5Tget_cset(t));
        char **strings = calloc(count ? count : 1, sizeof(char *));
        if (strings && H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, strings) >= 0) {
            size_t need = 0;
            for (uint64_t i = 0; i < count; i++) need += (strings[i] ? strlen(strings[i]) : 0) + 1;
            if (size >= need) {
                size_t at = 0;
                for (uint64_t i = 0; i < count; i++) {
                    size_t n = strings[i] ? strlen(strings[i]) : 0;
                    if (n) memcpy(buf + at, strings[i], n);
                    buf[at + n] = 0;
                    at += n + 1;
                }
            }
            result = (int64_t)need;
            hid_t s = H5Dget_space(d);
            H5Dvlen_reclaim(mem, s, H5P_DEFAULT, strings);
            H5Sclose(s);
        }
        free(strings);
        H5Tclose(mem);
    } else {
        size_t each = H5Tget_size(t);
        if (each == 0 || each > (1u << 20)) goto done;
        if ((uint64_t)count > ((uint64_t)1 << 40) / (each + 1)) goto done;
        size_t need = (size_t)count * (each + 1);
        if (size >= need) {
            char *raw = malloc(count * each + 1);
            hid_t mem = H5Tcopy(t);
            if (raw && H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0) {
                /* Each slot up to its first NUL (fixed strings may fill it), then one NUL. */
                size_t at = 0;
                for (uint64_t i = 0; i < count; i++) {
                    size_t n = strnlen(raw + i * each, each);
                    memcpy(buf + at, raw + i * each, n);
                    buf[at + n] = 0;
                    at += n + 1;
                }
                result = (int64_t)at;
            }
            H5Tclose(mem);
            free(raw);
        } else {
            result = (int64_t)need;
        }
    }
done:
    if (t >= 0) H5Tclose(t);
    H5Dclose(d);
    return result;
}

int sfh5_create_group(int64_t loc, const char *path) {
    quiet();
    hid_t g = H5Gcreate2((hid_t)loc, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return -1;
    H5Gclose(g);
    return 0;
}

static int write_dataset(int64_t loc, const char *path, int rank, const uint64_t *dims, hid_t filetype, hid_t memtype, int compress, const void *data) {
    quiet();
    if (rank < 0 || rank > SFH5_MAX_RANK) return -1;
    hsize_t d64[SFH5_MAX_RANK];
    int empty = 0;
    for (int i = 0; i < rank; i++) { d64[i] = (hsize_t)dims[i]; if (dims[i] == 0) empty = 1; }
    hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, d64, NULL);
    if (space < 0) return -1;
    hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    if (compress && rank > 0 && !empty) { /* numeric arrays: chunked and gzip, as nir.write does */
        H5Pset_chunk(plist, rank, d64);
        H5Pset_deflate(plist, 4);
    }
    int result = -1;
    hid_t d = H5Dcreate2((hid_t)loc, path, filetype, space, H5P_DEFAULT, plist, H5P_DEFAULT);
    if (d >= 0) {
        result = empty ? 0 : (H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0 ? -1 : 0);
        H5Dclose(d);
    }
    H5Pclose(plist);
    H5Sclose(space);
    return result;
}

int sfh5_write_float(int64_t loc, const char *path, int rank, const uint64_t *dims, const double *data, int bits) {
    if (bits != 32 && bits != 64) return -1;
    return write_dataset(loc, path, rank, dims, bits == 32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, data);
}

int sfh5_write_int64(int64_t loc, const char *path, int rank, const uint64_t *dims, const int64_t *data) {
    return write_dataset(loc, path, rank, dims, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, data);
}

int sfh5_write_strings(int64_t loc, const char *path, int rank, const uint64_t *dims, const char *const *strings) {
    quiet();
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    int result = write_dataset(loc, path, rank, dims, t, t, 0, strings);
    H5Tclose(t);
    return result;
}
