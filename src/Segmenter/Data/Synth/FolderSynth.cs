namespace Segmenter.Data.Synth;

/// <summary>
/// Writes a tiny synthetic plain-folder dataset (the `folder` type's default layout): <c>images/*.jpg</c>,
/// <c>masks/*.png</c> (single-channel class indices 0..classes-1) and the <c>train.txt</c> / <c>val.txt</c> stem lists,
/// drawn by <see cref="VocSynth"/> with object classes 1..classes-1 on its backgrounds (class 0). For demos of one's
/// own data, e.g. fine-tuning with load_from. Deterministic in its arguments.
/// </summary>
public static class FolderSynth
{
    public static (int Count, int Train, int Val, string Root) Generate(string outDir, int classes, int count = 48, int size = 96, int seed = 0)
    {
        if (classes is < 2 or > 21)
            throw new SegmenterException($"--classes {classes} is outside 2..21", "segment data synth", "give 2..21 classes (background included)");
        var root = Path.GetFullPath(outDir);
        var staging = Path.Combine(root, ".synth_voc");
        try
        {
            var report = VocSynth.Generate(staging, count, size, seed, classes: Enumerable.Range(1, classes - 1).ToList());
            var voc = report.Voc2012Root;
            Directory.CreateDirectory(Path.Combine(root, "images"));
            Directory.CreateDirectory(Path.Combine(root, "masks"));
            foreach (var jpg in Directory.GetFiles(Path.Combine(voc, "JPEGImages")))
                File.Copy(jpg, Path.Combine(root, "images", Path.GetFileName(jpg)), overwrite: true);
            // The SBD-style masks: class indices in one channel, as a user's own masks usually are.
            foreach (var png in Directory.GetFiles(Path.Combine(voc, "SegmentationClassAug")))
                File.Copy(png, Path.Combine(root, "masks", Path.GetFileName(png)), overwrite: true);
            foreach (var split in new[] { "train", "val" })
                File.Copy(Path.Combine(voc, "ImageSets", "Segmentation", split + ".txt"), Path.Combine(root, split + ".txt"), overwrite: true);
            return (report.Count, report.TrainCount, report.ValCount, root);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }
}
