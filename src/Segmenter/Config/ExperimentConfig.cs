using Segmenter.Training.Optim;
namespace Segmenter.Config;

// The typed configuration. A YAML key maps to exactly one property: snake_case in YAML, PascalCase here
// (e.g. `decode_head.c1_channels` -> DecodeHead.C1Channels). Every property has a default, so a config file
// only writes what differs; `segment config show` prints the merged result with every default visible, except keys
// that only other types read: those are named where the type is registered (Models/ModelRegistry.cs: model.panoptic
// for panoptic_deeplab, backbone.axial for axial_resnet, backbone.contract_dilation and stem_channels for resnet, decode_head.isa_channels/down_factor for isa,
// decode_head.dilations/c1_* for deeplabv3plus), left out of `config show` and an error when set for another type.
// Allowed `type` values are the registries' names, not listed here.
// Records are immutable; ConfigLoader builds them from the merged YAML tree and calls Validate().

/// <summary>The root of a config file.</summary>
public sealed record ExperimentConfig
{
    public ModelConfig Model { get; init; } = new();
    public DataConfig Data { get; init; } = new();
    public OptimizerConfig Optimizer { get; init; } = new();
    public ScheduleConfig Schedule { get; init; } = new();
    public TrainConfig Train { get; init; } = new();
    public TestConfig Test { get; init; } = new();
    /// <summary>
    /// MMSegmentation's load_from: a whole trained model (.pth of MMSegmentation 0.x/1.x, torchvision or torch.save
    /// state dicts, our .ckpt or safetensors) that initialises the model at iteration 0 of a new run, with a fresh
    /// optimizer and schedule (resume restores those too). Tensors whose shape differs from the model's (the classifier
    /// when num_classes changes) are skipped and reported. Applied after model.backbone.pretrained. null = none.
    /// </summary>
    public string? LoadFrom { get; init; }
    /// <summary>
    /// mmengine load_checkpoint's revise_keys: [pattern, replacement] pairs applied in order to every key of the
    /// load_from file (a regular expression; every match is replaced, as re.sub; \1 or $1 refers to a group). The
    /// default strips the `module.` prefix of DataParallel files, as mmengine's default.
    /// </summary>
    public List<List<string>> ReviseKeys { get; init; } = [["^module\\.", ""]];
}

public sealed record ModelConfig
{
    /// <summary>encoder_decoder (semantic segmentation) | panoptic_deeplab (semantic + instance decoders; Axial-DeepLab on an axial_resnet backbone).</summary>
    public string Type { get; init; } = Models.ModelRegistry.DefaultSegmentor;
    public int NumClasses { get; init; } = 21;
    public BackboneConfig Backbone { get; init; } = new();
    public DecodeHeadConfig DecodeHead { get; init; } = new();
    /// <summary>Optional auxiliary head on an intermediate stage (null = none).</summary>
    public AuxHeadConfig? AuxHead { get; init; } = new();
    public LossConfig Loss { get; init; } = new();
    /// <summary>Dual decoder, losses, targets and post-processing; read (shown, settable) only with type panoptic_deeplab.</summary>
    public PanopticConfig Panoptic { get; init; } = new();
    /// <summary>BatchNorm momentum (PyTorch convention) and eps for every BN in the model.</summary>
    public double BnMomentum { get; init; } = 0.1;
    public double BnEps { get; init; } = 1e-5;
}

