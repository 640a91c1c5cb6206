using Segmenter.Evaluation;

namespace Segmenter.Data;

/// <summary>
/// Maps a panoptic dataset's category ids (COCO: 1..200 with gaps; Cityscapes: labelIds) to contiguous training
/// class indices in the order of the json "categories" list, which gives COCO's 133 classes (80 things first) and
/// Cityscapes' 19 trainIds (the list is in labelId order, so index = trainId).
/// </summary>
public sealed class PanopticClassMap
{
    private readonly Dictionary<int, int> _indexByCategory = new();

    public PanopticClassMap(IReadOnlyList<PanopticCategory> categories)
    {
        if (categories.Count == 0)
            throw new SegmenterException("the panoptic json lists no categories", "categories", "use a panoptic json with a 'categories' array");
        for (int i = 0; i < categories.Count; i++)
            if (!_indexByCategory.TryAdd(categories[i].Id, i))
                throw new SegmenterException($"category id {categories[i].Id} is listed twice", "categories", "give every category a unique id");
        Categories = categories;
        IsThing = categories.Select(c => c.IsThing).ToArray();
    }

    /// <summary>Categories in class-index order.</summary>
    public IReadOnlyList<PanopticCategory> Categories { get; }

    public int NumClasses => Categories.Count;

    /// <summary>Per class index: true for thing (countable) classes.</summary>
    public bool[] IsThing { get; }

    public IEnumerable<int> ThingClasses => Enumerable.Range(0, NumClasses).Where(c => IsThing[c]);

    /// <summary>The class index of a category id, or -1 when the category is unknown.</summary>
    public int ClassOf(int categoryId) => _indexByCategory.GetValueOrDefault(categoryId, -1);

    public int CategoryOf(int classIndex) => Categories[classIndex].Id;
}
