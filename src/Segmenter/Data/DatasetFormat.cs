using Segmenter.Config;
using Segmenter.IO;

namespace Segmenter.Data;

/// <summary>
/// Everything one <c>data.type</c> knows about its files, registered under its name in <see cref="DatasetRegistry"/>:
/// how a split is opened, how <c>segment data check</c> visits it, and the class names and colours used when the
/// config gives none. Nothing outside the format asks which type it is.
/// </summary>
public abstract class DatasetFormat
{
    /// <summary>Opens the parts of one split.</summary>
    /// <param name="numClasses">When &gt; 0, every loaded label is checked against it (model.num_classes).</param>
    /// <param name="readImage">The image decoder; null = <see cref="ImageIO.ReadRgb"/>.</param>
    public abstract ISegmentationDataset Open(DataConfig cfg, IReadOnlyList<PartConfig> parts, int numClasses, Func<string, RgbImage>? readImage);

    /// <summary><c>segment data check</c> of one split: every problem collected, pixels and images counted per class.</summary>
    public abstract DataCheckReport Check(DataConfig cfg, int numClasses, bool train, int numThreads, Func<string, RgbImage>? readImage);

    /// <summary>The class names printed when data.class_names is empty and model.num_classes equals their count; empty = class_0..class_N-1.</summary>
    public virtual IReadOnlyList<string> ClassNames => [];

    /// <summary>The colours of the first classes when data.palette is empty and model.num_classes is at most their count; empty = the VOC colour map.</summary>
    public virtual IReadOnlyList<(byte R, byte G, byte B)> Colours => [];

    /// <summary>The colours <c>segment data convert masks --palette &lt;type&gt;</c> reads RGB masks with; null = not offered.</summary>
    public virtual MaskPalette? MaskPalette => null;
}