public sealed record BackboneConfig
{
    /// <summary>resnet | axial_resnet</summary>
    public string Type { get; init; } = "resnet";
    /// <summary>18, 34, 50 or 101 (resnet); 50 or 26 (axial_resnet: axial50s/m/l, axial26s).</summary>
    public int Depth { get; init; } = 50;
    /// <summary>V1c deep stem (three 3x3 convs, mmseg names `stem.*`) instead of the 7x7 conv1.</summary>
    public bool DeepStem { get; init; }
    /// <summary>
    /// MMSegmentation's ResNet stem_channels, with its default (64): the stem's output width, which layer1's first block
    /// reads. The 7x7 conv1 has stem_channels filters; the deep stem's three 3x3 convs have stem_channels/2,
    /// stem_channels/2, stem_channels (mmseg _make_stem_layer; 64 gives V1c's 32/32/64, 128 Detectron2's DeepLabStem
    /// 64/64/128 of R52). Read by backbone type resnet only.
    /// </summary>
    public int StemChannels { get; init; } = 64;
    /// <summary>8 or 16 (dilation replaces the stride of layer3/layer4), or 32 (no dilation).</summary>
    public int OutputStride { get; init; } = 8;
    /// <summary>
    /// Optional dilations of layer4's blocks themselves, one per block (MMSegmentation's ResNet multi_grid: they replace
    /// the stage dilation, not multiply it), e.g. [1, 2, 4]; the DeepLabV3 paper's OS16 unit rates (1, 2, 4) x 2 are [2, 4, 8].
    /// </summary>
    public List<int>? MultiGrid { get; init; }
    /// <summary>
    /// MMSegmentation's ResNet contract_dilation, with its default (false): true gives the first block of a dilated
    /// stage half the stage's dilation (mmseg ResLayer: dilation // 2 when dilation > 1; the same dilations as
    /// torchvision's replace_stride_with_dilation and the mmseg d8 configs); false gives every block of the stage the
    /// stage's dilation, first block included (the PSA repository's ResNet trunk). multi_grid, when set, gives layer4's.
    /// Read by backbone type resnet only.
    /// </summary>
    public bool ContractDilation { get; init; }
    /// <summary>Attention inside every residual block (PSA); type none gives the plain ResNet.</summary>
    public AttentionConfig Attention { get; init; } = new();
    /// <summary>Path to ImageNet weights (safetensors, or a PyTorch .pth) with torchvision names; null = random init.</summary>
    public string? Pretrained { get; init; }
    public bool ZeroInitResidual { get; init; }
    /// <summary>Axial-ResNet settings; read (shown, settable) only with backbone type axial_resnet.</summary>
    public AxialConfig Axial { get; init; } = new();
}

public sealed record AxialConfig
{
    /// <summary>s | m | l: 0.5 / 0.75 / 1 times the Axial-ResNet-L channel plan.</summary>
    public string Width { get; init; } = "l";
    /// <summary>inception (Axial-DeepLab: three 3x3 convs, no max-pool) | conv7 (the ImageNet AxialAttentionNet's 7x7 conv + max-pool, names conv1/bn1).</summary>
    public string Stem { get; init; } = "inception";
    /// <summary>Largest input side the model must handle; sets each stage's relative-position table (kernel_size). null = the larger side of data.train_pipeline.crop_size.</summary>
    public int? InputSize { get; init; }
    /// <summary>Local attention span m (odd, e.g. 65 for huge inputs); null = global attention along the whole axis.</summary>
    public int? Span { get; init; }
    /// <summary>
    /// deeplab2's stem_width_multiplier (default 1.0, which AxialDeepLabS/L keep): the inception stem has 64, 64 and 128
    /// times this many channels whatever the width, so Axial-DeepLab-S/M have the L stem. The conv7 stem (the ImageNet
    /// PyTorch AxialAttentionNet, whose checkpoints load into it) scales with the width instead and ignores this key.
    /// </summary>
    public double StemWidthMultiplier { get; init; } = 1.0;
}

public sealed record AttentionConfig
{
    /// <summary>none | psa</summary>
    public string Type { get; init; } = "none";
    /// <summary>parallel | sequential (PSA only).</summary>
    public string Layout { get; init; } = "parallel";
}

