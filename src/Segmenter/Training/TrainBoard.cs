using Segmenter.Config;
using Segmenter.Evaluation;
using Segmenter.Visualization;
using Serilog;

namespace Segmenter.Training;

/// <summary>
/// A training run's TensorBoard log (train.tensorboard, on by default) in &lt;work_dir&gt;/tensorboard: at every log
/// interval train/&lt;loss term&gt;, train/lr, train/time, train/data_time, train/it_per_s, train/rss_mb; at every
/// validation val/mIoU, val/mAcc, val/aAcc (percent, as the log lines), val_IoU/&lt;class&gt;, val/loss and
/// val_images/&lt;id&gt; panels (image | ground truth | prediction), or val/PQ, SQ, RQ (+ _th, _st) and val/mIoU for
/// panoptic runs; the resolved config as text at the start. `tensorboard --logdir work_dirs` shows every run.
/// </summary>
public sealed class TrainBoard(TensorBoardWriter writer, IReadOnlyList<string> classNames)
{
    public const string DirName = "tensorboard";

    /// <summary>The board of a run, or null when train.tensorboard is off; writes the config text at <paramref name="step"/>.</summary>
    public static TrainBoard? Create(ExperimentConfig cfg, string workDir, string configYaml, long step, IReadOnlyList<string> classNames)
    {
        if (!cfg.Train.Tensorboard) return null;
        var writer = new TensorBoardWriter(Path.Combine(workDir, DirName));
        // Four-space indent = a Markdown code block, so TensorBoard's text tab keeps the YAML layout.
        writer.AddText("config", string.Join("\n", configYaml.Split('\n').Select(l => "    " + l)), step);
        Log.Information("TensorBoard events in {Dir}", writer.LogDir);
        return new TrainBoard(writer, classNames);
    }

    public void Step(long it, double lr, IReadOnlyDictionary<string, double> meanLosses, double secPerIt, double dataPerIt, long rssBytes)
    {
        foreach (var (k, v) in meanLosses) writer.AddScalar($"train/{k}", v, it);
        writer.AddScalar("train/lr", lr, it);
        writer.AddScalar("train/time", secPerIt, it);
        writer.AddScalar("train/data_time", dataPerIt, it);
        writer.AddScalar("train/it_per_s", secPerIt > 0 ? 1 / secPerIt : double.NaN, it);
        writer.AddScalar("train/rss_mb", rssBytes / (1024.0 * 1024.0), it);
    }

    public void Evaluation(long it, SemanticResult r, IValidationExtras? extras)
    {
        writer.AddScalar("val/mIoU", 100 * r.MIoU, it);
        writer.AddScalar("val/mAcc", 100 * r.MAcc, it);
        writer.AddScalar("val/aAcc", 100 * r.AAcc, it);
        for (int c = 0; c < r.NumClasses; c++)
            writer.AddScalar($"val_IoU/{(c < classNames.Count ? classNames[c] : $"class_{c}")}", 100 * r.IoU[c], it);
        Extras(it, extras);
    }

    public void Evaluation(long it, PanopticEvalResult r, IValidationExtras? extras = null)
    {
        foreach (var (k, v) in ValidationMetrics.Of(r)) writer.AddScalar($"val/{k}", 100 * v, it);
        Extras(it, extras);
    }

    /// <summary>The validation loss and panels, whatever the task.</summary>
    private void Extras(long it, IValidationExtras? extras)
    {
        if (extras is null) return;
        writer.AddScalar("val/loss", extras.Loss, it);
        foreach (var (id, panel) in extras.Panels) writer.AddImage($"val_images/{id}", panel, it);
    }
}
