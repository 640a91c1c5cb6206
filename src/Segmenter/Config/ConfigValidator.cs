using Segmenter.Training.Optim;
using System.Globalization;
using Segmenter.Data;
using Segmenter.Models;
using Segmenter.Models.Segmentors;

namespace Segmenter.Config;

/// <summary>
/// Checks the values a config may hold (choices, ranges, list lengths, cross-key agreement) once, at load, so a
/// bad value fails before any data is read or any weight is built. Errors name the key and the allowed values.
/// The allowed `type` values of model parts are the names in <see cref="ModelRegistry"/>, and those of data.type the
/// names in <see cref="DatasetRegistry"/>, nothing listed here.
/// </summary>
public static class ConfigValidator
{
    public static readonly IReadOnlyList<int> Depths = [18, 34, 50, 101];
    public static readonly IReadOnlyList<int> OutputStrides = [8, 16, 32];
    public static readonly IReadOnlyList<string> AxialWidths = ["s", "m", "l"];
    /// <summary>Axial-ResNet depths: 50 ([3, 4, 6, 3] blocks) and 26 ([1, 2, 4, 1], the released axial26s).</summary>
    public static readonly IReadOnlyList<int> AxialDepths = [26, 50];
    public static readonly IReadOnlyList<string> AxialStems = ["inception", "conv7"];
    public static readonly IReadOnlyList<string> AttentionTypes = ["none", "psa"];
    public static readonly IReadOnlyList<string> AttentionLayouts = ["parallel", "sequential"];
    public static readonly IReadOnlyList<string> OptimizerTypes = ["sgd", "adamw", "radam"];
    public static readonly IReadOnlyList<string> TestModes = ["whole", "slide"];
    public static readonly IReadOnlyList<string> AmpModes = ["none", "bf16", "fp16"];
    public static readonly IReadOnlyList<string> BestRules = ["auto", "greater", "less"];
    public static readonly IReadOnlyList<string> DistBackends = ["auto", "inprocess", "mpi", "nccl"];
    public static readonly IReadOnlyList<string> ScheduleSemantics = [LrSchedule.Mmcv, LrSchedule.Mmengine];
    public static readonly IReadOnlyList<string> RequeueSignals = ["none", "SIGUSR1", "SIGUSR2"];

