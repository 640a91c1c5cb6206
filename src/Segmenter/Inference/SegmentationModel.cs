using Segmenter.Models;
using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Evaluation;
using Segmenter.IO;
using Segmenter.Models.Segmentors;
using Segmenter.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Inference;

/// <summary>
/// A trained model for .NET applications, independent of the CLI: load once (config + a checkpoint, safetensors or
/// PyTorch .pth on TorchSharp, or an ONNX model from `segment export --format onnx` on ONNX Runtime), then predict from an image file, encoded bytes, decoded pixels or a tensor, from any number of threads.
/// It runs the code `segment predict` runs (the config's test pipeline, whole or sliding window, TTA, Panoptic-DeepLab
/// post-processing), so both give the same maps.
/// <code>
/// using var model = SegmentationModel.Load("configs/smoke_voc.yaml", "work_dirs/smoke_voc/best_mIoU.ckpt");
/// var result = model.Predict("street.jpg");
/// Console.WriteLine($"{model.ClassNames[result.ClassAt(10, 20)]}");
/// </code>
/// Thread safety: the weights are read-only after loading and every call works on its own tensors inside its own
/// dispose scope; <see cref="SegmentationModelOptions.MaxConcurrency"/> calls run at once, the others wait their turn.
/// </summary>
public sealed class SegmentationModel : IDisposable
{
    private readonly Segmentor? _semantic;
    private readonly NamedForward? _panoptic;
    private readonly IDisposable? _panopticOwner;
    private readonly PanopticClassMap? _classes;
    private readonly PanopticPostProcessor? _post;
    private readonly TestTransform _transform;
    private readonly Device _device;
    private readonly SemaphoreSlim _gate;
    private bool _disposed;

    private SegmentationModel(ExperimentConfig cfg, Segmentor? semantic, NamedForward? panoptic, IDisposable? panopticOwner,
        PanopticClassMap? classes, Device device, int maxConcurrency)
    {
        Config = cfg;
        _semantic = semantic;
        _panoptic = panoptic;
        _panopticOwner = panopticOwner;
        _classes = classes;
        _device = device;
        _transform = new TestTransform(cfg.Data);
        _gate = new SemaphoreSlim(Math.Max(1, maxConcurrency));
        if (panoptic is not null)
            _post = new PanopticPostProcessor(classes!.IsThing, PanopticInference.PostProcessOptions(cfg.Model.Panoptic));
        ClassNames = classes is not null ? classes.Categories.Select(c => c.Name).ToList() : Data.ClassNames.For(cfg);
    }

    /// <summary>The resolved config the model was built from (options applied).</summary>
    public ExperimentConfig Config { get; }

    /// <summary>Class names in class-index order: the config's, else the checkpoint's meta's (MMSegmentation .pth), else the
    /// dataset type's, else class_0...</summary>
    public IReadOnlyList<string> ClassNames { get; }

    public int NumClasses => ClassNames.Count;

    /// <summary>True for Panoptic-DeepLab / Axial-DeepLab: results then carry segments.</summary>
    public bool IsPanoptic => _panoptic is not null;

    /// <summary>Loads a config file (with `_base_` inheritance) and weights (.ckpt, .safetensors or .pth).</summary>
    public static SegmentationModel Load(string configPath, string weightsPath, SegmentationModelOptions? options = null)
    {
        options ??= new SegmentationModelOptions();
        return Load(ConfigLoader.Load(configPath, options.ToOverrides()), weightsPath, options.MaxConcurrency);
    }

    /// <summary>Builds the model of an already loaded config (options are not re-applied) and fills it from weights.</summary>
    public static SegmentationModel Load(ExperimentConfig cfg, string weightsPath, int maxConcurrency = 1)
    {
        if (ModelFactory.TaskOf(cfg.Model) == SegmentationTask.Panoptic)
        {
            // Categories (ids, names, thing/stuff) come from the config's validation json, as in `segment predict`.
            var classes = DatasetFactory.CreatePanoptic(cfg, train: false).Classes;
            var (panoptic, device) = ModelLoader.LoadPanoptic(cfg, weightsPath);
            return new SegmentationModel(cfg, null, panoptic.Forward, panoptic, classes, device, maxConcurrency);
        }
        var (model, dev) = ModelLoader.Load(cfg, weightsPath, out var resolved); // class names from the checkpoint's meta where the config has none
        return new SegmentationModel(resolved, model, null, null, null, dev, maxConcurrency);
    }

