"""Build fastact: the C kernels once per ISA, the dispatcher and the Cython wrapper.

fa_kernels.c is compiled once per instruction set the compiler supports (baseline for the
target, AVX2+FMA and AVX-512 on x86-64) with that ISA's flags only, so the extension runs on
any CPU of the architecture and picks the best kernels at import.  No tuning for the build
machine's CPU and no fast-math: -ffp-contract=off keeps scalar tails and vector bodies
bit-identical, and -fno-math-errno / -fno-trapping-math change no value (they let the loops
vectorize).
"""
import os
import platform
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

KERNEL_FLAGS = ["-std=c11", "-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math",
                "-Wall", "-Wextra"]
# what fa_kernels.c includes: the kernel objects (and so the extension) are rebuilt when one
# changes
KERNEL_DEPENDS = ["csrc/fastact.h", "csrc/fa_coeffs.inc", "csrc/fa_math.inc",
                  "csrc/fa_functions.inc", "csrc/fa_functions_f32.inc", "csrc/fa_loops.inc",
                  "csrc/fa_half.inc", "csrc/fa_structured.h", "csrc/fa_structured.inc",
                  "csrc/fa_structured_table.inc"]
X86_ISAS = {
    "avx2": ["-mavx2", "-mfma", "-mf16c"],
    "avx512": ["-mavx512f", "-mavx512dq", "-mavx512vl", "-mfma", "-mf16c"],
}


def is_x86():
    return platform.machine().lower() in ("x86_64", "amd64", "i686", "i386", "x86")


class BuildExt(build_ext):
    def _accepts(self, flags):
        """Whether the C compiler accepts `flags` (compiles a trivial file with them)."""
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "probe.c")
            with open(src, "w") as f:
                f.write("int main(void) { return 0; }\n")
            try:
                self.compiler.compile([src], output_dir=tmp, extra_postargs=flags)
            except Exception:
                return False
        return True

    def build_extension(self, ext):
        if ext.name != "fastact._core":
            return super().build_extension(ext)
        isas = {"baseline": []}
        if is_x86():
            isas.update({k: v for k, v in X86_ISAS.items() if self._accepts(v)})

        def compile_isa(isa):
            return self.compiler.compile(
                ["csrc/fa_kernels.c"], output_dir=os.path.join(self.build_temp, "kernels", isa),
                include_dirs=["csrc"], macros=[("FA_ISA", isa)],
                extra_postargs=KERNEL_FLAGS + isas[isa], depends=KERNEL_DEPENDS)

        # the ISA instances are independent compiler runs: in parallel, one per core
        with ThreadPoolExecutor(max_workers=min(len(isas), os.cpu_count() or 1)) as pool:
            objects = [o for objs in pool.map(compile_isa, isas) for o in objs]
        for isa in isas:
            ext.define_macros.append((f"FA_FLAGS_{isa.upper()}",
                                      '"' + " ".join(KERNEL_FLAGS + isas[isa]) + '"'))
            if isa != "baseline":
                ext.define_macros.append((f"FA_HAVE_{isa.upper()}", "1"))
        ext.extra_objects = objects + list(ext.extra_objects or [])
        if self._accepts(["-pthread"]):
            ext.extra_compile_args = list(ext.extra_compile_args or []) + ["-pthread"]
            ext.extra_link_args = list(ext.extra_link_args or []) + ["-pthread"]
        super().build_extension(ext)


extensions = [
    Extension(
        "fastact._core",
        sources=["src/fastact/_core.pyx", "csrc/fa_dispatch.c", "csrc/fa_parallel.c",
                 "csrc/fa_structured.c", "csrc/fa_api.c"],
        include_dirs=["csrc", np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION")],
        depends=["csrc/fa_kernels.c", *KERNEL_DEPENDS, "src/fastact/_structured.pxi",
                 "csrc/fa_api.h"],
    )
]

setup(
    ext_modules=cythonize(extensions, compiler_directives={"language_level": 3}),
    cmdclass={"build_ext": BuildExt},
)
