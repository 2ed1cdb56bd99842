"""GPU benchmarks (`python -m bench --device cuda`): our CUDA kernels against torch on the same
GPU (cuBLAS / cuDNN), float32 with TF32 off on both sides, timed with CUDA events and with L2
flushed before every timed call. The cases are bench/cases' own builders run on CUDA, so the CPU
and GPU tables line up."""
