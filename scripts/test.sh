#!/usr/bin/env bash
# The test command (README "Tests", .ci/run): installs the Debian packages that some tests need when they are missing
# (Open MPI for the multi-process tests, slurm-wlm, munge and iproute2 for the Slurm and several-host tests,
# python3-onnx for the ONNX checker, PyTorch 1.13 for the export parity check, libturbojpeg0 for the libjpeg-turbo
# JPEG decoder), says so when it cannot, then runs every test. Extra arguments go to `dotnet test` (e.g. --filter X).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

need=()
command -v mpirun >/dev/null 2>&1 || need+=(openmpi-bin libopenmpi-dev)
/usr/bin/python3 -c "import onnx" >/dev/null 2>&1 || need+=(python3-onnx)
/usr/bin/python3 -c "import torch, torchvision" >/dev/null 2>&1 || need+=(python3-torch python3-torchvision)
# A one-node Slurm (scripts/slurm_local.sh) and network namespaces (scripts/netns_hosts.sh) for the cluster tests
PATH="$PATH:/sbin:/usr/sbin" command -v slurmctld >/dev/null 2>&1 || need+=(slurm-wlm)
PATH="$PATH:/sbin:/usr/sbin" command -v munged >/dev/null 2>&1 || need+=(munge)
PATH="$PATH:/sbin:/usr/sbin" command -v ip >/dev/null 2>&1 || need+=(iproute2)
# grep reads all of ldconfig's output (grep -q could end it with SIGPIPE, a failure under pipefail)
PATH="$PATH:/sbin:/usr/sbin" ldconfig -p 2>/dev/null | grep libturbojpeg.so.0 >/dev/null || need+=(libturbojpeg0)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else sudo=(none); fi
  if [ "${sudo[0]:-}" != none ] && command -v apt-get >/dev/null 2>&1; then
    echo "scripts/test.sh: installing ${need[*]} (apt-get)" >&2
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "scripts/test.sh: cannot install ${need[*]} (needs root or sudo and apt-get); the MPI, Slurm, several-host and libjpeg-turbo tests then report themselves skipped, the ONNX checker and PyTorch checks fail" >&2
  fi
fi
exec dotnet test Segmenter.sln -c Release "$@"
