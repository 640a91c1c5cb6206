using System.Text.Json.Nodes;
using Segmenter.Data.Synth;
using Segmenter.Tests.EndToEnd;

namespace Segmenter.Tests.EndToEnd;

/// <summary>
/// synth → train (stop, resume, validate and checkpoint every iteration) → eval of best_PQ.ckpt with COCO-format predictions →
/// `segment metrics panoptic` on those files gives the same PQ; predict with it writes the same id maps.
/// </summary>
[Collection("cli")]
public class PanopticCliTests
{
    [Fact]
    public void TrainEvalAndPredictionFilesAgreeWithPanopticapiMetrics()
    {
        var dir = TestPaths.NewTempDir("pancli");
        var (code, _, err) = CliRunner.Run("data", "synth", "--format", "cityscapes-panoptic", "--out", dir, "--count", "4", "--size", "64");
        Assert.True(code == 0, err);
        var root = Path.Combine(dir, "cityscapes");
        var work = Path.Combine(dir, "work");
        var config = Path.Combine(TestPaths.Configs, "smoke_panoptic.yaml");
        string[] overrides = ["--cfg-options", $"data.root={root}", "schedule.max_iters=2", "data.batch_size=2", "data.num_workers=1",
            "data.train_pipeline.scale=[64, 32]", "data.train_pipeline.crop_size=[32, 64]"];
        // --stop-at 1, then --resume auto to 2: validation and a checkpoint every iteration, the newest iter_*.ckpt kept.
        string[] schedule = ["train.val_interval=1", "train.checkpoint_interval=1", "train.keep_checkpoints=1", "train.log_interval=1"];
        (code, _, err) = CliRunner.Run(["train", "--config", config, "--work-dir", work, "--stop-at", "1", .. overrides, .. schedule]);
        Assert.True(code == 0, err);
        Assert.Equal(["iter_00000001.ckpt"], Directory.GetFiles(work, "iter_*.ckpt").Select(Path.GetFileName));
        (code, _, err) = CliRunner.Run(["train", "--config", config, "--work-dir", work, "--resume", "auto", .. overrides, .. schedule]);
        Assert.True(code == 0, err);
        Assert.Equal(["iter_00000002.ckpt"], Directory.GetFiles(work, "iter_*.ckpt").Select(Path.GetFileName));
        var weights = Path.Combine(work, "best_PQ.ckpt");
        Assert.True(File.Exists(weights));
        var validations = File.ReadAllLines(Path.Combine(work, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).Where(r => (string?)r["mode"] == "val").ToList();
        Assert.Equal([1L, 2L], validations.Select(r => (long)r["iter"]!));
        Assert.All(validations, r => { Assert.NotNull(r["PQ"]); Assert.NotNull(r["mIoU"]); });

        var pred = Path.Combine(dir, "pred");
        var evalJson = Path.Combine(dir, "eval.json");
        (code, var stdout, err) = CliRunner.Run(["eval", "--config", config, "--checkpoint", weights, "--pred-dir", pred, "--out", evalJson, .. overrides]);
        Assert.True(code == 0, err);
        Assert.Contains("mIoU (semantic branch)", stdout);
        using (var best = Segmenter.Checkpoints.Checkpointer.Load(weights))
            Assert.Equal((double)JsonNode.Parse(best.ExtraJson)!["best_PQ"]!, (double)JsonNode.Parse(File.ReadAllText(evalJson))!["summary"]!["All"]!["pq"]!, 1e-9);

        var metricsJson = Path.Combine(dir, "metrics.json");
        (code, _, err) = CliRunner.Run("metrics", "panoptic",
            "--gt-json", Path.Combine(root, "gtFine", "cityscapes_panoptic_val.json"), "--gt-folder", Path.Combine(root, "gtFine", "cityscapes_panoptic_val"),
            "--pred-json", Path.Combine(pred, "panoptic_pred.json"), "--pred-folder", Path.Combine(pred, "panoptic_pred"), "--json", metricsJson);
        Assert.True(code == 0, err);
        var a = JsonNode.Parse(File.ReadAllText(evalJson))!["summary"]!.ToJsonString();
        var b = JsonNode.Parse(File.ReadAllText(metricsJson))!["summary"]!.ToJsonString();
        Assert.Equal(a, b);

        // predict on the val photos writes the same id maps as eval did.
        var predictOut = Path.Combine(dir, "predict");
        (code, _, err) = CliRunner.Run(["predict", "--config", config, "--checkpoint", weights, "--input", Path.Combine(root, "leftImg8bit", "val", "frankfurt"),
            "--out", predictOut, .. overrides]);
        Assert.True(code == 0, err);
        var written = JsonNode.Parse(File.ReadAllText(Path.Combine(predictOut, "panoptic.json")))!;
        Assert.Single(written["annotations"]!.AsArray());
        foreach (var png in Directory.GetFiles(Path.Combine(pred, "panoptic_pred")))
        {
            var stem = Path.GetFileName(png).Replace("_gtFine_panoptic.png", "_leftImg8bit.png");
            var fromEval = Segmenter.Evaluation.PanopticIdMap.ReadRgbPng(png);
            var fromPredict = Segmenter.Evaluation.PanopticIdMap.ReadRgbPng(Path.Combine(predictOut, "panoptic", stem));
            Assert.Equal(fromEval.Ids, fromPredict.Ids);
        }
    }
}
