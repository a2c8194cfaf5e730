/* Host build of the CUDA kernel source (see build.rs): same arithmetic, loops instead of threads. */
#include "sloth.cu"
