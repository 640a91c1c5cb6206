using Segmenter.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Segmenter.Models.Segmentors;

/// <summary>What a segmentor's outputs mean: semantic classes only, or classes plus instances (panoptic).</summary>
public enum SegmentationTask { Semantic, Panoptic }

/// <summary>
/// The one contract every segmentation network implements (EncoderDecoder for DeepLabV3+/ISANet, PanopticDeepLab for
/// Panoptic-DeepLab/Axial-DeepLab), so the trainer, the data-parallel step, the benchmark and the loaders never need
/// to know which model they run, as Detectron2's trainer only asks a model for a dict of losses:
/// <see cref="ComputeLosses(TrainingBatch)"/> takes a batch with whatever targets its <see cref="Task"/> needs and
/// returns named, weighted loss terms; <see cref="Logits"/> is the semantic output every task has (mIoU, the
/// semantic branch of panoptic models). Panoptic models add their centre and offset outputs on top (PanopticDeepLab.Predict).
/// </summary>
public abstract class Segmentor : nn.Module
{
    protected Segmentor(string name) : base(name) { }

    /// <summary>Named loss terms (already weighted), e.g. "decode.loss_ce", "aux.loss_ce". Their sum is the training loss.</summary>
    public abstract Dictionary<string, Tensor> ComputeLosses(TrainingBatch batch);

    /// <summary>Semantic-task shorthand: the losses of images [N, 3, H, W] with labels [N, H, W] on one replica.</summary>
    public Dictionary<string, Tensor> ComputeLosses(Tensor images, Tensor labels) => ComputeLosses(new TrainingBatch(images, labels));

    /// <summary>Class logits [N, C, H, W] at the input's resolution.</summary>
    public abstract Tensor Logits(Tensor images);

    /// <summary>Name of the class logits in a semantic model's <see cref="Forward"/>.</summary>
    public const string LogitsOutput = "logits";

    /// <summary>The names of <see cref="Forward"/>'s outputs and how inference merges each (semantic models: "logits").</summary>
    public virtual IReadOnlyList<OutputSpec> OutputSpecs => SemanticOutputSpecs;

    public static IReadOnlyList<OutputSpec> SemanticOutputSpecs { get; } = [new(LogitsOutput, OutputKind.ClassLogits)];

    /// <summary>
    /// Every output the task needs at the input's resolution, by name (<see cref="OutputSpecs"/>): whole/slide inference
    /// and test-time augmentation (SegmentationInference.Outputs) run on these, so they are written once for every task.
    /// </summary>
    public virtual IReadOnlyDictionary<string, Tensor> Forward(Tensor images) => new Dictionary<string, Tensor> { [LogitsOutput] = Logits(images) };

    public abstract int NumClasses { get; }

    /// <summary>The task the model's outputs serve; decides the targets its batches carry and how it is evaluated.</summary>
    public virtual SegmentationTask Task => SegmentationTask.Semantic;
}