public sealed record DecodeHeadConfig
{
    /// <summary>deeplabv3plus | fcn | isa</summary>
    public string Type { get; init; } = "deeplabv3plus";
    /// <summary>Index of the backbone stage the head reads (0..3 = layer1..layer4).</summary>
    public int InIndex { get; init; } = 3;
    public int Channels { get; init; } = 512;
    /// <summary>deeplabv3plus only: ASPP dilations, branch 0 is the 1x1 conv (mmseg: 1, 12, 24, 36 at OS8; 1, 6, 12, 18 at OS16).</summary>
    public List<int> Dilations { get; init; } = [1, 12, 24, 36];
    /// <summary>deeplabv3plus only: low-level (layer1) projection width.</summary>
    public int C1Channels { get; init; } = 48;
    /// <summary>deeplabv3plus only: the low-level stage index.</summary>
    public int C1InIndex { get; init; }
    public double Dropout { get; init; } = 0.1;
    public bool AlignCorners { get; init; }
    public double LossWeight { get; init; } = 1.0;
    /// <summary>ISA only: key/query width of the two attentions (mmseg isa_channels 256).</summary>
    public int IsaChannels { get; init; } = 256;
    /// <summary>ISA only: local block size [P_h, P_w] of the interlacing (mmseg down_factor (8, 8)).</summary>
    public SizePair DownFactor { get; init; } = new(8, 8);
}

public sealed record AuxHeadConfig
{
    /// <summary>fcn</summary>
    public string Type { get; init; } = "fcn";
    public int InIndex { get; init; } = 2;
    public int Channels { get; init; } = 256;
    public int NumConvs { get; init; } = 1;
    public bool ConcatInput { get; init; }
    public double Dropout { get; init; } = 0.1;
    public double LossWeight { get; init; } = 0.4;
}

public sealed record LossConfig
{
    /// <summary>cross_entropy</summary>
    public string Type { get; init; } = "cross_entropy";
    public int IgnoreIndex { get; init; } = 255;
    /// <summary>
    /// Per-class weights multiplying each pixel's loss (MMSegmentation's class_weight): they do not change the
    /// denominator, which avg_non_ignore chooses; null = all 1.
    /// </summary>
    public List<double>? ClassWeight { get; init; }
    /// <summary>
    /// MMSegmentation's CrossEntropyLoss avg_non_ignore: false divides the summed pixel losses by all pixels, ignored
    /// ones included (its default); true by the non-ignored pixels.
    /// </summary>
    public bool AvgNonIgnore { get; init; }
    /// <summary>
    /// Divide by the sum of the counted pixels' class weights instead (× the OHEM mask), as PyTorch's
    /// F.cross_entropy(weight=..., reduction='mean') and nn.CrossEntropyLoss do; avg_non_ignore is then not read.
    /// </summary>
    public bool TorchWeightedMean { get; init; }
    /// <summary>Online hard example mining; null = off.</summary>
    public OhemConfig? Ohem { get; init; }
}

public sealed record PanopticConfig
{
    /// <summary>false = Axial-DeepLab (the ASPP reduces to one 1x1 conv+BN+ReLU, deeplab2 aspp_use_only_1x1_proj_conv).</summary>
    public bool UseAspp { get; init; } = true;
    public List<int> AtrousRates { get; init; } = [6, 12, 18];
    /// <summary>Backbone stage read by both decoders (3 = res5).</summary>
    public int FeatureIndex { get; init; } = 3;
    /// <summary>Low-level stages, top-down (res3, res2).</summary>
    public List<int> LowLevelIndex { get; init; } = [1, 0];
    public List<int> LowLevelChannelsProject { get; init; } = [64, 32];
    public int DecoderChannels { get; init; } = 256;
    public List<int> InstanceLowLevelChannelsProject { get; init; } = [32, 16];
    public int InstanceDecoderChannels { get; init; } = 128;
    public int InstanceAsppChannels { get; init; } = 256;
    /// <summary>Width of the centre/offset heads' 5x5 conv (bowenc0221 INSTANCE.HEAD_CHANNELS: 32 in the released R50-os32 model); null = instance_decoder_channels.</summary>
    public int? InstanceHeadChannels { get; init; }
    /// <summary>Dropout after the ASPP projection of both decoders (the reference's 0.5; 0 makes a split batch exactly equal a whole one).</summary>
    public double AsppDropout { get; init; } = 0.5;
    /// <summary>Hard-pixel bootstrapping: the semantic loss averages the largest this-fraction of pixel losses.</summary>
    public double TopKPercent { get; init; } = 0.2;
    public double SemanticLossWeight { get; init; } = 1.0;
    public double CenterLossWeight { get; init; } = 200;
    public double OffsetLossWeight { get; init; } = 0.01;
    /// <summary>Centre heatmap Gaussian sigma (px).</summary>
    public int Sigma { get; init; } = 8;
    public int SmallInstanceArea { get; init; } = 4096;
    public double SmallInstanceWeight { get; init; } = 3;
    public bool IgnoreStuffInOffset { get; init; } = true;
    public bool IgnoreCrowdInSemantic { get; init; }
    public double CenterThreshold { get; init; } = 0.1;
    public int NmsKernel { get; init; } = 7;
    public int TopK { get; init; } = 200;
    /// <summary>Stuff regions smaller than this (px, at the evaluated resolution) become VOID.</summary>
    public int StuffArea { get; init; } = 2048;
    /// <summary>panoptic id = class × label_divisor + instance (1000 Cityscapes; deeplab2 COCO uses 256).</summary>
    public int LabelDivisor { get; init; } = 1000;
}

