#!/usr/bin/env bash
# Builds TorchSharp's native bridge (libLibTorchSharp.so, TorchSharp 0.107's src/Native/LibTorchSharp) against the
# PyTorch that `python3 -c "import torch"` finds, so `segment` built with -p:TorchBackend=external runs on that
# PyTorch's libraries (a cluster's own PyTorch with CUDA) instead of the LibTorch NuGet packages. See docs/gpu.md.
#
#   scripts/build_torchsharp_bridge.sh [--python PY] [--source DIR] [--out DIR] [--jobs N] [--dry-run]
#
#   --python PY   the Python whose torch to build against (default: python3)
#   --source DIR  a TorchSharp source tree at v0.107.0 (holds src/Native/LibTorchSharp); default: $SEGMENTER_TORCHSHARP_SRC,
#                 else a shallow git clone of github.com/dotnet/TorchSharp at v0.107.0 into the cache (needs internet)
#   --cmake-prefix DIR  where Torch/TorchConfig.cmake lies, when not in torch.utils.cmake_prefix_path (distribution
#                 packages put it elsewhere: Debian's libtorch-dev under /usr/lib/<arch>/cmake)
#   --out DIR     where libLibTorchSharp.so and bridge.env go (default: ~/.cache/segmenter/torchsharp-bridge/<torch version>)
#   --dry-run     check the prerequisites and print the commands, build nothing
#
# The managed TorchSharp 0.107 binds LibTorch 2.10's C++ API; a PyTorch of another minor version may not compile
# against it (PyTorch 1.13 fails in THSAutograd.cpp), which the script says before it starts.
set -euo pipefail

python=python3 source="${SEGMENTER_TORCHSHARP_SRC:-}" out="" cmake_prefix="" jobs="$(nproc 2>/dev/null || echo 2)" dry=0
tag=v0.107.0 bound_torch=2.10
die() { echo "build_torchsharp_bridge: $*" >&2; exit 2; }
while (($#)); do
  case "$1" in
    --python) python="${2:?--python needs a value}"; shift 2 ;;
    --source) source="${2:?--source needs a value}"; shift 2 ;;
    --out) out="${2:?--out needs a value}"; shift 2 ;;
    --cmake-prefix) cmake_prefix="${2:?--cmake-prefix needs a value}"; shift 2 ;;
    --jobs) jobs="${2:?--jobs needs a value}"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