    /// <summary>
    /// Loads an ONNX model (`segment export --format onnx`) on ONNX Runtime (CPU), with the config it was trained with
    /// for the test pipeline and class names. The same pre- and post-processing as the TorchSharp path; the graph
    /// normalises its input itself, so the pipeline runs with mean 0 / std 1.
    /// </summary>
    public static SegmentationModel LoadOnnx(string configPath, string onnxPath, SegmentationModelOptions? options = null)
    {
        options ??= new SegmentationModelOptions();
        var cfg = ConfigLoader.Load(configPath, options.ToOverrides());
        if (!File.Exists(onnxPath))
            throw new SegmenterException("ONNX model not found", onnxPath, "export one with segment export --format onnx");
        var ort = new OnnxRuntimeModel(onnxPath);
        var raw = OnnxSegmentor.RawPixelConfig(cfg);
        bool panopticConfig = ModelFactory.TaskOf(cfg.Model) == SegmentationTask.Panoptic;
        if (ort.Task == "panoptic" || panopticConfig)
        {
            if (ort.Task != "panoptic" || !panopticConfig)
            {
                ort.Dispose();
                throw new SegmenterException($"the ONNX model is {ort.Task} but the config's model.type is {cfg.Model.Type}", onnxPath,
                    "pass the config the model was trained with");
            }
            var classes = DatasetFactory.CreatePanoptic(cfg, train: false).Classes;
            return new SegmentationModel(raw, null, new OnnxPanopticModel(ort).Forward, ort, classes, CPU, options.MaxConcurrency);
        }
        var model = new OnnxSegmentor(ort);
        if (model.NumClasses != cfg.Model.NumClasses)
        {
            model.Dispose();
            throw new SegmenterException($"the ONNX model has {model.NumClasses} classes but model.num_classes is {cfg.Model.NumClasses}",
                onnxPath, "pass the config the model was trained with");
        }
        return new SegmentationModel(raw, model, null, null, null, CPU, options.MaxConcurrency);
    }

    /// <summary>Predicts an image file (JPEG, PNG, BMP, WebP); a file declaring more than twice the config's
    /// data.max_image_pixels is refused before decoding (a SegmenterException naming the file).</summary>
    public SegmentationResult Predict(string imagePath) => Predict(ImageIO.ReadRgb(imagePath, Config.Data.MaxImagePixels), imagePath);

    /// <summary>Predicts an encoded image (the bytes of a JPEG, PNG, BMP or WebP file), with the same pixel limit.</summary>
    public SegmentationResult Predict(byte[] encodedImage) =>
        Predict(ImageIO.DecodeRgb(encodedImage, "image bytes", Config.Data.MaxImagePixels), "image bytes");

    /// <summary>Predicts decoded RGB pixels.</summary>
    public SegmentationResult Predict(RgbImage image) => Predict(image, "image");

    /// <summary>Predicts an RGB image tensor of bytes or 0..255 values, [H, W, 3] (as decoded) or [3, H, W].</summary>
    public SegmentationResult Predict(Tensor rgb)
    {
        if (rgb.dim() != 3 || (rgb.shape[2] != 3 && rgb.shape[0] != 3))
            throw new SegmenterException($"image tensor of shape [{string.Join(", ", rgb.shape)}]", "tensor", "pass an RGB image as [H, W, 3] or [3, H, W]");
        using var scope = NewDisposeScope();
        var hwc = rgb.shape[2] == 3 ? rgb : rgb.permute(1, 2, 0);
        var bytes = hwc.to(CPU).clamp(0, 255).to_type(ScalarType.Byte).contiguous();
        return Predict(new RgbImage((int)hwc.shape[1], (int)hwc.shape[0], bytes.data<byte>().ToArray()), "tensor");
    }

    private SegmentationResult Predict(RgbImage image, string source)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var sample = new Sample(source, image, new LabelMap(image.Width, image.Height, new byte[image.Width * image.Height]), source, "");
        _gate.Wait();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            if (_panoptic is not null)
            {
                var (prediction, semantic) = PanopticInference.Predict(_panoptic, _post!, _transform, Config.Test, sample, _device);
                var (map, segments) = prediction.ToCocoFormat(_classes!);
                var infos = segments.Select(s =>
                {
                    var category = _classes!.Categories[_classes.ClassOf(s.CategoryId)];
                    return new PanopticSegmentInfo(s.Id, s.CategoryId, category.Name, category.IsThing, (long)(s.Area ?? 0));
                }).ToList();
                return new SegmentationResult(image.Width, image.Height, semantic) { SegmentIds = map.Ids, Segments = infos };
            }
            var item = _transform.Apply(sample);
            var input = tensor(item.Image, [1, 3, item.Height, item.Width]).to(_device);
            var labels = SegmentationInference.Predict(_semantic!, input, Config.Test, image.Height, image.Width,
                Config.Model.DecodeHead.AlignCorners);
            return new SegmentationResult(image.Width, image.Height, labels);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _semantic?.Dispose();
        _panopticOwner?.Dispose();
        _gate.Dispose();
    }
}
