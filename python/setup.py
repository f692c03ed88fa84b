"""Builds rmqsim._core with the project's CMake (the target rmqsim_python) and packages it with
the pure-Python files and the scenario library. RMQSIM_BUILD_DIR names an existing build tree
to reuse (default: <repository>/build when it exists, else a fresh one under build/python-pkg);
RMQSIM_SOURCE_DIR the repository when this directory was copied out of it."""

import glob
import os
import shutil
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
# The repository (CMake's source tree): RMQSIM_SOURCE_DIR when python/ was copied elsewhere.
ROOT = os.environ.get("RMQSIM_SOURCE_DIR") or os.path.dirname(HERE)


def cmake_build_dir() -> str:
    explicit = os.environ.get("RMQSIM_BUILD_DIR")
    if explicit:
        return os.path.abspath(explicit)
    default = os.path.join(ROOT, "build")
    if os.path.exists(os.path.join(default, "build.ninja")):
        return default
    return os.path.join(ROOT, "build", "python-pkg")


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = cmake_build_dir()
        if not os.path.exists(os.path.join(build, "CMakeCache.txt")):
            subprocess.check_call(["cmake", "-S", ROOT, "-B", build, "-G", "Ninja",
                                   "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                                   "-DRMQSIM_BUILD_TESTS=OFF", "-DRMQSIM_BUILD_BENCHMARKS=OFF",
                                   "-DPYTHON_EXECUTABLE=/usr/bin/python3"])
        subprocess.check_call(["cmake", "--build", build, "--target", "rmqsim_python"])
        built = glob.glob(os.path.join(build, "python", "rmqsim", "_core*.so"))
        if not built:
            raise RuntimeError(f"no rmqsim/_core*.so in {build}/python after the build")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built[0], target)


class WithLibrary(build_py):
    """The scenario library goes into the package (rmqsim.library() finds it there)."""

    def run(self):
        super().run()
        dest = os.path.join(self.build_lib, "rmqsim", "library")
        os.makedirs(dest, exist_ok=True)
        for f in glob.glob(os.path.join(ROOT, "scenarios", "library", "*.textproto")):
            shutil.copy(f, dest)


setup(
    packages=["rmqsim"],
    package_data={"rmqsim": ["*.pyi", "py.typed"]},
    ext_modules=[Extension("rmqsim._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild, "build_py": WithLibrary},
    zip_safe=False,
)