command -v "$python" >/dev/null 2>&1 || die "python '$python' not found: pass --python /path/to/python3 of the PyTorch to use"
info="$("$python" - <<'EOF' 2>/dev/null
import torch, os
print(torch.__version__.split('+')[0])
print(torch.utils.cmake_prefix_path)
print(os.path.join(os.path.dirname(torch.__file__), 'lib'))
print(torch.version.cuda or 'none')
print(int(torch._C._GLIBCXX_USE_CXX11_ABI))
EOF
)" || die "'$python -c \"import torch\"' failed: install PyTorch for that python or pass --python to the one that has it"
mapfile -t lines <<<"$info"
torch_version="${lines[0]}" prefix="${lines[1]}" torch_lib="${lines[2]}" cuda="${lines[3]}" abi="${lines[4]}"
if [ -n "$cmake_prefix" ]; then prefix="$cmake_prefix"
elif [ ! -f "$prefix/Torch/TorchConfig.cmake" ]; then
  for p in /usr/lib/*/cmake /usr/share/cmake /usr/local/share/cmake; do [ -f "$p/Torch/TorchConfig.cmake" ] && { prefix="$p"; break; }; done
fi
[ -f "$prefix/Torch/TorchConfig.cmake" ] || die "$prefix/Torch/TorchConfig.cmake is missing: this PyTorch has no CMake files; install its development files (Debian: libtorch-dev) or pass --cmake-prefix"
[ -d "$torch_lib" ] || die "$torch_lib (PyTorch's libraries) is missing"
echo "PyTorch $torch_version (CUDA $cuda, C++11 ABI $abi) at $torch_lib"
echo "CMake prefix: $prefix"
case "$torch_version" in
  "$bound_torch"|"$bound_torch".*) ;;
  *) echo "warning: TorchSharp ${tag#v} binds LibTorch $bound_torch; PyTorch $torch_version may not compile against its bridge (same major.minor is safest)" >&2 ;;
esac
[ -n "$out" ] || out="${XDG_CACHE_HOME:-$HOME/.cache}/segmenter/torchsharp-bridge/$torch_version"

tools_missing=()
for t in cmake make c++ git; do command -v "$t" >/dev/null 2>&1 || tools_missing+=("$t"); done
if [ -z "$source" ]; then source="${XDG_CACHE_HOME:-$HOME/.cache}/segmenter/TorchSharp-$tag"; clone=1; else clone=0; fi
if ((clone)) && [ -d "$source/src/Native/LibTorchSharp" ]; then clone=0; fi
((clone)) || [ -d "$source/src/Native/LibTorchSharp" ] || die "$source has no src/Native/LibTorchSharp: pass --source to a TorchSharp checkout at $tag"

build="$out/build"
# TorchSharp's CMakeLists hard-codes -D_GLIBCXX_USE_CXX11_ABI=1 and -Werror; a copy of src/Native gets this PyTorch's ABI
# and no -Werror (warnings of another compiler or PyTorch version must not stop the build).
configure=(cmake -S "$build/Native" -B "$build/obj" -DCMAKE_BUILD_TYPE=Release "-DLIBTORCH_PATH=$prefix/Torch"
  "-DCMAKE_PREFIX_PATH=$prefix")
compile=(cmake --build "$build/obj" --target LibTorchSharp -j "$jobs")
if ((dry)); then
  ((clone)) && echo "would run: git clone --depth 1 --branch $tag https://github.com/dotnet/TorchSharp $source"
  echo "would copy: $source/src/Native -> $build/Native (C++11 ABI $abi, no -Werror)"
  echo "would run: ${configure[*]}"
  echo "would run: ${compile[*]}"
  echo "would write: $out/libLibTorchSharp.so and $out/bridge.env (TORCH_LIB=$torch_lib)"
  ((${#tools_missing[@]})) && echo "missing tools: ${tools_missing[*]} (install them before the real build)"
  echo "dry run: nothing built"
  exit 0
fi
((${#tools_missing[@]})) && die "missing tools: ${tools_missing[*]} (install them, e.g. apt-get install cmake make g++ git)"

if ((clone)); then
  echo "cloning TorchSharp $tag into $source"
  git clone -q --depth 1 --branch "$tag" https://github.com/dotnet/TorchSharp "$source" \
    || die "could not clone TorchSharp $tag (no internet?): pass --source to a copy of it"
fi
rm -rf "$build/Native"; mkdir -p "$build"
cp -r "$source/src/Native" "$build/Native"
sed -i -e "s/-D_GLIBCXX_USE_CXX11_ABI=1/-D_GLIBCXX_USE_CXX11_ABI=$abi/" -e 's/add_definitions(-Werror)/# -Werror dropped by build_torchsharp_bridge.sh/' \
  "$build/Native/CMakeLists.txt"
"${configure[@]}"
"${compile[@]}"
lib="$(find "$build/obj" -name libLibTorchSharp.so -print -quit)"
[ -n "$lib" ] || die "the build produced no libLibTorchSharp.so (see the output above)"
cp "$lib" "$out/libLibTorchSharp.so"
printf 'TORCH_LIB=%s\nTORCH_VERSION=%s\nTORCH_CUDA=%s\n' "$torch_lib" "$torch_version" "$cuda" >"$out/bridge.env"
echo "built $out/libLibTorchSharp.so against PyTorch $torch_version"
echo "run: SEGMENTER_TORCH_BRIDGE=$out scripts/segment-torch --help"
