// OpenBLAS from Debian (libopenblas-dev): cblas_sgemm and the thread-count control.
#include <cblas.h>
