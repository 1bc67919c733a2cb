using System.Net.Quic;
using System.Runtime.InteropServices;

namespace Overlay.Transport.Quic;

/// <summary>
/// Whether System.Net.Quic can run here. It needs the native libmsquic; when a path is configured
/// (<see cref="TransportOptions.MsQuicLibraryPath"/>) that file is loaded first, which lets the
/// runtime find it by name afterwards.
/// </summary>
public static class QuicSupport
{
    /// <summary>The sentence every QUIC-unavailable error and warning ends with.</summary>
    public const string InstallHint =
        "install libmsquic (the 'libmsquic' package from Microsoft's packages.microsoft.com repository, e.g. 'apt-get install libmsquic' once that repository is configured) or set Transport:MsQuicLibraryPath to the library file";

    private static readonly object Gate = new();
    private static string? _loadedPath;

    /// <summary>
    /// True when QUIC listeners and connections can be created. Otherwise <paramref name="reason"/>
    /// says why and how to fix it in one sentence.
    /// </summary>
    public static bool IsAvailable(TransportOptions? options, out string reason)
    {
        var path = options?.MsQuicLibraryPath;
        if (!string.IsNullOrEmpty(path))
        {
            lock (Gate)
            {
                if (_loadedPath != path)
                {
                    if (!NativeLibrary.TryLoad(path, out _))
                    {
                        reason = $"QUIC is unavailable: the configured libmsquic '{path}' could not be loaded; {InstallHint}.";
                        return false;
                    }

                    _loadedPath = path;
                }
            }
        }

        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows() && !OperatingSystem.IsMacOS())
        {
            reason = "QUIC is unavailable: System.Net.Quic does not run on this operating system.";
            return false;
        }

        if (!QuicListener.IsSupported || !QuicConnection.IsSupported)
        {
            reason = $"QUIC is unavailable (libmsquic not found): {InstallHint}.";
            return false;
        }

        reason = string.Empty;
        return true;
    }

    /// <summary>Throws <see cref="TransportError.QuicUnavailable"/> unless <see cref="IsAvailable"/>.</summary>
    public static void ThrowIfUnavailable(TransportOptions? options)
    {
        if (!IsAvailable(options, out var reason))
        {
            throw new TransportException(TransportError.QuicUnavailable, reason);
        }
    }
}