public sealed record OhemConfig
{
    /// <summary>
    /// Keep pixels whose ground-truth probability is below this (null = keep the min_kept hardest). Defaults are
    /// MMSegmentation's OHEMPixelSampler(thresh=None, min_kept=100000); its *_ohem configs set thresh 0.7.
    /// </summary>
    public double? Thresh { get; init; }
    /// <summary>Pixels kept at least, per image (× batch size).</summary>
    public int MinKept { get; init; } = 100000;
}

public sealed record DataConfig
{
    /// <summary>A format registered in <see cref="Data.DatasetRegistry"/>: voc | folder | cityscapes | coco_panoptic | cityscapes_panoptic (panoptic parts' split names the panoptic json: train2017 / train; cityscapes parts' split names the split folder: train / val)</summary>
    public string Type { get; init; } = Data.DatasetRegistry.Default;
    /// <summary>Dataset root, e.g. data/VOCdevkit/VOC2012 (relative paths are relative to the working directory).</summary>
    public string Root { get; init; } = "data/VOCdevkit/VOC2012";
    public List<string> ClassNames { get; init; } = [];
    /// <summary>One [r, g, b] per class; empty = the dataset's default (VOC colour map).</summary>
    public List<List<int>> Palette { get; init; } = [];
    public int IgnoreIndex { get; init; } = 255;
    public bool ReduceZeroLabel { get; init; }
    public SplitConfig Train { get; init; } = new() { Parts = [new PartConfig { ImgDir = "JPEGImages", AnnDir = "SegmentationClass", Split = "ImageSets/Segmentation/train.txt" }] };
    public SplitConfig Val { get; init; } = new() { Parts = [new PartConfig { ImgDir = "JPEGImages", AnnDir = "SegmentationClass", Split = "ImageSets/Segmentation/val.txt" }] };
    public TrainPipelineConfig TrainPipeline { get; init; } = new();
    public TestPipelineConfig TestPipeline { get; init; } = new();
    /// <summary>ImageNet mean/std on 0-255 RGB.</summary>
    public List<double> Mean { get; init; } = [123.675, 116.28, 103.53];
    public List<double> Std { get; init; } = [58.395, 57.12, 57.375];
    public int BatchSize { get; init; } = 16;
    public int NumWorkers { get; init; } = 2;
    /// <summary>Batches prepared ahead of the training step.</summary>
    public int Prefetch { get; init; } = 4;
    /// <summary>
    /// Decompression-bomb limit on the size an image file declares: warn above it, refuse above twice it (Pillow's
    /// MAX_IMAGE_PIXELS policy and default, 89478485). Raise it for trusted very large images.
    /// </summary>
    public int MaxImagePixels { get; init; } = IO.ImageLimits.DefaultMaxPixels;
    /// <summary>Cityscapes: a *_labelIds.png id outside the official table stops loading (cityscapesScripts does); true maps it to ignore_index.</summary>
    public bool AllowUnknownLabelIds { get; init; }
}

/// <summary>A split is one or more concatenated parts (VOC train + SBD aug).</summary>
public sealed record SplitConfig
{
    public List<PartConfig> Parts { get; init; } = [];
}

