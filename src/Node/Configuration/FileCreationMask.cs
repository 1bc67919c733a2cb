using System.Runtime.InteropServices;

namespace Overlay.Node.Configuration;

/// <summary>
/// The process's file creation mask (umask). The node sets it to 077 for the commands that write its
/// data directory, so every file it (or a library such as SQLite) creates there is the owner's alone,
/// whatever mode each creator asks for; each place that creates a file also asks for 0600 itself.
/// </summary>
public static partial class FileCreationMask
{
    /// <summary>Takes group and other permissions off every file and directory this process creates from now on.</summary>
    public static void RestrictToOwner()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = umask(0b000_111_111);
        }
    }

    // umask(2) cannot fail; it returns the previous mask.
    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint umask(uint mask);
}
