using System.Runtime.InteropServices;
using Overlay.Crypto.Sodium.Interop;

namespace Overlay.Crypto.Sodium;

/// <summary>
/// Loads and initialises libsodium once per process and exposes its general-purpose helpers: the
/// CSPRNG, constant-time comparison and guaranteed zeroing.
/// </summary>
public static unsafe class SodiumLibrary
{
    /// <summary>
    /// Oldest library version accepted: 10.x is libsodium 1.0.16, the first release that has every
    /// primitive used here, including <c>crypto_core_ed25519_is_valid_point</c>. The build ships 1.0.22;
    /// an older one can only be a system copy found on a platform the package has no build for.
    /// </summary>
    public const int MinimumVersionMajor = 10;

    /// <summary>Minimum minor version when the major version equals <see cref="MinimumVersionMajor"/>.</summary>
    public const int MinimumVersionMinor = 0;

    /// <summary>The one sentence given when no libsodium can be loaded.</summary>
    internal const string NotLoadableMessage =
        "The native libsodium could not be loaded: the build ships it in runtimes/<platform>/native/ for Linux, macOS and Windows, so rebuild if it is missing there, or on another platform install libsodium 1.0.16 or newer.";

    private static readonly Lock InitLock = new();
    private static volatile bool s_initialized;
    private static string? s_failure;
    private static Exception? s_failureCause;

    /// <summary>True when libsodium is loaded and initialised (loads it on first call).</summary>
    public static bool IsAvailable
    {
        get
        {
            if (s_initialized)
            {
                return true;
            }

            InitializeOnce();
            return s_initialized;
        }
    }

    /// <summary>The loaded library's version as (major, minor), e.g. (10, 3) for libsodium 1.0.18.</summary>
    public static (int Major, int Minor) LibraryVersion
    {
        get
        {
            EnsureInitialized();
            return (Libsodium.sodium_library_version_major(), Libsodium.sodium_library_version_minor());
        }
    }

    /// <summary>The loaded library's release, e.g. "1.0.22".</summary>
    public static string VersionString
    {
        get
        {
            EnsureInitialized();
            return Marshal.PtrToStringUTF8((IntPtr)Libsodium.sodium_version_string()) ?? string.Empty;
        }
    }

    /// <summary>Loads and initialises libsodium if that has not happened yet; safe to call from any thread.</summary>
    /// <exception cref="SodiumUnavailableException">The library is missing, failed to initialise or is too old.</exception>
    public static void EnsureInitialized()
    {
        if (s_initialized)
        {
            return;
        }

        InitializeOnce();
        if (!s_initialized)
        {
            // A fresh exception per call: rethrowing one cached instance would keep rewriting its stack trace.
            throw s_failureCause is null
                ? new SodiumUnavailableException(s_failure!)
                : new SodiumUnavailableException(s_failure!, s_failureCause);
        }
    }

    /// <summary>Fills <paramref name="buffer"/> from libsodium's CSPRNG (the kernel's getrandom).</summary>
    public static void RandomBytes(Span<byte> buffer)
    {
        EnsureInitialized();
        fixed (byte* p = buffer)
        {
            Libsodium.randombytes_buf(p, (nuint)buffer.Length);
        }
    }

    /// <summary>
    /// Compares two buffers in time that depends only on their length (<c>sodium_memcmp</c>). Buffers of
    /// different lengths are unequal; lengths are not secret.
    /// </summary>
    public static bool FixedTimeEquals(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        EnsureInitialized();
        if (left.Length != right.Length)
        {
            return false;
        }

        if (left.IsEmpty)
        {
            return true;
        }

        fixed (byte* a = left)
        fixed (byte* b = right)
        {
            return Libsodium.sodium_memcmp(a, b, (nuint)left.Length) == 0;
        }
    }

    /// <summary>Overwrites <paramref name="buffer"/> with zeros in a way the compiler cannot elide (<c>sodium_memzero</c>).</summary>
    public static void Zero(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        EnsureInitialized();
        fixed (byte* p = buffer)
        {
            Libsodium.sodium_memzero(p, (nuint)buffer.Length);
        }
    }

    /// <summary>The failure message for a library of the given version, or null when it is new enough.</summary>
    internal static string? CheckVersion(int major, int minor)
    {
        if (major > MinimumVersionMajor || (major == MinimumVersionMajor && minor >= MinimumVersionMinor))
        {
            return null;
        }

        return $"The loaded libsodium has library version {major}.{minor}, older than the required {MinimumVersionMajor}.{MinimumVersionMinor} (libsodium 1.0.16): rebuild so the libsodium that ships with the build is used, or install a newer libsodium.";
    }

    private static void InitializeOnce()
    {
        lock (InitLock)
        {
            if (s_initialized || s_failure is not null)
            {
                return;
            }

            try
            {
                Initialize();
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
            {
                // Not found anywhere, or found but not a usable libsodium for this process.
                s_failureCause = e;
                s_failure = NotLoadableMessage;
            }
        }
    }

    private static void Initialize()
    {
        // The runtime probes the app's runtimes/<rid>/native first (the libsodium package's file, listed
        // in the app's deps.json), then the system loader's paths; DllNotFoundException names each attempt.
        NativeLibrary.Load(Libsodium.LibraryName, typeof(SodiumLibrary).Assembly, searchPath: null);

        // sodium_init is itself thread-safe and idempotent: 0 = initialised now, 1 = already, -1 = failed.
        if (Libsodium.sodium_init() < 0)
        {
            s_failure = "The native libsodium failed to initialise (sodium_init returned -1).";
            return;
        }

        var versionFailure = CheckVersion(Libsodium.sodium_library_version_major(), Libsodium.sodium_library_version_minor());
        if (versionFailure is not null)
        {
            s_failure = versionFailure;
            return;
        }

        s_initialized = true;
    }
}
