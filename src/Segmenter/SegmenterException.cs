namespace Segmenter;

/// <summary>
/// The one error type the toolkit raises for bad input: it says what is wrong, where (a file, a key, a line)
/// and how to fix it. The CLI prints <see cref="Exception.Message"/> as one line and exits with code 2.
/// </summary>
public sealed class SegmenterException : Exception
{
    public SegmenterException(string what, string? where = null, string? fix = null, Exception? inner = null)
        : base(Compose(what, where, fix), inner)
    {
        What = what;
        Where = where;
        Fix = fix;
    }

    public string What { get; }
    public string? Where { get; }
    public string? Fix { get; }

    private static string Compose(string what, string? where, string? fix)
    {
        var text = where is null ? what : $"{where}: {what}";
        return fix is null ? text : $"{text} (fix: {fix})";
    }
}
