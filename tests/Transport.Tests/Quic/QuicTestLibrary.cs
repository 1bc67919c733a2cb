using Overlay.Transport.Quic;

namespace Overlay.Transport.Tests.Quic;

/// <summary>
/// Where the QUIC tests find libmsquic: the file named by <c>OVERLAY_MSQUIC_PATH</c>, loaded through
/// <see cref="TransportOptions.MsQuicLibraryPath"/> like a node's configured path, else the system's.
/// Every QUIC test asks here first. System.Net.Quic decides once per process whether QUIC works,
/// so a check made before the configured file is loaded would settle "unavailable" for good.
/// </summary>
internal static class QuicTestLibrary
{
    /// <summary>The environment variable naming the libmsquic file to test with.</summary>
    public const string EnvironmentVariable = "OVERLAY_MSQUIC_PATH";

    /// <summary>The configured library file, or null when the variable is unset or empty.</summary>
    public static string? ConfiguredPath => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } path ? path : null;

    /// <summary>
    /// True when QUIC runs here. Without <c>OVERLAY_MSQUIC_PATH</c> a missing libmsquic is a reason
    /// to skip; with it, a file that does not load is a failure, since QUIC was asked for explicitly.
    /// </summary>
    public static bool IsAvailable(out string reason)
    {
        if (QuicSupport.IsAvailable(WithLibrary(null), out reason))
        {
            return true;
        }

        if (ConfiguredPath is { } path)
        {
            Assert.Fail($"{EnvironmentVariable} is '{path}', but QUIC cannot run with it: {reason}");
        }

        return false;
    }

    /// <summary>
    /// <paramref name="options"/> (or defaults) with <see cref="TransportOptions.MsQuicLibraryPath"/>
    /// set to the configured file, unless the caller set one.
    /// </summary>
    public static TransportOptions WithLibrary(TransportOptions? options)
    {
        options ??= new TransportOptions();
        options.MsQuicLibraryPath ??= ConfiguredPath;
        return options;
    }
}
