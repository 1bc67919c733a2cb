using System.Runtime.InteropServices;

namespace Overlay.Benchmarks.Transport;

/// <summary>
/// The process's voluntary context switches so far (every thread, exited ones too), from
/// <c>getrusage(RUSAGE_SELF)</c> on Linux; 0 elsewhere. A voluntary switch is a thread that blocked
/// because it had nothing to do (an idle pool thread, a socket wait), so switches per MiB show how
/// often data passes from one thread to another; involuntary switches (preemption by other
/// processes on a shared host) are left out.
/// </summary>
internal static class ContextSwitches
{
    private const int RusageSelf = 0;

    public static long Count()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        return getrusage(RusageSelf, out var usage) == 0 ? usage.VoluntarySwitches : 0;
    }

    // struct rusage on 64-bit Linux: two timevals, then fourteen longs ending in ru_nvcsw, ru_nivcsw.
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxResidentSet;
        public long SharedMemory;
        public long UnsharedData;
        public long UnsharedStack;
        public long MinorFaults;
        public long MajorFaults;
        public long Swaps;
        public long BlockInputs;
        public long BlockOutputs;
        public long MessagesSent;
        public long MessagesReceived;
        public long Signals;
        public long VoluntarySwitches;
        public long InvoluntarySwitches;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out Rusage usage);
}
