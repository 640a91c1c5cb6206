#!/usr/bin/env bash
# `dotnet pack` of the library (Segmenter, for .NET applications: Inference/SegmentationModel) and of the `segment`
# command as a .NET tool (Segmenter.Tool, with LibTorch for linux-x64 only: a tool package holds its whole publish
# output, and LibTorch for every platform would be ~400 MB). Writes dist/nupkg/.
#
#   scripts/pack.sh [--library-only] [--version V] [--out DIR]
#   dotnet tool install -g --add-source dist/nupkg Segmenter.Tool      # then: segment --help
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist/nupkg library_only=0 version=()
while (($#)); do
  case "$1" in
    --library-only) library_only=1; shift ;;
    --version) version=(-p:Version="${2:?--version needs a value}"); shift 2 ;;
    --out) out="${2:?--out needs a value}"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "pack.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet pack src/Segmenter/Segmenter.csproj -c Release -o "$out" "${version[@]}" --nologo -v quiet
((library_only)) || dotnet pack src/Segmenter.Cli/Segmenter.Cli.csproj -c Release -o "$out" -p:RuntimeIdentifiers=linux-x64 "${version[@]}" --nologo -v quiet
ls -l "$out"/*.nupkg | awk '{printf "%-60s %8.1f MiB\n", $9, $5/1048576}'