    /// <summary>Throws a <see cref="SegmenterException"/> for the first invalid value; <paramref name="source"/> names the config.</summary>
    public static void Validate(ExperimentConfig config, string source)
    {
        var check = new Checker(source);
        var m = config.Model;
        check.OneOf("model.type", m.Type, ModelRegistry.Segmentors.Names);
        check.That("model.num_classes", m.NumClasses >= 1, m.NumClasses, "an integer >= 1");
        check.That("model.bn_momentum", m.BnMomentum is > 0 and <= 1, m.BnMomentum, "a number in (0, 1] (PyTorch convention: 0.1)");
        check.That("model.bn_eps", m.BnEps > 0, m.BnEps, "a number > 0");

        var b = m.Backbone;
        check.OneOf("model.backbone.type", b.Type, ModelRegistry.Backbones.Names);
        check.OneOf("model.backbone.depth", b.Depth, b.Type == "axial_resnet" ? AxialDepths : Depths);
        check.OneOf("model.backbone.output_stride", b.OutputStride, OutputStrides);
        if (b.MultiGrid is { } grid)
        {
            check.That("model.backbone.multi_grid", grid.Count >= 1 && grid.All(g => g >= 1), Show(grid), "null or a list of integers >= 1, e.g. [1, 2, 4]");
            if (b.Type == "resnet" && Depths.Contains(b.Depth) && Models.Backbones.ResNet.Plan(b.Depth).Blocks[3] is var layer4 && grid.Count != layer4)
                check.That("model.backbone.multi_grid", false, Show(grid), $"{layer4} dilations, one per layer4 block of ResNet-{b.Depth} (MMSegmentation's meaning)");
        }
        check.That("model.backbone.stem_channels", b.StemChannels >= 2 && b.StemChannels % 2 == 0, b.StemChannels,
            "an even integer >= 2 (MMSegmentation's default 64; Detectron2's R52 DeepLabStem is 128)");
        check.OneOf("model.backbone.attention.type", b.Attention.Type, AttentionTypes);
        check.OneOf("model.backbone.attention.layout", b.Attention.Layout, AttentionLayouts);
        if (b.Pretrained is { } pretrained)
            check.That("model.backbone.pretrained", pretrained.Trim().Length > 0, "''", "null or a path to a weights file");

        var ax = b.Axial;
        if (b.Type == "axial_resnet")
        {
            check.That("model.backbone.output_stride", b.OutputStride is 16 or 32, b.OutputStride, "16 (Axial-DeepLab: layer4 without stride) or 32 for axial_resnet");
            int largestCrop = Math.Max(config.Data.TrainPipeline.CropSize.H, config.Data.TrainPipeline.CropSize.W);
            if (ax.InputSize is null)
                check.That("model.backbone.axial.input_size", largestCrop >= 16, "null", $"an integer >= 16 (the larger crop side, {largestCrop}, is too small to size the attention tables)");
        }
        check.OneOf("model.backbone.axial.width", ax.Width, AxialWidths);
        check.OneOf("model.backbone.axial.stem", ax.Stem, AxialStems);
        if (ax.InputSize is { } inputSize) check.That("model.backbone.axial.input_size", inputSize >= 16, inputSize, "null (the crop size) or an integer >= 16");
        if (ax.Span is { } span) check.That("model.backbone.axial.span", span >= 1 && span % 2 == 1, span, "null (global) or an odd integer, e.g. 65");
        check.That("model.backbone.axial.stem_width_multiplier", ax.StemWidthMultiplier > 0 && (int)(64 * ax.StemWidthMultiplier) % 8 == 0,
            ax.StemWidthMultiplier, "a number > 0 giving stem widths that are multiples of 8 (deeplab2's default 1.0)");

        var pan = m.Panoptic;
        check.That("model.panoptic.aspp_dropout", pan.AsppDropout is >= 0 and < 1, pan.AsppDropout, "a probability in [0, 1), 0.5 by default");
        check.That("model.panoptic.atrous_rates", pan.AtrousRates.Count == 3 && pan.AtrousRates.All(r => r >= 1), Show(pan.AtrousRates), "three integers >= 1, e.g. [6, 12, 18]");
        check.That("model.panoptic.feature_index", pan.FeatureIndex is >= 0 and <= 3, pan.FeatureIndex, "0..3 (layer1..layer4)");
        check.That("model.panoptic.low_level_index", pan.LowLevelIndex.All(i => i is >= 0 and <= 3), Show(pan.LowLevelIndex), "stage indices 0..3, top-down, e.g. [1, 0]");
        check.That("model.panoptic.low_level_channels_project", pan.LowLevelChannelsProject.Count == pan.LowLevelIndex.Count && pan.LowLevelChannelsProject.All(c => c >= 1),
            Show(pan.LowLevelChannelsProject), $"{pan.LowLevelIndex.Count} integers >= 1 (one per low_level_index), e.g. [64, 32]");
        check.That("model.panoptic.instance_low_level_channels_project", pan.InstanceLowLevelChannelsProject.Count == pan.LowLevelIndex.Count && pan.InstanceLowLevelChannelsProject.All(c => c >= 1),
            Show(pan.InstanceLowLevelChannelsProject), $"{pan.LowLevelIndex.Count} integers >= 1 (one per low_level_index), e.g. [32, 16]");
        check.That("model.panoptic.decoder_channels", pan.DecoderChannels >= 1, pan.DecoderChannels, "an integer >= 1");
        check.That("model.panoptic.instance_decoder_channels", pan.InstanceDecoderChannels >= 1, pan.InstanceDecoderChannels, "an integer >= 1");
        check.That("model.panoptic.instance_aspp_channels", pan.InstanceAsppChannels >= 1, pan.InstanceAsppChannels, "an integer >= 1");
        if (pan.InstanceHeadChannels is { } headChannels)
            check.That("model.panoptic.instance_head_channels", headChannels >= 1, headChannels, "null (= instance_decoder_channels) or an integer >= 1");
        check.That("model.panoptic.top_k_percent", pan.TopKPercent is > 0 and <= 1, pan.TopKPercent, "a fraction in (0, 1], e.g. 0.2");
        check.That("model.panoptic.semantic_loss_weight", pan.SemanticLossWeight >= 0, pan.SemanticLossWeight, "a number >= 0");
        check.That("model.panoptic.center_loss_weight", pan.CenterLossWeight >= 0, pan.CenterLossWeight, "a number >= 0");
        check.That("model.panoptic.offset_loss_weight", pan.OffsetLossWeight >= 0, pan.OffsetLossWeight, "a number >= 0");
        check.That("model.panoptic.sigma", pan.Sigma >= 1, pan.Sigma, "an integer >= 1, e.g. 8");
        check.That("model.panoptic.small_instance_area", pan.SmallInstanceArea >= 0, pan.SmallInstanceArea, "an integer >= 0, e.g. 4096");
        check.That("model.panoptic.small_instance_weight", pan.SmallInstanceWeight >= 0, pan.SmallInstanceWeight, "a number >= 0, e.g. 3");
        check.That("model.panoptic.center_threshold", pan.CenterThreshold is >= 0 and < 1, pan.CenterThreshold, "a number in [0, 1), e.g. 0.1");
        check.That("model.panoptic.nms_kernel", pan.NmsKernel >= 1 && pan.NmsKernel % 2 == 1, pan.NmsKernel, "an odd integer, e.g. 7");
        check.That("model.panoptic.top_k", pan.TopK >= 0, pan.TopK, "an integer >= 0 (0 = keep all centres), e.g. 200");
        check.That("model.panoptic.stuff_area", pan.StuffArea >= 0, pan.StuffArea, "an integer >= 0, e.g. 2048");
        check.That("model.panoptic.label_divisor", pan.LabelDivisor >= 2, pan.LabelDivisor, "an integer above the most instances of one class in an image, e.g. 1000");

        var d = m.DecodeHead;
        check.OneOf("model.decode_head.type", d.Type, ModelRegistry.DecodeHeads.Names);
        check.That("model.decode_head.in_index", d.InIndex is >= 0 and <= 3, d.InIndex, "0..3 (layer1..layer4)");
        check.That("model.decode_head.channels", d.Channels >= 1, d.Channels, "an integer >= 1");
        check.That("model.decode_head.dilations", d.Dilations.Count >= 1 && d.Dilations.All(x => x >= 1), Show(d.Dilations), "a non-empty list of integers >= 1, e.g. [1, 12, 24, 36]");
        check.That("model.decode_head.c1_channels", d.C1Channels >= 1, d.C1Channels, "an integer >= 1");
        check.That("model.decode_head.c1_in_index", d.C1InIndex is >= 0 and <= 3, d.C1InIndex, "0..3 (layer1..layer4)");
        check.That("model.decode_head.dropout", d.Dropout is >= 0 and < 1, d.Dropout, "a number in [0, 1)");
        check.That("model.decode_head.loss_weight", d.LossWeight >= 0, d.LossWeight, "a number >= 0");
        check.That("model.decode_head.isa_channels", d.IsaChannels >= 1, d.IsaChannels, "an integer >= 1, e.g. 256");
        CheckPositive(check, "model.decode_head.down_factor", d.DownFactor, "[P_h, P_w] local block size, e.g. [8, 8]");

        if (m.AuxHead is { } a)
        {
            check.OneOf("model.aux_head.type", a.Type, ModelRegistry.AuxHeads.Names);
            check.That("model.aux_head.in_index", a.InIndex is >= 0 and <= 3, a.InIndex, "0..3 (layer1..layer4)");
            check.That("model.aux_head.channels", a.Channels >= 1, a.Channels, "an integer >= 1");
            check.That("model.aux_head.num_convs", a.NumConvs >= 0, a.NumConvs, "an integer >= 0");
            check.That("model.aux_head.dropout", a.Dropout is >= 0 and < 1, a.Dropout, "a number in [0, 1)");
            check.That("model.aux_head.loss_weight", a.LossWeight >= 0, a.LossWeight, "a number >= 0");
        }

        var loss = m.Loss;
        check.OneOf("model.loss.type", loss.Type, ModelRegistry.Losses.Names);
        check.That("model.loss.ignore_index", loss.IgnoreIndex is >= 0 and <= 255, loss.IgnoreIndex, "0..255 (255 in VOC/Cityscapes)");
        if (loss.ClassWeight is { } weights)
            check.That("model.loss.class_weight", weights.Count == m.NumClasses && weights.All(w => w >= 0), Show(weights),
                $"null or {m.NumClasses} numbers >= 0 (one per class, model.num_classes = {m.NumClasses})");
        if (loss.Ohem is { } ohem)
        {
            if (ohem.Thresh is { } thresh) check.That("model.loss.ohem.thresh", thresh is > 0 and < 1, thresh, "null or a number in (0, 1), e.g. 0.7");
            check.That("model.loss.ohem.min_kept", ohem.MinKept >= 1, ohem.MinKept, "an integer >= 1");
        }

        var data = config.Data;
        check.OneOf("data.type", data.Type, DatasetRegistry.Names);
        check.That("data.root", data.Root.Trim().Length > 0, "''", "the dataset folder, e.g. data/VOCdevkit/VOC2012");
        if (data.ClassNames.Count > 0)
            check.That("data.class_names", data.ClassNames.Count == m.NumClasses, $"a list of {data.ClassNames.Count} names",
                $"[] or exactly model.num_classes = {m.NumClasses} names");
        if (data.Palette.Count > 0)
        {
            check.That("data.palette", data.Palette.Count == m.NumClasses, $"a list of {data.Palette.Count} colours",
                $"[] or exactly model.num_classes = {m.NumClasses} colours");
            for (var i = 0; i < data.Palette.Count; i++)
                check.That($"data.palette.{i}", data.Palette[i].Count == 3 && data.Palette[i].All(c => c is >= 0 and <= 255),
                    Show(data.Palette[i]), "[r, g, b] with values 0..255");
        }
        check.That("data.ignore_index", data.IgnoreIndex is >= 0 and <= 255, data.IgnoreIndex, "0..255 (255 in VOC/Cityscapes)");
        CheckSplit(check, "data.train", data.Train, requireParts: true);
        CheckSplit(check, "data.val", data.Val, requireParts: true);

        var tp = data.TrainPipeline;
        CheckPair(check, "data.train_pipeline.scale", tp.Scale, "[long side, short side], e.g. [2048, 512]");
        check.That("data.train_pipeline.ratio_range", tp.RatioRange.Count == 2 && tp.RatioRange[0] > 0 && tp.RatioRange[0] <= tp.RatioRange[1],
            Show(tp.RatioRange), "[min, max] with 0 < min <= max, e.g. [0.5, 2.0]");
        CheckPositive(check, "data.train_pipeline.crop_size", tp.CropSize, "[height, width], e.g. [512, 512]");
        check.That("data.train_pipeline.cat_max_ratio", tp.CatMaxRatio is > 0 and <= 1, tp.CatMaxRatio, "a number in (0, 1] (1 = no check)");
        // A panoptic model trains on panoptic ground truth carried through the 8-bit label as segment positions
        // (PanopticSegmentIndexView), so the crop check would count segments as if they were classes.
        if (ModelRegistry.TaskOf(m.Type) == SegmentationTask.Panoptic && DatasetRegistry.Find(data.Type) is PanopticFormat)
            check.That("data.train_pipeline.cat_max_ratio", tp.CatMaxRatio == 1, tp.CatMaxRatio,
                $"1 for panoptic training (model.type {m.Type}): its labels are segment positions, not classes, so the crop check does not apply");
        check.That("data.train_pipeline.flip_prob", tp.FlipProb is >= 0 and <= 1, tp.FlipProb, "a number in [0, 1]");
        if (data.TestPipeline.Scale is { } testScale)
            CheckPair(check, "data.test_pipeline.scale", testScale, "null (original size) or [long side, short side], e.g. [2048, 512]");
        check.That("data.mean", data.Mean.Count == 3, Show(data.Mean), "three numbers (R, G, B on 0-255), e.g. [123.675, 116.28, 103.53]");
        check.That("data.std", data.Std.Count == 3 && data.Std.All(s => s > 0), Show(data.Std), "three numbers > 0 (R, G, B on 0-255), e.g. [58.395, 57.12, 57.375]");
        check.That("data.batch_size", data.BatchSize >= 1, data.BatchSize, "an integer >= 1");
        check.That("data.num_workers", data.NumWorkers >= 0, data.NumWorkers, "an integer >= 0 (0 = load on the training thread)");
        check.That("data.prefetch", data.Prefetch >= 1, data.Prefetch, "an integer >= 1");
        check.That("data.max_image_pixels", data.MaxImagePixels >= 1, data.MaxImagePixels, "an integer >= 1 (default 89478485, Pillow's MAX_IMAGE_PIXELS)");

        var o = config.Optimizer;
        check.OneOf("optimizer.type", o.Type, OptimizerTypes);
        check.That("optimizer.lr", o.Lr > 0 && double.IsFinite(o.Lr), o.Lr, "a number > 0, e.g. 0.01");
        check.That("optimizer.momentum", o.Momentum is >= 0 and < 1, o.Momentum, "a number in [0, 1)");
        check.That("optimizer.weight_decay", o.WeightDecay >= 0, o.WeightDecay, "a number >= 0");
        check.That("optimizer.betas", o.Betas.Count == 2 && o.Betas.All(x => x is >= 0 and < 1), Show(o.Betas), "two numbers in [0, 1), e.g. [0.9, 0.999]");
        check.That("optimizer.eps", o.Eps > 0, o.Eps, "a number > 0");
        check.That("optimizer.head_lr_mult", o.HeadLrMult > 0, o.HeadLrMult, "a number > 0");
        if (o.GradClip is { } clip) check.That("optimizer.grad_clip", clip > 0, clip, "null (no clipping) or a number > 0");
        if (o.Lookahead is { } la)
        {
            check.That("optimizer.lookahead.k", la.K >= 1, la.K, "an integer >= 1");
            check.That("optimizer.lookahead.alpha", la.Alpha is > 0 and <= 1, la.Alpha, "a number in (0, 1]");
        }

        var s = config.Schedule;
        check.OneOf("schedule.semantics", s.Semantics, ScheduleSemantics);
        check.That("schedule.max_iters", s.MaxIters > 0, s.MaxIters, "an integer > 0");
        check.That("schedule.warmup_iters", s.WarmupIters >= 0, s.WarmupIters, "an integer >= 0 (0 = no warmup)");
        if (s.Semantics == LrSchedule.Mmengine)
            check.That("schedule.warmup_iters", s.WarmupIters < s.MaxIters, s.WarmupIters,
                $"fewer than schedule.max_iters ({s.MaxIters}): with semantics mmengine the poly part runs from warmup_iters to max_iters");
        check.That("schedule.warmup_ratio", s.WarmupRatio is >= 0 and <= 1, s.WarmupRatio, "a number in [0, 1]");
        check.That("schedule.power", s.Power > 0, s.Power, "a number > 0, e.g. 0.9");
        check.That("schedule.min_lr", s.MinLr >= 0 && s.MinLr <= o.Lr, s.MinLr, $"a number in [0, optimizer.lr] ({Show(o.Lr)})");

        check.That("load_from", config.LoadFrom is null || config.LoadFrom.Trim().Length > 0, "''", "null or the path of a trained model's weights");
        foreach (var pair in config.ReviseKeys)
            check.That("revise_keys", pair.Count == 2 && Checkpoints.InitialWeights.IsPattern(pair[0]), Show(pair),
                "a list of [pattern, replacement] pairs of a regular expression and its replacement, e.g. [['^module\\.', '']]");

        var t = config.Train;
        check.That("train.work_dir", t.WorkDir.Trim().Length > 0, "''", "a folder for logs and checkpoints, e.g. work_dirs/my_run");
        check.That("train.device", t.Device == "cpu" || t.Device == "cuda" || (t.Device.StartsWith("cuda:", StringComparison.Ordinal)
            && t.Device[5..].Split(',').All(n => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out _))), t.Device,
            "cpu, cuda or cuda:N (or a GPU list for data-parallel training, e.g. cuda:0,1,2,3)");
        check.That("train.replicas", t.Replicas >= 1, t.Replicas, "an integer >= 1 (1 = one device, no data parallelism)");
        check.OneOf("train.amp", t.Amp, AmpModes);
        check.That("train.threads", t.Threads >= 0, t.Threads, "an integer >= 0 (0 = torch default)");
        check.OneOf("train.dist_backend", t.DistBackend, DistBackends);
        check.That("train.dist_timeout_s", t.DistTimeoutS >= 1, t.DistTimeoutS, "an integer >= 1 (seconds), e.g. 600");
        check.That("train.log_interval", t.LogInterval >= 1, t.LogInterval, "an integer >= 1");
        check.That("train.val_interval", t.ValInterval >= 0, t.ValInterval, "an integer >= 0 (0 = only at the end)");
        check.That("train.checkpoint_interval", t.CheckpointInterval >= 0, t.CheckpointInterval, "an integer >= 0 (0 = only at the end)");
        check.That("train.checkpoint_every_minutes", t.CheckpointEveryMinutes >= 0 && double.IsFinite(t.CheckpointEveryMinutes),
            t.CheckpointEveryMinutes, "a number of minutes >= 0 (0 = off), e.g. 30");
        check.OneOf("train.requeue_signal", t.RequeueSignal, RequeueSignals);
        check.That("train.keep_checkpoints", t.KeepCheckpoints >= 1, t.KeepCheckpoints, "an integer >= 1");
        check.OneOf("train.save_best_rule", t.SaveBestRule, BestRules);
        check.That("train.save_best", t.SaveBest.Length > 0, t.SaveBest, "a metric name (auto, mIoU, mAcc, aAcc, PQ, IoU.<class>, val_loss)");
        if (t.EarlyStop is { } es)
        {
            check.That("train.early_stop.patience", es.Patience >= 1, es.Patience, "an integer >= 1 (validations without improvement)");
            check.That("train.early_stop.min_delta", es.MinDelta >= 0, es.MinDelta, "a number >= 0");
            check.OneOf("train.early_stop.rule", es.Rule, BestRules);
        }

