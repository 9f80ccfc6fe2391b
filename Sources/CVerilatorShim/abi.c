#include "sf_shim.h"

/* The ABI version the Swift side was built against. */
unsigned sf_swift_side_abi_version(void) { return SF_SHIM_ABI_VERSION; }
