namespace Overlay.Sim;

/// <summary>
/// Runs reads 0 … count − 1, each once, starting them in index order and keeping at most a bound under way
/// at once: when one ends, the next index starts. On the simulator's one scheduler the order reads end in is
/// fixed by the seed, so which read runs beside which is too.
/// </summary>
internal static class BoundedReadBack
{
    /// <summary>
    /// Every read's result by index, how many times each index was started (1 each, unless a bug says otherwise),
    /// and the most reads that were under way at once.
    /// </summary>
    public static async Task<BoundedReads<T>> RunAsync<T>(int count, int inFlight, Func<int, Task<T>> read)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFlight, 1);
        var results = new T[count];
        var starts = new int[count];
        int next = 0, running = 0, most = 0;

        // The simulator runs every continuation on one thread, so the counters need no lock.
        async Task ReaderAsync()
        {
            while (next < count)
            {
                var index = next++;
                starts[index]++;
                most = Math.Max(most, ++running);
                try
                {
                    results[index] = await read(index);
                }
                finally
                {
                    running--;
                }
            }
        }

        var readers = new Task[Math.Min(inFlight, count)];
        for (var i = 0; i < readers.Length; i++)
        {
            readers[i] = ReaderAsync();
        }

        await Task.WhenAll(readers);
        return new BoundedReads<T>(results, starts, most);
    }
}