        var test = config.Test;
        check.OneOf("test.mode", test.Mode, TestModes);
        CheckPositive(check, "test.crop_size", test.CropSize, "[height, width], e.g. [512, 512]");
        CheckPositive(check, "test.stride", test.Stride, "[height, width], e.g. [341, 341]");
        check.That("test.scales", test.Scales.Count >= 1 && test.Scales.All(r => r > 0 && double.IsFinite(r)), Show(test.Scales),
            "a non-empty list of ratios > 0, e.g. [1.0] or [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]");
        if (test.Mode == "slide")
            check.That("test.stride", test.Stride.H <= test.CropSize.H && test.Stride.W <= test.CropSize.W, test.Stride,
                $"at most test.crop_size ({Show(test.CropSize)}) in each direction so windows cover the image");
    }

    private static void CheckSplit(Checker check, string key, SplitConfig split, bool requireParts)
    {
        if (requireParts) check.That($"{key}.parts", split.Parts.Count >= 1, "[]", "at least one part (img_dir, ann_dir, split)");
        for (var i = 0; i < split.Parts.Count; i++)
        {
            var p = split.Parts[i];
            var at = $"{key}.parts.{i}";
            // null img_dir / ann_dir / img_suffix mean "the dataset format's default" (its DatasetFormat in DatasetRegistry).
            check.That($"{at}.img_dir", p.ImgDir is null || p.ImgDir.Trim().Length > 0, "''", "null (the dataset's default) or a folder under data.root, e.g. JPEGImages");
            check.That($"{at}.ann_dir", p.AnnDir is null || p.AnnDir.Trim().Length > 0, "''", "null (the dataset's default) or a folder under data.root, e.g. SegmentationClass");
            if (p.Split is { } file) check.That($"{at}.split", file.Trim().Length > 0, "''", "null (every image) or a split file, e.g. ImageSets/Segmentation/train.txt");
            check.That($"{at}.img_suffix", p.ImgSuffix is null || p.ImgSuffix.Length > 0, "''", "null (the dataset's default) or a file suffix, e.g. .jpg");
            check.That($"{at}.seg_suffix", p.SegSuffix.Length > 0, "''", "a file suffix, e.g. .png");
        }
    }

    private static void CheckPositive(Checker check, string key, SizePair pair, string expected) =>
        check.That(key, pair.H >= 1 && pair.W >= 1, pair, $"two integers >= 1: {expected}");

    private static void CheckPair(Checker check, string key, List<int> pair, string expected) =>
        check.That(key, pair.Count == 2 && pair.All(v => v >= 1), Show(pair), $"two integers >= 1: {expected}");

    private static string Show<T>(T value) => value switch
    {
        double d => ConfigWriter.FormatDouble(d),
        System.Collections.IEnumerable list and not string => "[" + string.Join(", ", list.Cast<object>().Select(Show)) + "]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null",
    };

    private sealed class Checker(string source)
    {
        public void That<T>(string key, bool ok, T got, string expected)
        {
            if (!ok) throw new SegmenterException($"{key} is {Show(got)}", source, $"set {key} to {expected}");
        }

        public void OneOf<T>(string key, T got, IReadOnlyList<T> allowed)
        {
            if (allowed.Contains(got)) return;
            var suggestion = got is string text ? ConfigSchema.Suggest(text, allowed.Cast<string>()) : null;
            var hint = suggestion is null ? "" : $" (did you mean '{suggestion}'?)";
            throw new SegmenterException($"{key} is {Show(got)}, not an allowed value{hint}", source,
                $"set {key} to one of {string.Join(", ", allowed.Select(Show))}");
        }
    }
}
