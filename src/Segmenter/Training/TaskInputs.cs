using Segmenter.Config;
using Segmenter.Data;
using Segmenter.Evaluation;
using Segmenter.Models;
using Segmenter.Models.Segmentors;

namespace Segmenter.Training;

/// <summary>
/// What the one training loop reads that depends on the task, built from the config before any model: the dataset the
/// loader samples, the per-sample targets the loader's workers add (panoptic: centre heatmaps and offsets, as
/// Detectron2's dataset mapper), and the validation evaluator. The only place the trainer's inputs branch on the task.
/// </summary>
public sealed class TaskInputs
{
    /// <summary>The training split as the loader sees it (panoptic: labels are segment positions, see <see cref="PanopticSegmentIndexView"/>).</summary>
    public required ISegmentationDataset TrainSet { get; init; }
    /// <summary>Extra targets of each transformed sample (on the loader's worker threads); null = the labels are the targets.</summary>
    public Func<TransformedSample, PanopticTargets>? Targets { get; init; }
    public required IValidationEvaluator Validation { get; init; }

    public static TaskInputs Create(ExperimentConfig cfg)
    {
        var task = ModelFactory.TaskOf(cfg.Model);
        if (task == SegmentationTask.Semantic)
        {
            var train = DatasetFactory.Create(cfg.Data, train: true, numClasses: cfg.Model.NumClasses);
            return new TaskInputs { TrainSet = train, Validation = ValidationEvaluators.Create(cfg) };
        }
        var trainSet = DatasetFactory.CreatePanoptic(cfg, train: true);
        if (trainSet.Classes.NumClasses != cfg.Model.NumClasses)
            throw new SegmenterException($"the dataset has {trainSet.Classes.NumClasses} categories but model.num_classes is {cfg.Model.NumClasses}",
                "model.num_classes", $"set it to {trainSet.Classes.NumClasses}");
        var view = new PanopticSegmentIndexView(trainSet);
        return new TaskInputs
        {
            TrainSet = view,
            Targets = view.TargetBuilder(PanopticInference.TargetOptions(cfg.Model.Panoptic, cfg.Data.IgnoreIndex)),
            Validation = ValidationEvaluators.Create(cfg),
        };
    }
}
