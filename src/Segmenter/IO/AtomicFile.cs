namespace Segmenter.IO;

/// <summary>Writes files so that a reader never sees a half-written one: temp file in the same folder, flush to disk, rename.</summary>
public static class AtomicFile
{
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    /// <summary>Streams content into a temp file next to <paramref name="path"/>, flushes it to disk, then renames it into place.</summary>
    public static void Write(string path, Action<Stream> writeContent)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            Directory.CreateDirectory(dir);
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                writeContent(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new SegmenterException("cannot write here (permission denied)", dir, "choose a writable --work-dir / --out", e);
        }
        catch (IOException e)
        {
            throw new SegmenterException($"cannot write: {e.Message}", full, "check free disk space and permissions", e);
        }
        finally
        {
            // After a failure, remove the partial temp file; the previous version of the target stays intact.
            try { if (File.Exists(tmp)) File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));
}
