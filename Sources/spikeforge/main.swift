import SpikeForgeCLI
import Trainer

// Before anything else (no thread, nothing read yet): OpenBLAS's best kernels for this CPU,
// re-executing this process with OPENBLAS_CORETYPE when OpenBLAS guessed worse ones.
BLASCore.selectBestKernels()
SpikeForge.main()
