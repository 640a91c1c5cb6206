#!/usr/bin/env bash
# Publishes `segment` as a self-contained linux-x64 program (the .NET runtime inside, no SDK needed) and packs it
# as dist/segment-<backend>-linux-x64.tar.gz, printing the sizes.
#
#   scripts/publish.sh [--backend cpu|external|both] [--trim] [--check]
#
#   cpu       with LibTorch 2.10 CPU (runs anywhere; ~150 MiB compressed)
#   external  without LibTorch (the managed TorchSharp only): runs on an installed PyTorch through
#             scripts/segment-torch and a bridge from scripts/build_torchsharp_bridge.sh (docs/gpu.md)
#   --trim    IL-trims the .NET part (smaller; TorchSharp and YamlDotNet are kept whole, they use reflection)
#   --check   runs each published binary: --help, and a model built and run one bench step on the CPU (the external
#             build against the LibTorch of the restored TorchSharp-cpu package, standing in for an installed PyTorch)
set -euo pipefail
cd "$(dirname "$0")/.."
backends=(cpu) trim=0 check=0
while (($#)); do
  case "$1" in
    --backend) case "${2:-}" in cpu|external) backends=("$2") ;; both) backends=(cpu external) ;;
      *) echo "publish.sh: --backend takes cpu, external or both" >&2; exit 2 ;; esac; shift 2 ;;
    --trim) trim=1; shift ;;
    --check) check=1; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "publish.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

for backend in "${backends[@]}"; do
  name="segment-$backend-linux-x64"; out="dist/$name"
  rm -rf "$out"
  args=(-c Release -r linux-x64 --self-contained -p:TorchBackend="$backend" -p:DebugType=none -o "$out")
  ((trim)) && args+=(-p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true)
  echo "publishing $name ..."
  log="$(mktemp)"
  dotnet publish src/Segmenter.Cli/Segmenter.Cli.csproj "${args[@]}" >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
  rm -f "$log"
  tar -C dist -czf "dist/$name.tar.gz" "$name"
  printf '%-28s %8.1f MiB unpacked  %8.1f MiB .tar.gz\n' "$name" \
    "$(du -sb "$out" | awk '{print $1/1048576}')" "$(stat -c %s "dist/$name.tar.gz" | awk '{print $1/1048576}')"

  if ((check)); then
    env=()
    if [ "$backend" = external ]; then
      # Stand-in for an installed PyTorch: the LibTorch of the restored TorchSharp-cpu package, with the bridge that the
      # CPU build patched for this machine's libstdc++ (Directory.Build.targets).
      torch_lib="$(ls -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/libtorch-cpu-linux-x64/*/runtimes/linux-x64/native | tail -1)"
      bridge="$(dirname "$(find src/Segmenter.Cli/bin/Release tests/Segmenter.Tests/bin/Release -name libLibTorchSharp.so 2>/dev/null | head -1)")"
      [ -d "$torch_lib" ] && [ "$bridge" != . ] || { echo "publish.sh --check: build the CPU flavour first (dotnet build -c Release)" >&2; exit 1; }
      env=(env "LD_LIBRARY_PATH=$bridge:$torch_lib")
    fi
    "${env[@]}" "$out/segment" --help >/dev/null
    "${env[@]}" "$out/segment" bench --config configs/smoke_voc.yaml --iters 1 --warmup 0 >/dev/null
    echo "  checked: $out/segment --help and one bench step ran"
  fi
done
