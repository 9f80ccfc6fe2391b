/* zlib from Debian's zlib1g-dev, as a system library (no stable API). */
#include <zlib.h>
