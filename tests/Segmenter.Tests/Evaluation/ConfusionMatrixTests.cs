using Segmenter.Evaluation;

namespace Segmenter.Tests.Evaluation;

public sealed class ConfusionMatrixTests
{
    [Fact]
    public void AgreesWithTheMetricsAreas()
    {
        const int c = 5, n = 5000;
        var rng = new Random(3);
        var pred = new byte[n];
        var label = new byte[n];
        for (int i = 0; i < n; i++)
        {
            label[i] = rng.NextDouble() < 0.1 ? (byte)255 : (byte)rng.Next(c);
            pred[i] = rng.NextDouble() < 0.6 && label[i] != 255 ? label[i] : (byte)rng.Next(c);
        }
        var metric = new SemanticMetric(c, 255);
        metric.Update(pred, label);
        var m = new ConfusionMatrix(c, 255);
        m.Update(pred, label);
        for (int r = 0; r < c; r++)
        {
            Assert.Equal(metric.AreaIntersect[r], m.Counts[r, r]);
            Assert.Equal(metric.AreaLabel[r], Enumerable.Range(0, c).Sum(k => m.Counts[r, k]));
            Assert.Equal(metric.AreaPredLabel[r], Enumerable.Range(0, c).Sum(k => m.Counts[k, r]));
        }
        var norm = m.RowNormalized();
        for (int r = 0; r < c; r++) Assert.Equal(1.0, Enumerable.Range(0, c).Sum(k => norm[r, k]), 9);
    }

    [Fact]
    public void JsonRoundTripsAndEmptyRowsStayZero()
    {
        var m = new ConfusionMatrix(3, 255);
        m.Update([0, 1, 1, 0, 2], [0, 0, 1, 255, 0]);
        Assert.Equal(new long[,] { { 1, 1, 1 }, { 0, 1, 0 }, { 0, 0, 0 } }, m.Counts);
        Assert.Equal(0.0, m.RowNormalized()[2, 2]);
        var json = m.ToJson(["a", "b", "c"]);
        Assert.Contains("\"rows\":\"ground truth\"", json);
        Assert.Contains("\"normalized\"", json);
        var (classes, back) = ConfusionMatrix.FromJson(json, "mem");
        Assert.Equal(["a", "b", "c"], classes);
        Assert.Equal(m.Counts, back.Counts);
        Assert.Throws<SegmenterException>(() => ConfusionMatrix.FromJson("{\"x\":1}", "bad.json"));
    }
}
