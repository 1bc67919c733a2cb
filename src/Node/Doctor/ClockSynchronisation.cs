using System.Runtime.InteropServices;

namespace Overlay.Node.Doctor;

/// <summary>
/// Asks the Linux kernel whether the system clock is synchronised (adjtimex(2) with no modes set only
/// reads). Records and keys carry expiry times that peers compare with their own clocks, so a drifting
/// clock makes a node refuse fresh records or keep stale ones.
/// </summary>
internal static partial class ClockSynchronisation
{
    // adjtimex returns the clock state; TIME_ERROR (5) means "not synchronised" (STA_UNSYNC set).
    private const int TimeError = 5;

    // struct timex is 208 bytes on 64-bit Linux; a larger zeroed buffer is safe, as the kernel reads only modes (0).
    private const int TimexBytes = 256;

    /// <summary>True when synchronised, false when not, null where the kernel cannot be asked (not Linux, or refused).</summary>
    public static bool? IsSynchronised()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var buffer = new byte[TimexBytes];
        int state;
        try
        {
            state = Adjtimex(buffer);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }

        return state < 0 ? null : state != TimeError;
    }

    [LibraryImport("libc", EntryPoint = "adjtimex", SetLastError = true)]
    private static partial int Adjtimex(byte[] timex);
}
