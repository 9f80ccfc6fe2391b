/*
 * sf_shim.h - the only crossing between Swift and a Verilated C++ model.
 *
 * SpikeForge generates one shim (.cpp) per design. It includes this header and exports the
 * functions below with C linkage from a shared library that Swift loads with dlopen. This is
 * an implementation detail with no stable API; SF_SHIM_ABI_VERSION changes when it changes.
 *
 * Values travel as raw bit patterns in little-endian arrays of 64-bit words; a port of width w
 * uses (w + 63) / 64 words. One cycle's inputs are the input ports in declaration order (clock
 * excluded), packed back to back; likewise the outputs.
 */
#ifndef SF_SHIM_H
#define SF_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SF_SHIM_ABI_VERSION 3u

typedef struct sf_port_info {
    const char *name;
    uint32_t width;
    uint32_t is_output;
    uint32_t is_signed;
    uint32_t offset_words; /* within the input or the output frame */
} sf_port_info;

typedef uint32_t (*sf_abi_version_fn)(void);
typedef uint32_t (*sf_port_count_fn)(void);
typedef const sf_port_info *(*sf_ports_fn)(void);
/* A new model with its own VerilatedContext, evaluated once with the clock low. */
typedef void *(*sf_create_fn)(void);
typedef void (*sf_destroy_fn)(void *model);
/* n cycles: apply inputs, settle, sample outputs, rising edge. in: n*in_words, out: n*out_words. */
typedef void (*sf_step_fn)(void *model, uint64_t n, const uint64_t *in, uint64_t *out);
/* Single-port access between steps (eval is not implied; call sf_eval). */
typedef void (*sf_poke_fn)(void *model, uint32_t port, const uint64_t *words);
typedef void (*sf_peek_fn)(void *model, uint32_t port, uint64_t *words);
typedef void (*sf_eval_fn)(void *model);
/* Waveforms: 0 on success, -1 when the library was built without tracing. */
typedef int (*sf_trace_open_fn)(void *model, const char *path);
typedef void (*sf_trace_close_fn)(void *model);
/* The reference for the co-simulation benchmark: a plain C++ testbench loop that replays the
 * same stimulus buffer (batch cycles, rounds times), assigning ports and calling eval directly.
 * Returns a checksum of the outputs. */
typedef uint64_t (*sf_bench_native_fn)(void *model, uint64_t rounds, uint64_t batch, const uint64_t *in);
typedef uint64_t (*sf_cycles_fn)(void *model);

/* The host loop (HostPortDevice.runHost in Swift), for a top with a valid/ready host port:
 * each cycle offers the next of n_flits flits (in_valid, in_flit; 0 when none is left), takes
 * it when in_ready is high, stores out_flit when out_valid and the request's out_ready are
 * high (neither in reset), then stops after the first cycle that meets a condition of the
 * request, at max_cycles, or when received_cap (at least 1) flits have been stored. */
typedef struct sf_host_port {
    uint32_t rst, in_valid, in_flit, out_ready;  /* word offsets in the input frame */
    uint32_t in_ready, out_valid, out_flit, busy; /* word offsets in the output frame */
} sf_host_port;
typedef struct sf_host_request {
    uint64_t max_cycles;
    uint64_t until_received; /* stop once this many flits were received (0: never) */
    uint32_t rst, out_ready;
    uint32_t until_quiet;    /* stop after a cycle that offers nothing and sees busy low */
    uint32_t reserved;
} sf_host_request;
typedef struct sf_host_result {
    uint64_t cycles, taken, received;
    uint32_t last_offered, last_busy;
} sf_host_result;
typedef void (*sf_host_run_fn)(void *model, const sf_host_port *port, const sf_host_request *request, const uint64_t *flits,
                               uint64_t n_flits, uint64_t *received, uint64_t received_cap, sf_host_result *result);

#ifdef __cplusplus
}
#endif

#endif
