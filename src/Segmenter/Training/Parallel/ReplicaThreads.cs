namespace Segmenter.Training.Parallel;

/// <summary>
/// Runs one piece of work per replica concurrently: rank 0 on the calling thread, the others on their own threads
/// (each with its own thread-local TorchSharp DisposeScope and grad mode). If any rank fails, <paramref name="abort"/>
/// releases ranks blocked in a collective, and the first real failure is rethrown after all ranks have stopped.
/// </summary>
public static class ReplicaThreads
{
    public static void Run(int count, Action<int> work, Action abort)
    {
        var errors = new Exception?[count];
        void Guarded(int rank)
        {
            try { work(rank); }
            catch (Exception e)
            {
                errors[rank] = e;
                abort();
            }
        }

        var threads = new Thread[count];
        for (int r = 1; r < count; r++)
        {
            int rank = r;
            threads[r] = new Thread(() => Guarded(rank)) { IsBackground = true, Name = $"replica-{rank}" };
            threads[r].Start();
        }
        Guarded(0);
        for (int r = 1; r < count; r++) threads[r].Join();

        // Ranks released by the abort fail with OperationCanceledException; report the cause instead.
        var first = errors.FirstOrDefault(e => e is not null and not OperationCanceledException) ?? errors.FirstOrDefault(e => e is not null);
        if (first is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
    }
}