public sealed record PartConfig
{
    /// <summary>Image folder under the root; null = the type's default (voc: JPEGImages, folder: images).</summary>
    public string? ImgDir { get; init; }
    /// <summary>Label folder under the root; null = the type's default (voc: SegmentationClass, folder: masks).</summary>
    public string? AnnDir { get; init; }
    /// <summary>
    /// Split file listing image ids (one per line); null = every image in img_dir. For cityscapes: the split name
    /// (train, val, test), giving img_dir leftImg8bit/&lt;split&gt; and ann_dir gtFine/&lt;split&gt; by default.
    /// </summary>
    public string? Split { get; init; }
    /// <summary>Image file suffix; null = the type's default (voc: .jpg, folder: any of .jpg .jpeg .png).</summary>
    public string? ImgSuffix { get; init; }
    public string SegSuffix { get; init; } = ".png";
}

public sealed record TrainPipelineConfig
{
    /// <summary>Keep-ratio rescale target (long side, short side) before the random ratio, mmseg style.</summary>
    public List<int> Scale { get; init; } = [2048, 512];
    public List<double> RatioRange { get; init; } = [0.5, 2.0];
    /// <summary>[height, width]</summary>
    public SizePair CropSize { get; init; } = new(512, 512);
    public double CatMaxRatio { get; init; } = 0.75;
    public double FlipProb { get; init; } = 0.5;
    public bool PhotoMetricDistortion { get; init; } = true;
}

public sealed record TestPipelineConfig
{
    /// <summary>Keep-ratio resize target for evaluation (long side, short side); null = original size.</summary>
    public List<int>? Scale { get; init; } = [2048, 512];
}

public sealed record OptimizerConfig
{
    /// <summary>sgd | adamw | radam</summary>
    public string Type { get; init; } = "sgd";
    public double Lr { get; init; } = 0.01;
    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; }
    public double WeightDecay { get; init; } = 5e-4;
    public List<double> Betas { get; init; } = [0.9, 0.999];
    public double Eps { get; init; } = 1e-8;
    /// <summary>No weight decay on normalisation weights and biases.</summary>
    public bool NoDecayOnNormAndBias { get; init; }
    /// <summary>Learning-rate multiplier for everything that is not the backbone.</summary>
    public double HeadLrMult { get; init; } = 1.0;
    /// <summary>Max global gradient norm; null = no clipping.</summary>
    public double? GradClip { get; init; }
    /// <summary>Lookahead wrapper (k steps, alpha); null = off.</summary>
    public LookaheadConfig? Lookahead { get; init; }
}

public sealed record LookaheadConfig
{
    public int K { get; init; } = 6;
    public double Alpha { get; init; } = 0.5;
}

public sealed record ScheduleConfig
{
    /// <summary>
    /// Whose warm-up + poly the keys below mean (Training/Optim/LrSchedule.cs): mmcv = MMSegmentation 0.x `lr_config`
    /// (policy poly, warmup linear; also Detectron2's WarmupPolyLR when min_lr is 0); mmengine = MMSegmentation 1.x
    /// `param_scheduler` [LinearLR(start_factor = warmup_ratio, end = warmup_iters), PolyLR(eta_min = min_lr,
    /// begin = warmup_iters, end = max_iters)].
    /// </summary>
    public string Semantics { get; init; } = "mmcv";
    public int MaxIters { get; init; } = 40000;
    public int WarmupIters { get; init; }
    /// <summary>The warm-up's first lr is lr × warmup_ratio (mmcv warmup_ratio; mmengine LinearLR start_factor).</summary>
    public double WarmupRatio { get; init; } = 1e-6;
    public double Power { get; init; } = 0.9;
    /// <summary>mmcv min_lr; mmengine PolyLR eta_min.</summary>
    public double MinLr { get; init; } = 1e-4;
}

