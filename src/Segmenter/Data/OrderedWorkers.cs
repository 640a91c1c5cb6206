using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Segmenter.Data;

/// <summary>
/// Produces items start, start+1, ... on worker threads and yields them in order. Worker w owns the indices
/// congruent to w modulo the worker count and fills its own bounded queue, so the output does not depend on the
/// number of workers or on timing. An exception in a worker surfaces on the consumer at that item's position.
/// Disposing the enumerator cancels and joins the workers. With 0 workers items are produced on the consumer thread.
/// </summary>
internal static class OrderedWorkers
{
    private sealed record Slot<T>(T? Value, ExceptionDispatchInfo? Error);

    public static IEnumerable<T> Run<T>(long start, long? end, Func<long, T> produce, int numWorkers, int prefetch, string name)
    {
        if (numWorkers <= 0)
        {
            for (long i = start; end is null || i < end; i++) yield return produce(i);
            yield break;
        }
        int capacity = Math.Max(1, (prefetch + numWorkers - 1) / numWorkers);
        using var cts = new CancellationTokenSource();
        var queues = new BlockingCollection<Slot<T>>[numWorkers];
        var threads = new Thread[numWorkers];
        for (int w = 0; w < numWorkers; w++)
        {
            var queue = queues[w] = new BlockingCollection<Slot<T>>(capacity);
            long first = start + w;
            threads[w] = new Thread(() => Work(queue, first, numWorkers, end, produce, cts.Token)) { IsBackground = true, Name = $"{name}-{w}" };
        }
        try
        {
            foreach (var t in threads) t.Start();
            for (long i = start; end is null || i < end; i++)
            {
                var slot = queues[(int)((i - start) % numWorkers)].Take();
                slot.Error?.Throw();
                yield return slot.Value!;
            }
        }
        finally
        {
            cts.Cancel();
            foreach (var t in threads) if (t.ThreadState != ThreadState.Unstarted) t.Join();
            foreach (var q in queues) q.Dispose();
        }
    }

    private static void Work<T>(BlockingCollection<Slot<T>> queue, long first, int step, long? end, Func<long, T> produce, CancellationToken ct)
    {
        try
        {
            for (long i = first; (end is null || i < end) && !ct.IsCancellationRequested; i += step)
            {
                Slot<T> slot;
                try { slot = new Slot<T>(produce(i), null); }
                catch (Exception e) { slot = new Slot<T>(default, ExceptionDispatchInfo.Capture(e)); }
                queue.Add(slot, ct);
                if (slot.Error is not null) return;
            }
        }
        catch (OperationCanceledException) { }
    }
}
