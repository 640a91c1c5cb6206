#!/usr/bin/env bash
# The main job on an embedded default, end to end on CPU: build `segment`, put it on PATH, generate a tiny
# Pascal-VOC-format dataset, train DeepLabV3+ (ResNet-18, configs/smoke_voc.yaml), evaluate, predict.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p "$HOME/.local/bin" && ln -sfn "$PWD/scripts/segment" "$HOME/.local/bin/segment"
seg=scripts/segment
work=work_dirs/smoke_voc
$seg data synth --format voc --out data/synth_voc --count 48 --size 96 --seed 0
$seg data check --config configs/smoke_voc.yaml --split val
$seg train --config configs/smoke_voc.yaml --work-dir "$work"
$seg eval --config configs/smoke_voc.yaml --checkpoint "$work/best_mIoU.ckpt" --out "$work/eval.json" \
  --confusion --show-dir "$work/show" --worst 4
$seg predict --config configs/smoke_voc.yaml --checkpoint "$work/best_mIoU.ckpt" \
  --input data/synth_voc/VOCdevkit/VOC2012/JPEGImages --out "$work/predictions" --overlay 0.5
report=$($seg report --work-dir "$work")
echo
echo "Done. Results:"
echo "  checkpoints, train.log, metrics.jsonl: $PWD/$work"
echo "  evaluation (mIoU per class):           $PWD/$work/eval.json"
echo "  predictions (index, colour, overlay):   $PWD/$work/predictions"
echo "  worst validation images (panels):      $PWD/$work/show"
echo "  TensorBoard:                           tensorboard --logdir $PWD/$work/tensorboard"
echo "  the command is installed as:           $HOME/.local/bin/segment (add ~/.local/bin to PATH if needed)"
echo "  report (plots, confusion matrix):      $report"