public sealed record TrainConfig
{
    public string WorkDir { get; init; } = "work_dirs/default";
    public int Seed { get; init; }
    /// <summary>cpu | cuda | cuda:N | cuda:0,1,2,3 (a list = one data-parallel replica per device)</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Data-parallel replicas; 1 = the single-device loop. A device list sets it; "cpu" with 2+ replicas tests the machinery.</summary>
    public int Replicas { get; init; } = 1;
    /// <summary>With several replicas: BatchNorm statistics reduced across replicas (SyncBN) instead of per replica.</summary>
    public bool SyncBn { get; init; }
    /// <summary>Mixed precision: none | bf16 | fp16 (low-precision working copy, fp32 master weights, dynamic loss scale).</summary>
    public string Amp { get; init; } = "none";
    /// <summary>Torch intra-op threads; 0 = leave the default.</summary>
    public int Threads { get; init; }
    /// <summary>Multi-process backend: auto (mpi when a launcher such as mpirun/srun started us, else in-process) | inprocess | mpi | nccl.</summary>
    public string DistBackend { get; init; } = "auto";
    /// <summary>Seconds a multi-process collective may wait for the other ranks before the job is aborted (MPI has no timeout).</summary>
    public int DistTimeoutS { get; init; } = 600;
    public int LogInterval { get; init; } = 50;
    /// <summary>Validate every N iterations (0 = only at the end).</summary>
    public int ValInterval { get; init; } = 4000;
    public int CheckpointInterval { get; init; } = 4000;
    /// <summary>Also checkpoint when this many minutes passed since the last checkpoint (0 = off): a preemption's grace time may be too short to wait for the next interval.</summary>
    public double CheckpointEveryMinutes { get; init; }
    /// <summary>none | SIGUSR1 | SIGUSR2: on this signal every rank stops after the step, rank 0 checkpoints and runs `scontrol requeue $SLURM_JOB_ID` (for `#SBATCH --signal=B:USR1@120`).</summary>
    public string RequeueSignal { get; init; } = "none";
    public int KeepCheckpoints { get; init; } = 3;
    /// <summary>TensorBoard event files in work_dir/tensorboard (losses, lr, timing, RSS, validation metrics, loss and images, config).</summary>
    public bool Tensorboard { get; init; } = true;
    /// <summary>Metric whose best value is kept as best_{metric}.ckpt: auto (mIoU; PQ for panoptic), mIoU, mAcc, aAcc, PQ, IoU.&lt;class&gt;, val_loss, ...</summary>
    public string SaveBest { get; init; } = "auto";
    /// <summary>auto (less for losses, greater otherwise) | greater | less, as MMSegmentation's CheckpointHook rule.</summary>
    public string SaveBestRule { get; init; } = "auto";
    /// <summary>Stop when the metric has not improved for `patience` validations (checkpoint written); null = off.</summary>
    public EarlyStopConfig? EarlyStop { get; init; }
}

public sealed record EarlyStopConfig
{
    /// <summary>Same names as train.save_best; auto = the save_best metric.</summary>
    public string Metric { get; init; } = "auto";
    /// <summary>Validations without improvement before stopping.</summary>
    public int Patience { get; init; } = 5;
    /// <summary>Smallest change that counts as an improvement (in the metric's unit: fractions for mIoU etc.).</summary>
    public double MinDelta { get; init; }
    /// <summary>auto | greater | less</summary>
    public string Rule { get; init; } = "auto";
}

public sealed record TestConfig
{
    /// <summary>whole | slide</summary>
    public string Mode { get; init; } = "whole";
    /// <summary>Slide window [height, width].</summary>
    public SizePair CropSize { get; init; } = new(512, 512);
    /// <summary>Slide step [height, width], at most crop_size.</summary>
    public SizePair Stride { get; init; } = new(341, 341);
    /// <summary>
    /// Test-time scales (ratios of the test_pipeline size); [1.0] = single scale. With more than one scale or flip,
    /// softmax probabilities at the original size are averaged over all (scale, flip) passes, as mmseg aug_test
    /// (panoptic models also average centre heatmaps and rescaled offsets; SegmentationInference.Outputs).
    /// </summary>
    public List<double> Scales { get; init; } = [1.0];
    /// <summary>Also run the horizontally flipped image (flipped back before averaging).</summary>
    public bool Flip { get; init; }
}
