using System.Runtime.InteropServices;

namespace Overlay.Storage.Sqlite;

internal static partial class Prof
{
    public static readonly long[] Ticks = new long[8];
    public static readonly long[] Counts = new long[8];

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Sec; public long Nsec; }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGettime(int clock, out Timespec ts);

    public static long Now()
    {
        ClockGettime(3, out var ts);
        return ts.Sec * 1_000_000_000 + ts.Nsec;
    }

    public static void Add(int slot, long start, long n = 1)
    {
        Interlocked.Add(ref Ticks[slot], Now() - start);
        Interlocked.Add(ref Counts[slot], n);
    }

    public static string Report()
    {
        var names = new[] { "batch-exec", "commit", "merge", "forced-ckpt", "find", "insRecent", "addIdx+insData", "" };
        var s = "";
        for (var i = 0; i < 7; i++)
        {
            s += $"{names[i]}={Ticks[i] / 1e6:F0}ms/{Counts[i]} ";
        }
        Array.Clear(Ticks);
        Array.Clear(Counts);
        return s;
    }
}
